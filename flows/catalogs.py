"""Flows "sync catalogs" and "machine pre-fill": keep every language's catalogs in step."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.tasks import exponential_backoff

from flows.common import (
    Backend,
    FlowFailure,
    TargetLocale,
    coverage_table,
    flow,
    retry_unless_user_error,
    secret_overrides,
    settings,
    user_errors,
)
from pubflow.i18n.stats import catalog_stats
from pubflow.i18n.sync import sync_catalogs


@task(name="sync catalogs")
def sync_task(locales: list[str] | None) -> dict[str, Any]:
    """Extract, merge every language's catalogs under their locks, and compile them."""
    cfg = settings()
    with user_errors("Sync catalogs"):
        report = sync_catalogs(cfg, locales or None)
    errors = []
    if report.compiled is not None:
        errors = [d.format() for d in report.compiled.diagnostics if d.severity == "error"]
    return {
        "templates_changed": sorted(d for d, changed in report.templates.items() if changed),
        "catalogs_written": [str(p.relative_to(cfg.root)) for p in report.written],
        "orphaned": report.orphaned,
        "entries_left_out": errors,
        # Catalogs that could not be read, left as they are (the rest was merged and compiled).
        "catalogs_failed": [error.describe() for error in report.failed],
        "updates": [
            {
                "locale": u.locale, "domain": u.domain, "added": u.added, "fuzzy": u.fuzzy,
                "obsoleted": u.obsoleted, "unchanged": u.unchanged,
            }
            for u in report.catalogs
        ],
    }


@task(name="translation coverage")
def stats_task(locales: list[str] | None) -> list[dict[str, Any]]:
    """Per language (its domains summed): reviewed, machine, stale, missing, invalid, and the
    domains below the coverage threshold (fuzzy never counts). Returns every domain's row."""
    cfg = settings()
    unreadable: list[Any] = []  # reported by the sync that could not merge them
    with user_errors("Coverage"):
        rows = catalog_stats(cfg, locales or None, unreadable=unreadable)
    coverage_table(rows)
    return [row.as_dict() for row in rows]


# Network task: retried with backoff, and at most a few at once across all runs (the tag has a
# concurrency limit, created by flows/serve.py).
@task(
    name="machine pre-fill",
    retries=2,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_unless_user_error,
    tags=["pubflow-mt"],
)
def prefill_task(locales: list[str] | None, backend: str, base_url: str | None) -> dict[str, Any]:
    """Fill empty entries with machine suggestions (fuzzy, marked with backend and date)."""
    # Imported here: the translation clients are ~55 ms of every flow process's start, and
    # most runs (make publish's pseudo pre-fill aside) never pre-fill.
    from pubflow.i18n.machine.prefill import prefill_catalogs

    overrides = secret_overrides("deepl_api_key", "microsoft_api_key", "libre_api_key")
    cfg = settings(**overrides)
    with user_errors("Machine pre-fill"):
        report = prefill_catalogs(cfg, locales or None, backend, base_url=base_url or None)
    per_locale = {
        code: {
            "filled": r.filled, "from_memory": r.from_memory, "skipped": r.skipped_total,
            "failed": r.failed, "reasons": dict(r.reasons),
        }
        for code, r in report.locales.items()
    }
    return {
        "backend": report.backend, "filled": report.filled, "failed": report.failed,
        "skipped": report.skipped, "requests": report.requests, "halted": report.halted,
        "locales": per_locale,
    }


def _updates_markdown(result: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {u['locale']} | {u['domain']} | {u['added']} | {u['fuzzy']} | {u['obsoleted']} |"
        for u in result["updates"]
        if u["added"] or u["fuzzy"] or u["obsoleted"]
    )
    table = (
        "| locale | domain | new | changed (fuzzy) | obsolete |\n|---|---|---|---|---|\n" + rows
        if rows
        else "Nothing changed in the sources: every catalog is up to date."
    )
    left_out = "\n".join(f"- `{line}`" for line in result["entries_left_out"])
    extra = f"\n\n### Entries left out (the source text shows instead)\n\n{left_out}" if left_out else ""
    failed = "\n".join(f"- `{line}`" for line in result.get("catalogs_failed", []))
    if failed:
        extra += f"\n\n### Catalogs not updated (left as they are; fix them and sync again)\n\n{failed}"
    return f"## Catalogs synchronised\n\n{table}{extra}\n"


@flow(name="sync-catalogs")
def sync_catalogs_flow(
    locales: list[TargetLocale] = [],  # noqa: B006 (never mutated)  # type: ignore[valid-type]
) -> dict[str, Any]:
    """Extract new and changed strings, merge them into every catalog, compile, and report coverage.

    Args:
        locales: Languages to update. Leave empty for every configured language.
    """
    result = sync_task(list(locales or []))
    create_markdown_artifact(
        markdown=_updates_markdown(result), key="sync-summary", description="What sync changed"
    )
    stats_task(list(locales or []))
    fail_on_unmerged_catalogs(result)
    return result


def fail_on_unmerged_catalogs(synced: dict[str, Any]) -> None:
    """After everything else ran: a FlowFailure naming each catalog a sync could not merge."""
    failed = synced.get("catalogs_failed") or []
    if failed:
        raise FlowFailure(
            f"{len(failed)} catalog(s) could not be updated and were left as they are: "
            + "; ".join(failed)
        )


@flow(name="machine-prefill")
def prefill_flow(
    locales: list[TargetLocale] = [],  # noqa: B006 (never mutated)  # type: ignore[valid-type]
    backend: Backend = "pseudo",
    base_url: str = "",
) -> dict[str, Any]:
    """Fill untranslated strings with machine suggestions for translators to review.

    Suggestions are marked fuzzy with the backend and date; reviewed translations are never
    touched. "pseudo" works offline and only makes the pseudo-locale (en_XA).

    Args:
        locales: Languages to pre-fill. Leave empty for every language the backend can make.
        backend: Machine-translation service. API keys come from PUBFLOW_* environment
            variables or the Secret blocks pubflow-deepl-api-key, pubflow-microsoft-api-key,
            pubflow-libre-api-key.
        base_url: Only for "libre": the address of your LibreTranslate server; leave empty
            otherwise.
    """
    if backend == "none":
        raise FlowFailure('backend "none" pre-fills nothing: pick a backend such as "pseudo"')
    result = prefill_task(list(locales or []), backend, base_url)
    rows = "\n".join(
        f"| {code} | {r['filled']} | {r['from_memory']} | {r['skipped']} | {r['failed']} | "
        f"{', '.join(f'{k}: {v}' for k, v in r['reasons'].items()) or '—'} |"
        for code, r in result["locales"].items()
    )
    halted = f"\n\n**Stopped early:** {result['halted']}" if result["halted"] else ""
    create_markdown_artifact(
        markdown=(
            f"## Machine pre-fill ({result['backend']})\n\n"
            "| locale | filled | from memory | skipped | failed | why |\n|---|---|---|---|---|---|\n"
            f"{rows}\n\n{result['requests']} requests sent.{halted}\n"
        ),
        key="prefill-summary",
        description="What machine pre-fill filled, skipped and why",
    )
    stats_task(list(locales or []))
    if result["failed"]:
        raise FlowFailure(
            f"{result['failed']} entries could not be pre-filled (see the summary artifact); "
            "they stay empty — re-run later or translate them by hand"
        )
    return result


if __name__ == "__main__":
    sync_catalogs_flow()
