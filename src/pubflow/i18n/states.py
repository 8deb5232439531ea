"""Translation states of catalog entries: reviewed, machine, stale, missing, invalid.

The state is derived from the entry itself (see the table in ``docs/architecture.md``), never
stored separately, so whatever a translator does in Poedit or a text editor is the truth:

* missing  — every msgstr is empty;
* reviewed — translated and not ``fuzzy``;
* machine  — ``fuzzy``, a provenance translator comment ``# machine-translated: <backend>
  <YYYY-MM-DD>`` and no previous msgid (``#|``);
* stale    — any other ``fuzzy`` entry (typically one with ``#| msgid`` after the source changed);
* invalid  — fails an error-level check; takes precedence over everything but missing. A
  plural entry with some forms filled and some empty is always invalid (it cannot be shown),
  even with ``checks=False``.

Obsolete (``#~``) entries have no state of their own: callers skip them.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

import polib


class State(StrEnum):
    """What a catalog entry is worth for publishing."""

    REVIEWED = "reviewed"
    MACHINE = "machine"
    STALE = "stale"
    MISSING = "missing"
    INVALID = "invalid"


PROVENANCE_PREFIX = "machine-translated:"
"""Start of the translator comment that marks a machine suggestion (kept by msgmerge and Babel)."""

# "machine-translated: google 2026-11-25" — the backend is one word (letters, digits, -_.).
_PROVENANCE_LINE = re.compile(
    rf"^{re.escape(PROVENANCE_PREFIX)}\s*(?P<backend>[\w.-]+)\s+(?P<day>\d{{4}}-\d{{2}}-\d{{2}})\s*$"
)


def provenance_comment(backend: str, day: date) -> str:
    """The translator comment line (without ``# ``) that marks a machine translation."""
    if not backend or not re.fullmatch(r"[\w.-]+", backend):
        raise ValueError(f"backend name {backend!r} must be one word (letters, digits, - _ .)")
    return f"{PROVENANCE_PREFIX} {backend} {day.isoformat()}"


def _provenance_lines(entry: polib.POEntry) -> list[str]:
    return [
        line.strip()
        for line in (entry.tcomment or "").splitlines()
        if line.strip().startswith(PROVENANCE_PREFIX)
    ]


def parse_provenance(entry: polib.POEntry) -> tuple[str, date] | None:
    """``(backend, day)`` from the entry's provenance marker, or None when it has none.

    A marker whose date does not parse gives None here, but still marks the entry as machine
    (see :func:`entry_state`): a typo in the date must not turn a suggestion into "stale".
    When several markers exist (re-translated later), the last one wins.
    """
    for line in reversed(_provenance_lines(entry)):
        match = _PROVENANCE_LINE.match(line)
        if match:
            try:
                return match["backend"], date.fromisoformat(match["day"])
            except ValueError:
                continue
    return None


def has_provenance(entry: polib.POEntry) -> bool:
    """True when a translator comment starts with :data:`PROVENANCE_PREFIX`."""
    return bool(_provenance_lines(entry))


def has_previous(entry: polib.POEntry) -> bool:
    """True when the entry keeps a previous msgid/msgctxt (``#|`` lines)."""
    return bool(entry.previous_msgid or entry.previous_msgid_plural or entry.previous_msgctxt)


def translations(entry: polib.POEntry) -> list[str]:
    """Every msgstr of the entry (one for a singular entry, one per form for a plural one)."""
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def is_untranslated(entry: polib.POEntry) -> bool:
    """True when every msgstr of the entry is empty."""
    return not any(translations(entry))


def is_partial(entry: polib.POEntry) -> bool:
    """True for a plural entry with some forms filled and others empty."""
    forms = translations(entry)
    return any(forms) and not all(forms)


def entry_state(
    entry: polib.POEntry,
    *,
    locale: str | None = None,
    checks: bool = True,
    domain: str | None = None,
) -> State:
    """The state of one (non-obsolete) entry.

    ``locale`` lets the checks verify the plural-form count; ``checks=False`` skips the checks
    (fast, for callers that run them separately and already know the entry is valid).
    """
    if is_untranslated(entry):
        return State.MISSING
    if is_partial(entry) or (checks and entry_has_errors(entry, locale=locale, domain=domain)):
        return State.INVALID
    if not entry.fuzzy:
        return State.REVIEWED
    if has_provenance(entry) and not has_previous(entry):
        return State.MACHINE
    return State.STALE


def entry_has_errors(
    entry: polib.POEntry, *, locale: str | None = None, domain: str | None = None
) -> bool:
    """True when an error-level check fails on the entry (see :mod:`pubflow.i18n.checks`),
    checked as its ``domain`` shows it (None: every check)."""
    # Imported here so that importing the states never pulls in the checks (and their deps).
    from pubflow.i18n.checks import EntryText, check_entry, for_domain, has_errors

    return has_errors(check_entry(for_domain(EntryText.from_polib(entry), domain), locale=locale))
