"""`pubflow catalogs update|init`: keep the gettext catalogs in step with templates and content."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from pubflow.cli.common import (
    EXIT_USER_ERROR,
    LocalesOption,
    app,
    console,
    err_console,
    guarded,
    settings_from,
)
from pubflow.i18n.pofile import LOCK_TIMEOUT
from pubflow.i18n.sync import SyncReport, init_catalog, sync_catalogs

catalogs_app = typer.Typer(
    name="catalogs",
    help=(
        "Manage the gettext catalogs: `update` extracts the strings of templates and articles, "
        "merges them into every language's .po (new strings empty, removed ones obsolete, "
        "changed ones fuzzy with the previous text) and compiles; `init` starts a new language."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(catalogs_app)

RootOption = Annotated[
    Path | None,
    typer.Option("--root", help="Project root (default: found from the current folder).", show_default=False),
]
LockTimeoutOption = Annotated[
    float,
    typer.Option("--lock-timeout", min=0, help="Seconds to wait for another run's lock on a catalog."),
]


@contextlib.contextmanager
def _progress() -> Iterator[Progress]:
    """A progress display on stderr (stdout stays clean for the summary); silent when piped."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as progress:
        yield progress


def _summary_table(report: SyncReport) -> Table:
    """One row per locale and domain: what the merge did and whether the file changed."""
    show_revived = any(update.revived for update in report.catalogs)
    table = Table(title="catalogs", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("locale", no_wrap=True)
    table.add_column("domain", no_wrap=True, overflow="fold")
    for name in ("added", "changed→fuzzy", "obsoleted", *(["revived"] if show_revived else []), "unchanged"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("file", no_wrap=True)
    for update in report.catalogs:
        status = "created" if update.created else ("written" if update.written else "-")
        counts = [update.added, update.fuzzy, update.obsoleted]
        if show_revived:
            counts.append(update.revived)
        counts.append(update.unchanged)
        table.add_row(update.locale, update.domain, *(str(count) for count in counts), status)
    return table


@catalogs_app.command(
    "update",
    help=(
        "Extract, merge and compile: bring every catalog up to date with the templates and "
        "articles. New strings are added empty, removed ones kept as obsolete (#~) with their "
        "translation, changed ones marked fuzzy with the previous text (#|). Running it twice "
        "changes nothing. Exit 2 on errors such as an unknown locale or a catalog locked by "
        "another run."
    ),
)
@guarded
def update_command(
    locales: LocalesOption = None,
    compile_catalogs: Annotated[
        bool, typer.Option("--compile/--no-compile", help="Compile the catalogs afterwards.")
    ] = True,
    lock_timeout: LockTimeoutOption = LOCK_TIMEOUT,
    root: RootOption = None,
) -> None:
    settings = settings_from(root)
    with _progress() as progress:
        task = progress.add_task("starting", total=None)

        def step(text: str) -> None:
            progress.update(task, description=text, advance=1)

        report = sync_catalogs(
            settings, locales or None, compile=compile_catalogs, lock_timeout=lock_timeout, progress=step
        )
    changed_templates = [domain for domain, written in report.templates.items() if written]
    console.print(
        f"templates: {len(report.templates)} domains"
        + (f", updated: {', '.join(changed_templates)}" if changed_templates else ", no change"),
        highlight=False,
    )
    if report.catalogs:
        console.print(_summary_table(report))
    for domain in report.orphaned:
        console.print(
            f"note: locales/{domain}.pot has no source any more; its catalogs are kept untouched",
            highlight=False,
            markup=False,
        )
    written = report.written
    console.print(
        f"{len(written)} catalog file{'s' if len(written) != 1 else ''} written"
        if written
        else "catalogs already up to date",
        highlight=False,
    )
    if report.compiled is not None:
        summary = getattr(report.compiled, "summary", None)
        console.print(f"compile: {summary() if callable(summary) else report.compiled}", highlight=False)
    elif compile_catalogs and report.compile_skipped:
        err_console.print(
            f"pubflow: compile skipped: {report.compile_skipped}", highlight=False, markup=False
        )
    if report.failed:
        # Every other catalog is merged and compiled; these are left exactly as they are.
        for error in report.failed:
            err_console.print(f"pubflow: error: {error.describe()}", highlight=False, markup=False, soft_wrap=True)
        err_console.print(
            f"{len(report.failed)} catalog{'s' if len(report.failed) != 1 else ''} not updated "
            "(left as they are): fix them and run `pubflow catalogs update` again",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_USER_ERROR)


@catalogs_app.command(
    "init",
    help=(
        "Start a new language: create locales/<LOCALE>/LC_MESSAGES/<domain>.po for every domain "
        "from the current templates. Refuses (exit 2) if any of them exists: use `update` then."
    ),
)
@guarded
def init_command(
    locale: Annotated[
        str, typer.Option("--locale", "-l", metavar="LOCALE", help="The new language, e.g. it or pt_BR.")
    ],
    domains: Annotated[
        list[str] | None,
        typer.Option("--domain", "-d", metavar="DOMAIN", help="Only these domains (default: all).", show_default=False),
    ] = None,
    lock_timeout: LockTimeoutOption = LOCK_TIMEOUT,
    root: RootOption = None,
) -> None:
    settings = settings_from(root)
    with _progress() as progress:
        progress.add_task(f"creating catalogs for {locale}", total=None)
        created = init_catalog(settings, locale, domains or None, lock_timeout=lock_timeout)
    for path in created:
        try:
            shown = path.relative_to(settings.root)
        except ValueError:
            shown = path
        console.print(f"created {shown}", highlight=False, markup=False)
    if locale not in settings.locales:
        err_console.print(
            f"pubflow: note: add {locale!r} to [tool.pubflow] locales in pyproject.toml "
            "so that `pubflow catalogs update` and publishing include it",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
