"""`pubflow build`: render outputs. ``pubflow build site`` builds the static site.

``build`` is a Typer sub-app: each output kind is one command on :data:`build_app`
(``pubflow build newsletter ISSUE`` registers itself here from its own module, see the marker
below), so ``pubflow build --help`` lists them all.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from pubflow.cli.common import EXIT_PROBLEMS, app, console, err_console, guarded, settings_from

if TYPE_CHECKING:
    from pubflow.render.site import SiteReport

build_app = typer.Typer(
    name="build",
    help="Render outputs: the static site (`build site`) and newsletter issues.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(build_app, name="build")

WaitOption = Annotated[
    float | None,
    typer.Option(
        "--wait",
        metavar="SECONDS",
        min=0,
        help=(
            "Wait up to SECONDS for another publish or build of this project to finish before "
            "giving up (default: the run_lock_wait setting, 5 s)."
        ),
        show_default=False,
    ),
]
"""The ``--wait`` option of the commands that hold the project run lock."""


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _progress() -> Progress:
    return Progress(
        TextColumn("rendering"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}", markup=False),
        console=err_console,
        transient=True,
    )


def print_site_report(report: SiteReport) -> None:
    """What was built, what was left out and why, and what was refused (also used by preview).

    Every line is printed whole (``soft_wrap``): CI logs and pipes are read by people jumping
    to a ``file:line`` and by grep, which a wrap at 80 columns would break."""
    published = report.published
    for locale in report.built_locales:
        slugs = report.plan.built.get(locale, ())
        if not slugs:
            continue
        tag = "" if locale in published else " (QA only: not linked, noindex)"
        console.print(f"  {locale}: {len(slugs)} article(s){tag}", highlight=False, soft_wrap=True)
    for skipped in report.plan.skipped:
        if skipped.locale in report.built_locales:
            err_console.print(
                f"  [yellow]skipped[/] {escape(skipped.describe())}", highlight=False, soft_wrap=True
            )
    print_site_problems(report)
    console.print(f"{report.summary()} → {_shown(report.out_dir)}", highlight=False, soft_wrap=True)


def print_site_problems(report: SiteReport) -> None:
    """Catalogs that could not be compiled and refused translations, one line each (preview
    prints them after every rebuild: a translator's broken save must not pass unnoticed)."""
    for diagnostic in report.catalog_errors:
        err_console.print(
            f"  [yellow]catalog[/] {escape(diagnostic.format())}", highlight=False, soft_wrap=True
        )
    # One line per refused translation, however many pages showed it.
    pages_of: dict[object, list[str]] = {}
    for found in report.problems:
        pages_of.setdefault(found.problem, []).append(found.site_path)
    for problem, pages in pages_of.items():
        where = pages[0] if len(pages) == 1 else f"{pages[0]} and {len(pages) - 1} more"
        err_console.print(
            f"  [yellow]warning[/] {escape(problem.describe())} ({escape(where)})",  # type: ignore[attr-defined]
            highlight=False,
            soft_wrap=True,
        )


_SITE_HELP = (
    "Render dist/site/: article pages, language indexes, the language chooser, sitemap.xml and "
    "an Atom feed per language.\n\n"
    "Catalogs whose .mo is missing or out of date are compiled first. A language is published "
    "for an article when its coverage reaches coverage_threshold; the others are left out of "
    "every page, switcher, sitemap and feed. Only files whose content changed are rewritten."
)


@build_app.command("site", help=_SITE_HELP)
@guarded
def build_site_command(
    locales: Annotated[
        list[str] | None,
        typer.Option(
            "--locale",
            "-l",
            metavar="LOCALE",
            help="Build only this locale's pages (repeatable). Default: every configured locale.",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Exit with status 1 when a translation was refused (invalid or unsafe) or a "
            "catalog could not be read or compiled (its language keeps its last good compile).",
        ),
    ] = False,
    wait: WaitOption = None,
) -> None:
    """Render the static site into dist/site/."""
    # Imported here: the other commands (a translator's `pubflow check`) need no renderer.
    from pubflow.render.publishing import requested_locales
    from pubflow.render.site import render_site
    from pubflow.runlock import project_run_lock

    settings = settings_from()
    progress = _progress()
    task = progress.add_task("", total=None)

    def advance(done: int, total: int, what: str) -> None:
        progress.update(task, completed=done, total=total, description=what)

    requested_locales(settings, locales or None)  # bad input is refused before the lock file exists
    # One whole-project job at a time (see pubflow.runlock): a busy project is reported
    # before any work starts.
    with project_run_lock(settings, "pubflow build site", wait=wait):
        with progress if err_console.is_terminal else contextlib.nullcontext():
            report = render_site(settings, locales or None, progress=advance)
    print_site_report(report)
    if strict and (report.problems or report.catalog_errors):
        raise typer.Exit(EXIT_PROBLEMS)


# `pubflow build newsletter ISSUE` lives in pubflow.cli.newsletter and registers itself on
# build_app when imported (here, after build_app exists).
from pubflow.cli import newsletter as _newsletter  # noqa: E402,F401
