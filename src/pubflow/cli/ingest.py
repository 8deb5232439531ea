"""`pubflow ingest PATH...`: source articles → ``content/articles/<slug>.md``."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from pubflow.cli.common import app, console, err_console, fail, guarded, settings_from
from pubflow.errors import ConfigError, PubflowError
from pubflow.ingest import ingest, plan_ingest


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(
            f"--date {value!r} is not a date", hint="use YYYY-MM-DD, e.g. --date 2026-11-25"
        ) from None


def _shown(path: Path) -> str:
    """``path`` relative to the cwd when it is below it (what the user typed), else as is."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _progress(total: int) -> Progress | None:
    """A progress bar on stderr when there is more than one file to read (terminals only)."""
    if total < 2 or not err_console.is_terminal:
        return None
    return Progress(
        TextColumn("reading sources"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err_console,
        transient=True,
    )


_HELP = (
    "Read source articles and write content/articles/<slug>.md for each.\n\n"
    "Every source is read and checked before anything is written (all or nothing). A canonical "
    "file edited by hand is never replaced without --force; re-ingesting an unchanged source "
    "changes nothing."
)


@app.command("ingest", help=_HELP)
@guarded
def ingest_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Source articles: scraped blog text (.txt), Markdown with front matter "
            "(.md, .markdown) or a saved HTML page (.html, .htm).",
            metavar="PATH",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the parsed article(s) as JSON (one object, or a list) and write nothing.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace canonical files that were edited by hand."),
    ] = False,
    keep_edited: Annotated[
        bool,
        typer.Option(
            "--keep-edited",
            help="Leave canonical files that were edited by hand as they are (status 'kept') "
            "instead of stopping; `make publish` uses this.",
        ),
    ] = False,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            help="Publication date of new articles (default: today). "
            "An existing article keeps its date.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Read source articles and write content/articles/<slug>.md for each, all or nothing."""
    if force and keep_edited:
        # Opposite answers to one question (replace hand edits?): refuse rather than pick one.
        raise fail("--force replaces hand-edited articles and --keep-edited keeps them: give one of the two")
    publication_date = _parse_date(date)
    settings = settings_from()
    articles_dir = settings.articles_path
    progress = _progress(len(paths))
    task = progress.add_task("", total=len(paths)) if progress else None

    def advance(source: Path) -> None:
        if progress is not None and task is not None:
            progress.update(task, advance=1, description=source.name)

    try:
        with progress if progress is not None else contextlib.nullcontext():
            if as_json:
                planned = plan_ingest(
                    paths, articles_dir, date=publication_date, lang=settings.source_locale,
                    on_read=advance,
                )
            else:
                results = ingest(
                    paths, articles_dir, force=force, keep_edited=keep_edited,
                    date=publication_date, lang=settings.source_locale, on_read=advance,
                    workers=settings.workers, settings=settings,
                )
    except PubflowError as exc:
        if exc.path is not None:
            exc.path = Path(_shown(exc.path))  # the user typed relative paths: answer in kind
        raise
    if as_json:
        data = [item.article.to_dict() for item in planned]
        payload = data[0] if len(paths) == 1 else data  # the shape follows the arguments
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for result in results:
        article = result.article
        console.print(
            f"{result.status:<9} {_shown(result.path)}  "
            f"({len(article.tips)} tips, {len(article.faq)} FAQ, {len(article.related)} related; "
            f"from {_shown(result.source)})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
