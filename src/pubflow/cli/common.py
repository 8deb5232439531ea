"""Shared CLI plumbing: the Typer app, settings loading and error reporting.

User errors (:class:`~pubflow.errors.PubflowError`) print one line on stderr and exit 2; no
traceback. Exit 1 is reserved for "ran, but found problems" (failed checks, failed entries).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from pubflow.config import Settings, find_root, load_settings, mistyped_variables, require_project
from pubflow.errors import PubflowError

LocalesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--locale",
        "-l",
        metavar="LOCALE",
        help="Only these locales (repeat for several). Default: every configured target.",
        show_default=False,
    ),
]
"""The ``--locale`` option of the catalog verbs (check, stats, catalogs update)."""

DomainsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--domain",
        "-d",
        metavar="DOMAIN",
        help="Only these domains (repeat for several). Default: all.",
        show_default=False,
    ),
]
"""The ``--domain`` option of the catalog verbs."""

app = typer.Typer(
    name="pubflow",
    help="Multilingual publishing: ingest articles, manage translations, build pages and newsletters.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from pubflow import __version__

        print(f"pubflow {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Multilingual publishing: ingest articles, manage translations, build pages and newsletters."""

EXIT_PROBLEMS = 1
EXIT_USER_ERROR = 2

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = EXIT_USER_ERROR) -> typer.Exit:
    """Print ``pubflow: error: message`` on stderr and return the Exit to raise."""
    # soft_wrap: the message stays one line (Rich would break it at 80 columns in pipes/CI).
    err_console.print(
        f"[bold red]pubflow: error:[/] {message}", highlight=False, markup=True, soft_wrap=True
    )
    return typer.Exit(code)


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Turn :class:`PubflowError` (and Ctrl-C) into one clear line and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PubflowError as exc:
            # Escape Rich markup: file names and messages may contain [brackets].
            raise fail(escape(exc.describe())) from None
        except KeyboardInterrupt:
            err_console.print("pubflow: interrupted")
            raise typer.Exit(130) from None
        except OSError as exc:
            # A folder made read-only, a full disk, a file another program holds: not a bug
            # of ours, and the stages clean up their temporary files on the way out.
            if exc.filename is None:
                raise
            where = os.fsdecode(exc.filename)
            raise fail(
                escape(
                    f"{where}: {exc.strerror or exc} — check the folders on this path (a file "
                    "in the way, permissions, free space) and run the command again"
                )
            ) from None

    return wrapper


def settings_from(root: Path | None = None, **overrides: Any) -> Settings:
    """Load settings, applying CLI overrides that were given (None means not given); a folder
    that is not a pubflow project (no ``[tool.pubflow]`` there or above) is refused."""
    project = (root or find_root()).resolve()
    require_project(project)
    settings = load_settings(project, **overrides)
    for variable, meant in mistyped_variables():
        warn(f"{variable} is not a setting (did you mean {meant}?); it is ignored")
    return settings


def warn(message: str) -> None:
    """Print ``pubflow: warning: message`` on stderr (one line, however wide the terminal)."""
    err_console.print(
        f"[yellow]pubflow: warning:[/] {escape(message)}", highlight=False, soft_wrap=True
    )
