"""`pubflow subscribers import|list|count|export`: the subscriber list."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pubflow.cli.common import EXIT_PROBLEMS, app, console, err_console, guarded, settings_from
from pubflow.deliver.subscriber_csv import (
    export_subscribers_csv,
    import_subscribers_csv,
    normalise_locale,
    write_subscribers_csv,
)
from pubflow.deliver.subscribers import STATUSES, SubscriberStore
from pubflow.errors import ConfigError
from pubflow.locales import PSEUDO_LOCALE, validate_locale

subscribers_app = typer.Typer(
    help="Manage the subscriber list (import from CSV, list, count, export).",
    no_args_is_help=True,
)
app.add_typer(subscribers_app, name="subscribers")

StatusOption = Annotated[
    list[str] | None,
    typer.Option("--status", help=f"only these statuses ({', '.join(STATUSES)}); repeatable"),
]


def _statuses(values: list[str] | None) -> list[str] | None:
    for value in values or []:
        if value not in STATUSES:
            raise ConfigError(f"unknown status {value!r}", hint=f"use one of {', '.join(STATUSES)}")
    return values or None


@subscribers_app.command("import")
@guarded
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV with a header: email,locale (status optional)")],
    resubscribe: Annotated[
        bool,
        typer.Option(
            "--resubscribe",
            help="make listed addresses that unsubscribed or bounced active again "
            "(only with their fresh consent)",
        ),
    ] = False,
) -> None:
    """Import subscribers; bad rows are reported by line and skipped, the rest imported.

    Re-importing the same file changes nothing. People who unsubscribed or bounced stay so
    unless --resubscribe is given.
    """
    settings = settings_from()
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        report = import_subscribers_csv(
            store,
            file,
            # The QA pseudo-locale is published for reviewers, never mailed to anyone.
            publishable_locales=[code for code in settings.all_locales if code != PSEUDO_LOCALE],
            source_locale=settings.source_locale,
            resubscribe=resubscribe,
        )
    for problem in report.problems:
        err_console.print(escape(problem.describe()), highlight=False, soft_wrap=True)
    if report.ignored_columns:
        err_console.print(
            f"ignored columns: {escape(', '.join(report.ignored_columns))}",
            highlight=False,
            soft_wrap=True,
        )
    parts = [
        f"{report.added} added",
        f"{report.updated} updated",
        f"{report.unchanged} unchanged",
    ]
    if report.resubscribed:
        parts.append(f"{report.resubscribed} resubscribed")
    if report.suppressed:
        parts.append(f"{report.suppressed} marked unsubscribed/bounced")
    if report.kept_inactive:
        parts.append(f"{report.kept_inactive} kept unsubscribed/bounced (--resubscribe to change)")
    if report.problems:
        parts.append(f"{len(report.problems)} rows skipped")
    console.print(
        f"{escape(str(file))}: {', '.join(parts)} → {escape(str(settings.subscribers_db_path))}",
        highlight=False,
        soft_wrap=True,
    )
    if report.problems:
        raise typer.Exit(EXIT_PROBLEMS)


@subscribers_app.command("list")
@guarded
def list_command(
    status: StatusOption = None,
    locale: Annotated[
        list[str] | None, typer.Option("--locale", help="only these locales; repeatable")
    ] = None,
) -> None:
    """List subscribers (address, locale, status, dates)."""
    settings = settings_from()
    # Well-formed codes only; a language no longer configured may still have subscribers.
    locale = [validate_locale(normalise_locale(code), where="--locale") for code in locale or []]
    with SubscriberStore.open(settings.subscribers_db_path, create=False) as store:
        table = Table("email", "locale", "status", "since", box=None, header_style="bold")
        shown = 0
        for subscriber in store.iter(statuses=_statuses(status), locales=locale or None):
            table.add_row(
                escape(subscriber.email),
                subscriber.locale,
                subscriber.status,
                subscriber.updated_at if subscriber.status != "active" else subscriber.created_at,
            )
            shown += 1
    if shown:
        console.print(table)
    console.print(f"{shown} subscriber{'s' if shown != 1 else ''}", highlight=False, soft_wrap=True)


@subscribers_app.command("count")
@guarded
def count_command() -> None:
    """Count subscribers by status, and active ones by locale."""
    settings = settings_from()
    with SubscriberStore.open(settings.subscribers_db_path, create=False) as store:
        by_status = store.count_by_status()
        by_locale = store.count_active_by_locale()
    table = Table("", "subscribers", box=None, header_style="bold")
    for name, count in by_status.items():
        table.add_row(name, str(count))
    table.add_row("total", str(sum(by_status.values())), style="bold")
    console.print(table)
    if by_locale:
        locales = Table("active in locale", "subscribers", box=None, header_style="bold")
        for code, count in by_locale.items():
            locales.add_row(code, str(count))
        console.print(locales)


@subscribers_app.command("export")
@guarded
def export_command(
    file: Annotated[
        Path | None, typer.Argument(help="where to write the CSV (standard output if omitted)")
    ] = None,
    status: StatusOption = None,
) -> None:
    """Export subscribers as CSV (re-importable: statuses are kept on import)."""
    settings = settings_from()
    with SubscriberStore.open(settings.subscribers_db_path, create=False) as store:
        if file is None:
            write_subscribers_csv(store, sys.stdout, statuses=_statuses(status))
            return
        count = export_subscribers_csv(store, file, statuses=_statuses(status))
    err_console.print(
        f"exported {count} subscribers to {escape(str(file))}", highlight=False, soft_wrap=True
    )
