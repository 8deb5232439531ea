"""`pubflow build newsletter ISSUE... | --all`: one email per published language, checked, with a web copy."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from pubflow.cli.build import WaitOption, build_app
from pubflow.cli.common import EXIT_PROBLEMS, console, err_console, fail, guarded, settings_from
from pubflow.ingest.newsletter import issue_path
from pubflow.newsletter import NewsletterReport, render_newsletter, render_newsletters
from pubflow.render.publishing import requested_locales
from pubflow.runlock import project_run_lock


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def print_newsletter_report(report: NewsletterReport) -> None:
    """Per locale: built (subject, HTML size) or failed (every error); warnings; the summary."""
    for result in report.locales:
        if result.status == "built":
            html = result.file("email.html")
            console.print(
                f"  {result.locale}: {escape(result.subject or '')!s}  "
                f"[dim]({html.size / 1024:.1f} KB HTML)[/]",
                highlight=False,
                soft_wrap=True,
            )
        else:
            for line in result.describe_failure().splitlines():
                err_console.print(f"  [bold red]failed[/] {escape(line)}", highlight=False, soft_wrap=True)
        for finding in result.warnings:
            err_console.print(
                f"  [yellow]warning[/] {result.locale}: {escape(finding.describe(severity=False))}",
                highlight=False,
                soft_wrap=True,
            )
    for skipped in report.skipped:
        err_console.print(f"  [yellow]skipped[/] {escape(skipped.describe())}", highlight=False, soft_wrap=True)
    console.print(
        f"{report.summary().rsplit(' → ', 1)[0]} → {_shown(report.out_dir)}",
        highlight=False,
        soft_wrap=True,
    )


_HELP = (
    "Render newsletter ISSUE (content/newsletters/ISSUE.toml) for every language its article is "
    "published in: dist/newsletter/ISSUE/<lang>/email.{mjml,html,txt,eml} and the web copy "
    "dist/site/<lang>/newsletter/ISSUE/index.html.\n\n"
    "Catalogs that are out of date are compiled first. Every language is checked before "
    "anything of it is written (MJML tags and attributes, HTML size against Gmail's 102 KB "
    "clipping, https links with UTM tags, image alt texts, one-line subject and preheader); "
    "a language that fails is reported and left out, the others are built. Several issues, or "
    "--all for every issue in content/newsletters/, are built in one pass; an issue that cannot "
    "be built at all is reported and the others are still built. Exit status 1 when a language "
    "or an issue failed."
)


@build_app.command("newsletter", help=_HELP)
@guarded
def build_newsletter_command(
    issues: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[ISSUE]...",
            help="Issue ids, e.g. 2026-12 (several are built together).",
            show_default=False,
        ),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Build every issue in content/newsletters/.")
    ] = False,
    locales: Annotated[
        list[str] | None,
        typer.Option(
            "--locale",
            "-l",
            metavar="LOCALE",
            help="Build only this language (repeatable). Default: every published language.",
            show_default=False,
        ),
    ] = None,
    wait: WaitOption = None,
) -> None:
    """Render newsletter issues for every published language."""
    settings = settings_from()
    if every and issues:
        raise fail("name issues or use --all, not both")
    if every:
        ids = sorted(path.stem for path in settings.newsletters_path.glob("*.toml"))
        if not ids:
            raise fail(
                f"no newsletter issue in {_shown(settings.newsletters_path)}/: add ISSUE.toml files "
                "(see README, \"Newsletters\")"
            )
    elif issues:
        ids = list(dict.fromkeys(issues))
    else:
        raise fail("name an issue (e.g. `pubflow build newsletter 2026-12`) or use --all")
    progress = Progress(
        TextColumn("rendering"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}", markup=False),
        console=err_console,
        transient=True,
    )
    task = progress.add_task("", total=None)

    def advance(done: int, total: int, what: str) -> None:
        progress.update(task, completed=done, total=total, description=what)

    # Bad input is refused before the project run lock (and its file) is taken. Under --all
    # a file whose name is no issue id is one failed issue (reported below), not a refusal
    # of every issue: the others are built.
    for issue in [] if every else ids:
        issue_path(settings.newsletters_path, issue)
    requested_locales(settings, locales or None)
    what = "--all" if every else " ".join(ids)
    with project_run_lock(settings, f"pubflow build newsletter {what}", wait=wait):
        with progress if err_console.is_terminal else contextlib.nullcontext():
            if len(ids) == 1:
                reports = [render_newsletter(settings, ids[0], locales or None, progress=advance)]
            else:
                # One pass: one compile check, one plan and one pool of workers for all of them.
                reports = render_newsletters(settings, ids, locales or None, progress=advance)
    broken = False
    for report in reports:
        if len(reports) > 1:
            console.print(f"[bold]{escape(report.issue_id)}[/]", highlight=False)
        if report.error is not None:
            err_console.print(
                f"  [bold red]error[/] {escape(report.error.describe())}", highlight=False, soft_wrap=True
            )
            broken = True
            continue
        print_newsletter_report(report)
        broken = broken or bool(report.failed)
    if broken:
        raise typer.Exit(EXIT_PROBLEMS)
