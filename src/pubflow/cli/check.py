"""`pubflow check`: run every check on every catalog, print ``file:line: severity: check: message``."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from pubflow.cli.common import (
    EXIT_PROBLEMS,
    DomainsOption,
    LocalesOption,
    app,
    err_console,
    guarded,
    settings_from,
)
from pubflow.i18n.checks import Severity
from pubflow.i18n.compile import CatalogCheck, check_catalogs

_HELP = (
    "Check every catalog like a translator should before committing.\n\n"
    "Runs the header check and every entry check (placeholders, markup, URLs, plurals, "
    "single-line, length, whitespace, unchanged) on each locales/<lang>/LC_MESSAGES/<domain>.po "
    "and prints one line per finding: `file:line: error|warning: check-name: message` "
    "(paths relative to the project root), then a summary.\n\n"
    "Exit status: 0 no errors (warnings allowed), 1 some error found, 2 usage or setup error."
)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(results: list[CatalogCheck]) -> str:
    """``checked 5 catalogs: 2 errors, 1 warning`` (plus how many catalogs have errors)."""
    diagnostics = [d for result in results for d in result.diagnostics]
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    failing = sum(1 for r in results if any(d.severity is Severity.ERROR for d in r.diagnostics))
    checked = sum(1 for r in results if not r.stray)  # a stray .po is no catalog, only a warning
    text = f"checked {_plural(checked, 'catalog')}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    if failing:
        text += f" (in {_plural(failing, 'catalog')})"
    return text


@app.command("check", help=_HELP)
@guarded
def check_command(
    locales: LocalesOption = None,
    domains: DomainsOption = None,
) -> None:
    settings = settings_from()
    progress = Progress(
        TextColumn("checking catalogs"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    task = progress.add_task("", total=None)

    def on_catalog(path: Path) -> None:
        progress.update(task, advance=1, description=str(path))

    with progress if err_console.is_terminal else contextlib.nullcontext():
        results = check_catalogs(settings, locales, domains, on_catalog=on_catalog)
    for result in results:
        for diagnostic in result.diagnostics:
            # Plain text, never wrapped: editors and CI annotators parse these lines.
            typer.echo(diagnostic.format())
    typer.echo(summary_line(results))
    if any(d.severity is Severity.ERROR for r in results for d in r.diagnostics):
        raise typer.Exit(EXIT_PROBLEMS)
