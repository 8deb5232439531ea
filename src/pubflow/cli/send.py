"""`pubflow send ISSUE`: a dry run by default, `--to` sends a test copy, `--confirm` sends."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from pubflow.cli.common import EXIT_PROBLEMS, app, console, err_console, guarded, settings_from
from pubflow.config import Settings
from pubflow.deliver.deliveries import DeliveryLog
from pubflow.deliver.message import (
    IssueEmails,
    find_issue_emails,
    refuse_failed,
    refuse_unbuilt,
    validate_issue_id,
)
from pubflow.deliver.send import (
    Event,
    Recipient,
    SendPlan,
    SendReport,
    plan_send,
    send_issue,
    send_test_copies,
)
from pubflow.deliver.smtp import SmtpTransport
from pubflow.deliver.subscriber_csv import normalise_locale
from pubflow.deliver.subscribers import SubscriberStore, normalise_email
from pubflow.deliver.tokens import TokenSigner, load_list_secret
from pubflow.errors import DeliveryError
from pubflow.locales import validate_locale


@app.command("send")
@guarded
def send_command(
    issue: Annotated[str, typer.Argument(help="the newsletter issue id, e.g. 2025-06")],
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="ADDRESS", help="send one test copy to ADDRESS (not logged)"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only show who would get which locale (the default)")
    ] = False,
    confirm: Annotated[
        bool, typer.Option("--confirm", help="really send to every active subscriber")
    ] = False,
    locale: Annotated[
        list[str] | None,
        typer.Option(
            "--locale",
            help="only subscribers of this locale (with --to: the test copy's locale); repeatable",
        ),
    ] = None,
    resend_unconfirmed: Annotated[
        bool,
        typer.Option(
            "--resend-unconfirmed",
            help="also resend messages whose delivery is unknown after a crash "
            "(may deliver them twice)",
        ),
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="also retry recipients that were refused for good"),
    ] = False,
) -> None:
    """Send a built newsletter issue to the subscribers, each in their language, exactly once.

    Without --confirm nothing is sent: the dry run lists who would get which locale. A re-run
    resumes where the last one stopped and never sends a copy twice.
    """
    settings = settings_from()
    locales = [validate_locale(normalise_locale(code), where="--locale") for code in locale or []]
    if to is not None and confirm:
        raise DeliveryError(
            "--to sends a test copy and --confirm the real send: give one of the two",
            hint=f"pubflow send {issue} --to you@example.org, then pubflow send {issue} --confirm",
        )
    emails = find_issue_emails(
        settings.dist_path,
        issue,
        settings.source_locale,
        source=settings.newsletters_path / f"{validate_issue_id(issue)}.toml",
        configured=settings.all_locales,
    )
    if emails.failed and not confirm and to is None:
        _warn(f"[yellow]warning:[/] failed its checks in the last build: {', '.join(emails.failed)}")
    if confirm or to is not None:
        refuse_failed(emails, locales or None)
    if to is not None:
        refuse_unbuilt(emails, _subscriber_locales(settings, locales))
        _send_test_copy(settings, emails, to, locales or [settings.source_locale])
        return
    with SubscriberStore.open(settings.subscribers_db_path, create=False) as store:
        log = DeliveryLog(store.conn)
        plan = plan_send(
            store,
            log,
            emails,
            locales=locales or None,
            resend_unconfirmed=resend_unconfirmed,
            retry_failed=retry_failed,
        )
        if dry_run or not confirm:
            _print_plan(plan)
            return
        refuse_unbuilt(emails, [recipient.subscriber.locale for recipient in plan.to_send])
        report = _send(settings, store, log, plan)
    _print_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEMS)


def _subscriber_locales(settings: Settings, only: list[str]) -> list[str]:
    """The locales active subscribers have (of ``only`` if given); none without a database."""
    if not settings.subscribers_db_path.exists():
        return []
    with SubscriberStore.open(settings.subscribers_db_path, create=False) as store:
        counts = store.count_active_by_locale()
    return [code for code in counts if not only or code in only]


def _say(text: str) -> None:
    """One line on stdout, never wrapped (scripts and CI read it)."""
    console.print(text, highlight=False, soft_wrap=True)


def _warn(text: str) -> None:
    err_console.print(text, highlight=False, soft_wrap=True)


def _send_test_copy(
    settings: Settings, emails: IssueEmails, address: str, locales: list[str]
) -> None:
    from email_validator import EmailNotValidError

    try:
        # As subscriber import does: an IDN domain in its ASCII (punycode) form, for RCPT TO
        # and the To header (RFC 2047 forbids encoded words in an address); a non-ASCII local
        # part is refused (it needs SMTPUTF8, which we do not use).
        address = normalise_email(address, allow_test_domains=True)
    except EmailNotValidError as exc:
        raise DeliveryError(f"--to: {exc}", hint="give one email address") from None
    secret = load_list_secret(settings)
    _warn(escape(secret.describe()))
    attempts = 0

    def retrying(failure: object) -> None:
        nonlocal attempts
        attempts += 1
        _warn(f"{escape(str(failure))} — retry {attempts} of {settings.smtp_retries} (smtp_retries)")

    results = send_test_copies(
        emails,
        locales,
        address,
        SmtpTransport(settings),
        TokenSigner(secret.key),
        retries=settings.smtp_retries,
        backoff=settings.smtp_backoff,
        on_retry=retrying,
    )
    failed = False
    for code, error in results:
        if error is None:
            _say(f"test copy of {emails.issue} ({code}) sent to {escape(address)}")
        else:
            failed = True
            _say(f"[red]test copy ({code}) refused:[/] {escape(error)}")
    if failed:
        raise typer.Exit(EXIT_PROBLEMS)


DRY_RUN_SHOWN = 20
"""Recipients a dry run names one by one; the counts below cover everyone (a real list has
thousands: `pubflow subscribers list` shows them all)."""


def _print_plan(plan: SendPlan) -> None:
    for recipient in plan.to_send[:DRY_RUN_SHOWN]:
        note = (
            f"  (their locale {recipient.unbuilt} is not built for this issue)"
            if recipient.unbuilt
            else f"  (their locale {recipient.subscriber.locale} is not published)"
            if recipient.is_fallback
            else ""
        )
        _say(f"{escape(recipient.subscriber.email)} → {recipient.locale}{note}")
    if len(plan.to_send) > DRY_RUN_SHOWN:
        _say(f"… and {len(plan.to_send) - DRY_RUN_SHOWN} more (pubflow subscribers list shows everyone)")
    table = Table("locale", "would send", box=None, header_style="bold")
    for code, count in plan.counts_by_locale().items():
        table.add_row(code, str(count))
    table.add_row("total", str(len(plan.to_send)), style="bold")
    console.print(table)
    if plan.fallbacks:
        _say(
            f"{plan.fallbacks} get the {plan.emails.source_locale} email "
            "(their locale is not published)"
        )
    for code, count in plan.unbuilt().items():
        _warn(
            f"[yellow]warning:[/] {count} subscribers of {code} would get the "
            f"{plan.emails.source_locale} email: {code} is not built for this issue "
            f"(run: pubflow build newsletter {escape(plan.issue)}); --confirm refuses until it is"
        )
    if plan.already_sent:
        _say(f"{plan.already_sent} already received issue {plan.issue} (skipped)")
    _print_unconfirmed([r.subscriber.email for r in plan.unconfirmed])
    if plan.failed_before:
        _say(
            f"{len(plan.failed_before)} were refused earlier and are skipped "
            "(--retry-failed to try again)"
        )
    if not plan.to_send:
        _say(f"nothing to send for issue {plan.issue}")
    else:
        _say("dry run: nothing was sent; add --confirm to send")


def _print_unconfirmed(addresses: list[str]) -> None:
    if addresses:
        _say(
            f"[yellow]{len(addresses)} unconfirmed[/] (a crash hit while the server was taking "
            "the message; check the mail server's log, then --resend-unconfirmed if it never "
            "arrived): " + escape(", ".join(addresses))
        )


def _send(
    settings: Settings, store: SubscriberStore, log: DeliveryLog, plan: SendPlan
) -> SendReport:
    if not plan.to_send:
        return SendReport.start(plan)
    secret = load_list_secret(settings)
    _warn(escape(secret.describe()))
    with Progress(
        TextColumn(f"sending {escape(plan.issue)}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=err_console,
    ) as progress:
        task = progress.add_task("send", total=len(plan.to_send), status="")

        def on_event(event: Event, recipient: Recipient, detail: str) -> None:
            if event == "retry":
                progress.update(task, status=f"retrying: {escape(detail)}")
            else:
                progress.update(task, advance=1, status="")

        return send_issue(settings, plan, store, log, secret=secret, on_event=on_event)


def _print_report(report: SendReport) -> None:
    if report.sent == 0 and report.skipped_sent and report.ok and not report.skipped_refused:
        _say(
            f"issue {report.issue} was already sent to all {report.skipped_sent} recipients: "
            "nothing new to send"
        )
    else:
        _say(
            f"issue {report.issue}: {report.sent} sent, {report.skipped_sent} skipped "
            f"(already sent), {len(report.failed)} failed"
        )
    if report.skipped_refused:
        _say(f"{report.skipped_refused} refused earlier, skipped (--retry-failed to try again)")
    if report.skipped_inactive:
        _say(f"{report.skipped_inactive} unsubscribed during the send (skipped)")
    for failed in report.failed:
        note = " (address marked bounced)" if failed.bounced else ""
        _say(
            f"[red]failed[/] {escape(failed.email)} ({failed.locale}): {escape(failed.error)}{note}"
        )
    _print_unconfirmed(report.unconfirmed)
    if report.aborted:
        _warn(
            f"[bold red]pubflow: stopped:[/] {escape(report.aborted)} — fix it and run the same "
            "command again to resume (nothing is sent twice)"
        )
