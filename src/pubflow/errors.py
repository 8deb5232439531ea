"""One exception hierarchy for every error a user, translator or operator can cause.

The CLI and the flows catch :class:`PubflowError` and print :meth:`PubflowError.describe`
(one line, ``file:line: what happened — what to do``) instead of a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path


class PubflowError(Exception):
    """Base class: an error the user can fix, with where it happened and what to do."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint

    @property
    def location(self) -> str:
        """``file:line`` (or just ``file``) when known, else an empty string."""
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else str(self.path)

    def describe(self) -> str:
        """The one line a user sees: location, message and what to do next."""
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text = f"{text} — {self.hint}"
        return text

    def __str__(self) -> str:
        return self.describe()


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)")


def toml_problem(exc: ValueError) -> tuple[str, int | None]:
    """What a :class:`tomllib.TOMLDecodeError` says, without its position, and its line.

    The line goes into the error's ``file:line`` location; repeating it in the message would
    say it twice."""
    text = str(exc)
    found = _TOML_POSITION.search(text)
    return _TOML_POSITION.sub("", text).strip(), int(found.group(1)) if found else None


class ConfigError(PubflowError):
    """A setting in pyproject.toml, the environment or a flow parameter is invalid."""


class IngestError(PubflowError):
    """A source article cannot be read into the model."""


class CatalogError(PubflowError):
    """A gettext catalog cannot be read, merged, locked or written."""


class CatalogLockedError(CatalogError):
    """Another pubflow run holds a catalog's lock (that run is doing the work: stop, not skip)."""


class CheckError(PubflowError):
    """A catalog or rendered output failed an error-level check."""


class TranslationError(PubflowError):
    """A machine-translation backend failed in a way that stops the whole run."""


class RenderError(PubflowError):
    """A page or newsletter cannot be rendered."""


class DeliveryError(PubflowError):
    """Subscribers, sending or unsubscribing failed."""
