"""Subscriber lists as CSV: import (validated, idempotent) and export (re-importable).

Import rules, so that running the same import twice changes nothing and nobody who left is
ever signed up again by accident:

- the header names the columns: ``email`` is required, ``locale`` and ``status`` are optional
  (other columns are ignored and named in the report); an empty locale means the source locale;
- addresses are checked with email-validator (syntax only, no DNS) and stored in their
  normalised ASCII form (``Ana@EXAMPLE.org`` → ``Ana@example.org``, IDN domains as punycode);
  addresses that need SMTPUTF8 (non-ASCII before the ``@``) are refused, since many relays
  cannot deliver them;
- locales must be well formed, known, and one this project publishes;
- a bad row is reported as ``file:line: reason`` and skipped; the good rows are imported in one
  transaction;
- a new address is added as active; an active one gets the row's locale; an ``unsubscribed`` or
  ``bounced`` one stays so (reported as kept) unless ``resubscribe=True``, which an operator
  should only use with the person's fresh consent;
- a ``status`` column of ``unsubscribed`` or ``bounced`` (as written by export) applies that
  status: exporting and importing into a new database keeps the suppression list.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from email_validator import EmailNotValidError

from pubflow.deliver.subscribers import (
    STATUSES,
    Status,
    SubscriberStore,
    new_secret,
    normalise_email,
    transaction,
    utc_now,
)
from pubflow.errors import ConfigError, DeliveryError
from pubflow.fsutil import atomic_write_text
from pubflow.locales import PSEUDO_LOCALE, validate_locale

EXPORT_COLUMNS = ("email", "locale", "status", "status_reason", "created_at", "updated_at")


@dataclass(frozen=True)
class RowProblem:
    """A CSV row that was not imported, and why."""

    path: Path
    line: int
    reason: str

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did, row by row counted."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    resubscribed: int = 0
    kept_inactive: int = 0
    suppressed: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def imported(self) -> int:
        """Rows that were valid (whether or not they changed anything)."""
        return (
            self.added
            + self.updated
            + self.unchanged
            + self.resubscribed
            + self.kept_inactive
            + self.suppressed
        )


@dataclass(frozen=True)
class _Row:
    line: int
    email: str
    locale: str
    status: Status | None


def normalise_locale(text: str) -> str:
    """``pt-br`` / ``PT_BR`` → ``pt_BR`` (gettext form); the result is validated separately."""
    parts = [part for part in re.split(r"[-_]", text.strip()) if part]
    if not parts:
        return ""
    fixed = [parts[0].lower()]
    for part in parts[1:]:
        fixed.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part)
    return "_".join(fixed)


def _read_rows(
    path: Path, publishable: Sequence[str], source_locale: str, report: ImportReport
) -> Iterator[_Row]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DeliveryError(
            f"cannot read the subscriber list: {exc.strerror or exc}",
            path=path,
            hint="check the file name",
        ) from exc
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise _unreadable(path, 1, exc) from exc
        names = [name.strip().lower() for name in header or []]
        if "email" not in names:
            raise DeliveryError(
                "the first line must be a header naming an `email` column",
                path=path,
                line=1,
                hint="start the file with: email,locale",
            )
        for name in ("email", "locale", "status"):
            if names.count(name) > 1:
                # Which one is meant? Taking the first would drop the other's values unseen.
                raise DeliveryError(
                    f"the header names the `{name}` column twice",
                    path=path,
                    line=1,
                    hint="keep one of them (rename or delete the other column)",
                )
        report.ignored_columns = [n for n in names if n not in ("email", "locale", "status") and n]
        column: dict[str, int] = {
            name: names.index(name) for name in ("email", "locale", "status") if name in names
        }
        first_line: dict[str, int] = {}  # lowercased address → line of its first appearance
        next_start = reader.line_num + 1
        while True:
            start = next_start
            try:
                cells = next(reader, None)
            except (UnicodeDecodeError, csv.Error) as exc:
                raise _unreadable(path, start, exc) from exc
            if cells is None:
                return
            next_start = reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if any(cell.strip() for cell in cells[len(names) :]):
                # More values than columns: a comma inside an unquoted value shifted them.
                report.problems.append(
                    RowProblem(
                        path,
                        start,
                        f"{len(cells)} values but the header names {len(names)} columns "
                        '(put a value that contains a comma in double quotes: "…, …")',
                    )
                )
                continue
            values = {
                name: cells[index].strip() if index < len(cells) else ""
                for name, index in column.items()
            }
            checked = _check_row(values, publishable, source_locale)
            if isinstance(checked, str):
                if reader.line_num > start:
                    # One quoted value ran over several lines: often a quote never closed.
                    checked += (
                        f" (a quoted value runs from line {start} to {reader.line_num}: "
                        "is a closing quote missing?)"
                    )
                report.problems.append(RowProblem(path, start, checked))
                continue
            email, locale, status = checked
            key = email.lower()
            if key in first_line:
                report.problems.append(
                    RowProblem(path, start, f"duplicate of line {first_line[key]} ({email})")
                )
                continue
            first_line[key] = start
            yield _Row(start, email, locale, status)


def _check_row(
    values: dict[str, str], publishable: Sequence[str], source_locale: str
) -> tuple[str, str, Status | None] | str:
    """(email, locale, status) of a valid row, else the reason it is not."""
    raw_email = _uninert(values.get("email", ""))  # as an export wrote it
    if not raw_email:
        return "no email address"
    try:
        email = normalise_email(raw_email)
    except EmailNotValidError as exc:
        return f"invalid email address {raw_email!r}: {exc}"
    locale = normalise_locale(values.get("locale", "")) or source_locale
    try:
        validate_locale(locale, where="locale")
    except ConfigError as exc:
        return exc.message
    if locale == PSEUDO_LOCALE:
        return (
            f"locale {locale!r} is the pseudo-locale for checking layouts, not a language anyone "
            "reads: give the subscriber's real language"
        )
    if locale not in publishable:
        return f"locale {locale!r} is not one we publish (choose one of {', '.join(publishable)})"
    status = values.get("status", "").lower()
    if status and status not in STATUSES:
        return f"unknown status {status!r} (use {', '.join(STATUSES)} or leave empty)"
    return email, locale, status or None


def _unreadable(path: Path, line: int, exc: Exception) -> DeliveryError:
    if isinstance(exc, UnicodeDecodeError):
        return DeliveryError(
            "the file is not UTF-8 text", path=path, line=line, hint="save it as UTF-8 CSV"
        )
    return DeliveryError(
        f"not a readable CSV file: {exc}", path=path, line=line, hint="fix the CSV"
    )


def import_subscribers_csv(
    store: SubscriberStore,
    path: Path,
    *,
    publishable_locales: Sequence[str],
    source_locale: str,
    resubscribe: bool = False,
) -> ImportReport:
    """Import ``path`` into ``store`` under the rules in the module docstring."""
    report = ImportReport()
    rows = list(_read_rows(path, publishable_locales, source_locale, report))
    conn = store.conn
    now = utc_now()
    with transaction(conn):
        for row in rows:
            existing = store.find(row.email)
            if existing is None:
                status: Status = row.status or "active"
                reason = f"imported as {status} from {path.name}" if status != "active" else None
                conn.execute(
                    "INSERT INTO subscribers (email, locale, status, status_reason, secret, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (row.email, row.locale, status, reason, new_secret(), now, now),
                )
                report.added += 1
            elif row.status in ("unsubscribed", "bounced"):
                if existing.status == "active":
                    conn.execute(
                        "UPDATE subscribers SET status = ?, status_reason = ?, updated_at = ? "
                        "WHERE id = ?",
                        (
                            row.status,
                            f"imported as {row.status} from {path.name}",
                            now,
                            existing.id,
                        ),
                    )
                    report.suppressed += 1
                else:
                    report.unchanged += 1
            elif existing.status != "active":
                if resubscribe:
                    conn.execute(
                        "UPDATE subscribers SET status = 'active', locale = ?, status_reason = ?, "
                        "updated_at = ? WHERE id = ?",
                        (row.locale, f"resubscribed by import of {path.name}", now, existing.id),
                    )
                    report.resubscribed += 1
                else:
                    report.kept_inactive += 1
            elif existing.locale != row.locale:
                conn.execute(
                    "UPDATE subscribers SET locale = ?, updated_at = ? WHERE id = ?",
                    (row.locale, now, existing.id),
                )
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def write_subscribers_csv(
    store: SubscriberStore, out: TextIO, *, statuses: Sequence[str] | None = None
) -> int:
    """Write subscribers as CSV (the import format plus status and dates); return the count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for subscriber in store.iter(statuses=statuses):
        writer.writerow(
            [
                _inert(subscriber.email),
                subscriber.locale,
                subscriber.status,
                _inert(subscriber.status_reason or ""),
                subscriber.created_at,
                subscriber.updated_at,
            ]
        )
        count += 1
    return count


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: str) -> str:
    """``value`` as a spreadsheet shows it, never runs it: a leading ``'`` before a cell that
    starts like a formula (an address may be ``=1+2@example.org``; a bounce reason is what a
    mail server said). Import takes the quote off again (see :func:`_uninert`)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _uninert(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS) else value


def export_subscribers_csv(
    store: SubscriberStore, path: Path, *, statuses: Sequence[str] | None = None
) -> int:
    """Write the export to ``path`` atomically; return how many subscribers it holds."""
    if not path.parent.is_dir() and not path.parent.parent.is_dir():
        # One new folder (out/export.csv) is made; a mistyped path is not created with all
        # its parents for the export.
        raise DeliveryError(
            f"the folder {path.parent.parent} does not exist",
            path=path,
            hint="create it, or export elsewhere",
        )
    buffer = io.StringIO()
    count = write_subscribers_csv(store, buffer, statuses=statuses)
    try:
        atomic_write_text(path, buffer.getvalue())
    except OSError as exc:
        raise DeliveryError(
            f"cannot write the export: {exc.strerror or exc}", path=path, hint="check the folder"
        ) from exc
    return count
