"""`pubflow preview [--port 8000]`: build, serve dist/site/ locally, rebuild when a .po changes."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pubflow.cli.build import print_site_problems, print_site_report
from pubflow.cli.common import console, err_console, guarded, settings_from, app
from pubflow.render.preview import Preview

if TYPE_CHECKING:
    from pubflow.render.site import SiteReport

_HELP = (
    "Build the site, serve dist/site/ on the configured host (127.0.0.1 by default) and rebuild "
    "whenever a catalog (.po), article, newsletter issue or template changes; newsletter issues "
    "built before are rebuilt too (their web copies: <lang>/newsletter/<issue>/). Reload the "
    "browser to see the result. Stop with Ctrl-C."
)


@app.command("preview", help=_HELP)
@guarded
def preview_command(
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            "-p",
            min=0,
            max=65535,
            help="Port to serve on (default: preview_port, 8000).",
            show_default=False,
        ),
    ] = None,
    locales: Annotated[
        list[str] | None,
        typer.Option(
            "--locale",
            "-l",
            metavar="LOCALE",
            help="Rebuild only this locale's pages (repeatable; faster for a translator).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the site locally and rebuild on changes."""
    settings = settings_from()

    def log(message: str) -> None:
        err_console.print(escape(message), highlight=False, soft_wrap=True)

    preview = Preview(settings, port=port, locales=locales, log=log)
    with preview:
        report = preview.start()
        if report is not None:
            print_site_report(report)
        console.print(f"Serving {preview.url} (Ctrl-C to stop)", highlight=False)
        if report is not None:
            for locale, slugs in report.published.items():
                if slugs:
                    console.print(f"  {locale}: {preview.url}{locale}/", highlight=False)
        stop = threading.Event()
        try:
            preview.watch(stop, on_rebuild=_say_what_went_wrong)
        except KeyboardInterrupt:
            stop.set()
    console.print("preview stopped")


def _say_what_went_wrong(report: SiteReport | None) -> None:
    """After each rebuild, what went wrong in it: a broken .po saved by a translator, a
    refused translation (its page shows the source text instead)."""
    if report is not None:
        print_site_problems(report)
