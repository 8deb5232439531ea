"""Flow "send newsletter": a built issue → every active subscriber, in their language, once.

Without ``confirm`` it is a dry run that lists how many subscribers would get each language.
The delivery log in the subscriber database makes a retry or a second run resume where the
last one stopped: nobody gets a copy twice.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.tasks import exponential_backoff

from flows.common import (
    FlowFailure,
    Progress,
    TargetLocale,
    checked_slugs,
    flow,
    retry_unless_user_error,
    secret_overrides,
    settings,
    user_errors,
)
from pubflow.deliver.deliveries import DeliveryLog
from pubflow.deliver.message import find_issue_emails, refuse_failed, refuse_unbuilt
from pubflow.deliver.send import plan_send, send_issue
from pubflow.deliver.subscribers import SubscriberStore


# Network task: retried with backoff (a retry resumes from the delivery log, so it never
# duplicates), one at a time across all runs (the tag's concurrency limit).
@task(
    name="send issue",
    retries=2,
    retry_delay_seconds=exponential_backoff(backoff_factor=30),
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_unless_user_error,
    tags=["pubflow-smtp"],
)
def send_task(issue: str, locales: list[str] | None, confirm: bool) -> dict[str, Any]:
    """Plan (and with ``confirm`` perform) the send of ``issue``."""
    cfg = settings(**secret_overrides("smtp_password", "unsubscribe_secret"))
    with user_errors("Send newsletter"):
        emails = find_issue_emails(
            cfg.dist_path,
            issue,
            cfg.source_locale,
            source=cfg.newsletters_path / f"{issue}.toml",
            configured=cfg.all_locales,
        )
        if confirm:
            refuse_failed(emails, locales or None)
        with SubscriberStore.open(cfg.subscribers_db_path, create=False) as store:
            log = DeliveryLog(store.conn)
            plan = plan_send(store, log, emails, locales=locales or None)
            counts = dict(plan.counts_by_locale())
            if not confirm:
                return {"sent": 0, "would_send": counts, "dry_run": True, "not_built": plan.unbuilt()}
            refuse_unbuilt(emails, [recipient.subscriber.locale for recipient in plan.to_send])
            progress = Progress(f"Sending newsletter {issue}")
            total = max(len(plan.to_send), 1)
            done = 0

            def on_event(event: str, _recipient: object, _detail: str) -> None:
                nonlocal done
                if event in ("sent", "failed", "unconfirmed", "skipped"):
                    done += 1
                    progress.update(100.0 * done / total)

            report = send_issue(cfg, plan, store, log, on_event=on_event)  # type: ignore[arg-type]
    return {
        "dry_run": False,
        "would_send": counts,
        "sent": report.sent,
        "already_sent": report.skipped_sent,
        "skipped_inactive": report.skipped_inactive,
        "failed": [f"{f.email}: {f.error}" for f in report.failed],
        "unconfirmed": report.unconfirmed,
        "aborted": report.aborted,
    }


@flow(name="send-newsletter")
def send_newsletter_flow(
    issue: str,
    confirm: bool = False,
    locales: list[TargetLocale] = [],  # noqa: B006 (never mutated)  # type: ignore[valid-type]
) -> dict[str, Any]:
    """Send a built newsletter issue to every active subscriber in their language, exactly once.

    Build the issue first (the "build-newsletter" deployment). Leave "confirm" off to see who
    would get which language without sending anything.

    Args:
        issue: The issue id, e.g. "2026-12" (content/newsletters/2026-12.toml).
        confirm: Tick to really send. Off: a dry run that sends nothing.
        locales: Only subscribers of these languages. Leave empty for everyone.
    """
    [checked] = checked_slugs([issue], "issue") or [issue]
    result = send_task(checked, list(locales or []), confirm)
    create_table_artifact(
        table=[{"locale": code, "recipients": n} for code, n in result["would_send"].items()],
        key=f"send-{checked}-plan",
        description="Subscribers per language for this send",
    )
    if result["dry_run"]:
        total = sum(result["would_send"].values())
        create_markdown_artifact(
            markdown=(
                f"## Dry run of newsletter {checked}\n\nNothing was sent. {total} subscribers "
                "would get it. Run again with **confirm** ticked to send.\n"
            ),
            key=f"send-{checked}",
            description="Dry run",
        )
        return result
    lines = [
        f"## Newsletter {checked} sent\n",
        f"- sent now: {result['sent']}",
        f"- already sent earlier (skipped): {result['already_sent']}",
    ]
    if result["failed"]:
        lines.append(f"- refused: {len(result['failed'])}")
        lines.extend(f"  - {line}" for line in result["failed"])
    if result["unconfirmed"]:
        lines.append(f"- unknown fate after a crash (not resent): {len(result['unconfirmed'])}")
    create_markdown_artifact(markdown="\n".join(lines) + "\n", key=f"send-{checked}",
                             description="What the send did")
    get_run_logger().info("sent %d message(s)", result["sent"])
    if result["aborted"]:
        raise FlowFailure(f"the send stopped early: {result['aborted']}; run it again to resume")
    if result["failed"]:
        raise FlowFailure(
            f"{len(result['failed'])} recipients were refused by the mail server "
            "(listed in the artifact); the rest were sent"
        )
    return result


if __name__ == "__main__":
    import sys

    send_newsletter_flow(sys.argv[1] if len(sys.argv) > 1 else "2026-12")
