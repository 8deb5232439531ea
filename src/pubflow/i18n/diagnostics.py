"""What checking and compiling catalogs report: diagnostics and per-catalog results.

Kept apart from :mod:`pubflow.i18n.checks` and :mod:`pubflow.i18n.compile` (which re-export
everything here) so that a build with nothing to compile can replay saved reports without
importing the checkers: a no-op rebuild's time is mostly spent on such imports and stat calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pubflow.i18n.states import State

if TYPE_CHECKING:  # not imported at run time: this module stays light (see above)
    from pubflow.fingerprint import WrittenFile

__all__ = [
    "CatalogResult",
    "CompileReport",
    "Diagnostic",
    "Severity",
    "Status",
    "diagnostic_from_dict",
    "diagnostic_to_dict",
    "has_errors",
]


class Severity(StrEnum):
    """Errors hold an entry back from publishing; warnings are worth a look."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One finding: where it is, how bad it is, which check found it and what to do."""

    severity: Severity
    check: str
    message: str
    path: Path | None = None
    line: int | None = None

    def format(self) -> str:
        """``path:line: error: check-name: message`` (path and line left out when unknown)."""
        text = f"{self.severity}: {self.check}: {self.message}"
        if self.path is None:
            return text
        location = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{location}: {text}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """True when any diagnostic is an error."""
    return any(diagnostic.severity is Severity.ERROR for diagnostic in diagnostics)


def diagnostic_to_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    """A diagnostic as JSON-ready data (sidecars and build state replay it)."""
    return {
        "severity": diagnostic.severity.value,
        "check": diagnostic.check,
        "message": diagnostic.message,
        "path": str(diagnostic.path) if diagnostic.path is not None else None,
        "line": diagnostic.line,
    }


def diagnostic_from_dict(data: Mapping[str, Any]) -> Diagnostic:
    """The diagnostic :func:`diagnostic_to_dict` saved."""
    return Diagnostic(
        Severity(data["severity"]),
        str(data["check"]),
        str(data["message"]),
        Path(data["path"]) if data.get("path") else None,
        data.get("line"),
    )


Status = Literal["compiled", "unchanged", "failed", "template-only", "removed"]


@dataclass(frozen=True)
class CatalogResult:
    """What happened to one locale + domain."""

    locale: str
    domain: str
    status: Status
    counts: dict[State, int] = field(default_factory=dict)
    written: tuple[Path, ...] = ()  # compiled files actually (re)written or removed this run
    # SHA-256 of the .po (or .pot) bytes this result is about: lets a later build in the same
    # process trust these compiled files without reading the catalog again (catalog_inputs).
    source_sha256: str | None = None
    # The compiled files as this compile left them (see fingerprint.written_file): the build
    # process learns their hashes from the worker that wrote them instead of reading them.
    outputs: tuple[WrittenFile, ...] = ()
    # The catalog this result was compiled from, as it was read (see fingerprint.read_known).
    source_file: WrittenFile | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class CompileReport:
    """Results per catalog and the diagnostics of left-out entries and unreadable catalogs."""

    results: list[CatalogResult] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def with_status(self, *statuses: Status) -> list[CatalogResult]:
        return [result for result in self.results if result.status in statuses]

    @property
    def compiled(self) -> list[CatalogResult]:
        return self.with_status("compiled", "template-only")

    @property
    def unchanged(self) -> list[CatalogResult]:
        return self.with_status("unchanged")

    @property
    def failed(self) -> list[CatalogResult]:
        return self.with_status("failed")

    @property
    def written(self) -> list[Path]:
        """Every compiled file written or removed by this run (empty: nothing changed)."""
        return [path for result in self.results for path in result.written]

    @property
    def has_errors(self) -> bool:
        return has_errors(self.diagnostics)

    def summary(self) -> str:
        """One line for logs and artifacts."""
        left_out = sum(result.counts.get(State.INVALID, 0) for result in self.results)
        return (
            f"{len(self.compiled)} compiled, {len(self.unchanged)} unchanged, "
            f"{len(self.failed)} unreadable; {left_out} invalid entries left out"
        )
