"""`pubflow translate`: fill empty catalog entries with machine suggestions (fuzzy, marked)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from pubflow.cli.common import EXIT_PROBLEMS, app, console, err_console, guarded, settings_from
from pubflow.i18n.machine.backends import BACKENDS

if TYPE_CHECKING:
    from pubflow.i18n.machine.prefill import PrefillReport

_HELP = (
    "Fill empty translations with machine suggestions for translators to review.\n\n"
    "Only entries with every msgstr empty are filled; each result is marked fuzzy with a "
    "'# machine-translated: <backend> <date>' comment. Reviewed, stale and obsolete entries "
    "are never touched. Placeholders, markup and URLs are protected; a result that fails a "
    "check is thrown away and reported. Accepted results go to a translation memory, so a "
    "second run sends nothing new.\n\n"
    "Backends: google (default), deepl, microsoft, libre (--base-url for a self-hosted "
    "LibreTranslate), mymemory, and pseudo (offline, makes the pseudo-locale en_XA). Keys: "
    "PUBFLOW_DEEPL_API_KEY, PUBFLOW_MICROSOFT_API_KEY (+ PUBFLOW_MICROSOFT_REGION), "
    "PUBFLOW_LIBRE_API_KEY, PUBFLOW_MYMEMORY_EMAIL.\n\n"
    "Exit status: 0 nothing failed, 1 some entries were left empty, 2 usage or setup error."
)

_PHASES = {"reading": "reading catalogs", "translating": "translating", "writing": "writing catalogs"}


@app.command("translate", help=_HELP)
@guarded
def translate_command(
    locales: Annotated[
        list[str] | None,
        typer.Option(
            "--locale",
            "-l",
            metavar="LOCALE",
            help="Target locale (repeat for several). Default: every configured locale the "
            "backend can make.",
            show_default=False,
        ),
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            "-b",
            metavar="BACKEND",
            help=f"One of: {', '.join(BACKENDS)}. Default: mt_backend setting (google).",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", metavar="URL", help="LibreTranslate server, e.g. http://127.0.0.1:5000/."),
    ] = None,
    domains: Annotated[
        list[str] | None,
        typer.Option(
            "--domain", "-d", metavar="DOMAIN", help="Only these domains (repeat for several). Default: all.",
            show_default=False,
        ),
    ] = None,
    show_failures: Annotated[
        int,
        typer.Option("--show-failures", metavar="N", min=0, help="How many failed entries to list (file:line)."),
    ] = 20,
) -> None:
    # Imported here: the translation clients (requests, deep-translator) are ~50 ms that every
    # other command (a translator's `pubflow check`) would otherwise pay at start.
    from pubflow.i18n.machine.prefill import prefill_catalogs

    settings = settings_from()
    with _progress_bar() as on_progress:
        report = prefill_catalogs(
            settings, locales, backend, base_url=base_url, domains=domains, progress=on_progress
        )
    _print_report(report, show_failures)
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEMS)


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on stderr, one task per phase; yields the callback to feed it."""
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
    ) as progress:

        def on_progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(_PHASES.get(phase, phase), total=total)
            progress.update(tasks[phase], completed=done, total=total)

        yield on_progress


def _print_report(report: PrefillReport, show_failures: int) -> None:
    table = Table(title=f"machine pre-fill ({report.backend})", title_justify="left")
    table.add_column("locale")
    table.add_column("filled", justify="right")
    table.add_column("from memory", justify="right")
    table.add_column("skipped", justify="right")
    table.add_column("failed", justify="right")
    table.add_column("why failed / skipped")
    for locale, item in report.locales.items():
        why = [f"{count}× {escape(reason)}" for reason, count in item.reasons.most_common()]
        why += [f"skipped {count}× {escape(reason)}" for reason, count in item.skipped.most_common()]
        table.add_row(
            locale,
            str(item.filled),
            str(item.from_memory),
            str(item.skipped_total),
            f"[red]{item.failed}[/]" if item.failed else "0",
            "\n".join(why) or "—",
        )
    console.print(table)
    traffic = (
        f"{report.requests} requests for {report.sent_texts} distinct texts"
        + (f", {report.retries} retries" if report.retries else "")
        if BACKENDS[report.backend].network
        else "offline, no requests"
    )
    console.print(
        f"{report.filled} filled, {report.skipped} skipped, {report.failed} failed; {traffic}",
        highlight=False,
    )
    if report.halted:
        console.print(f"[bold red]stopped early:[/] {escape(report.halted)}", highlight=False)
    failures = [f for item in report.locales.values() for f in item.failures]
    for failure in failures[:show_failures]:
        err_console.print(escape(failure.format()), highlight=False, soft_wrap=True)
    if len(failures) > show_failures:
        err_console.print(f"… and {len(failures) - show_failures} more (--show-failures N)")
