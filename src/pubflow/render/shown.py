"""What a render showed: the data types shared by every renderer and its reports.

Kept apart from :mod:`pubflow.render.environment` (which imports Jinja2 and Babel's date
formatting) so that a build with nothing to render — reading its state, replaying reports —
never imports the template engine. :mod:`pubflow.render.environment` re-exports all of these.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from markupsafe import Markup, escape

from pubflow.i18n.states import State

UI_DOMAIN = "messages"
"""Gettext domain of every template's UI strings."""

class Notice(StrEnum):
    """Page-level notices about what the reader sees instead of a reviewed translation."""

    UNTRANSLATED = "untranslated"  # source text shown: missing, invalid, or a hidden suggestion
    UPDATING = "updating"  # source text shown because the translation is stale
    MACHINE = "machine"  # machine translation shown (``machine`` publish policy)


class ShownMessage(NamedTuple):
    """One message as it was shown: where from, what, and in which state (a named tuple, as
    :class:`Shown`: one per content string shown)."""

    domain: str
    msgid: str
    context: str | None
    state: State
    fallback: bool


@dataclass(frozen=True)
class RenderProblem:
    """Something in a catalog the renderer refused to publish as is (it showed something safe)."""

    locale: str
    domain: str
    msgid: str
    kind: str  # "invalid", "markup-escaped" or "placeholders"
    message: str

    def describe(self) -> str:
        return f"{self.locale} [{self.domain}] {self.msgid[:60]!r}: {self.message}"


@dataclass
class TranslationRecord:
    """What one render showed, so a page can carry notices and a build can report problems."""

    shown: list[ShownMessage] = field(default_factory=list)
    problems: list[RenderProblem] = field(default_factory=list)

    def add(self, message: ShownMessage) -> None:
        self.shown.append(message)

    def report(self, problem: RenderProblem) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    def domains(self) -> frozenset[str]:
        """Every catalog domain a message was shown from."""
        return frozenset(message.domain for message in self.shown)

    def states(self) -> frozenset[State]:
        """Every state that was shown at least once."""
        return frozenset(message.state for message in self.shown)

    def notices(self) -> frozenset[Notice]:
        """The notice kinds the shown states call for."""
        found: set[Notice] = set()
        for message in self.shown:
            if message.state is State.MACHINE and not message.fallback:
                found.add(Notice.MACHINE)
            elif message.state is State.STALE:
                found.add(Notice.UPDATING)
            elif message.fallback:
                found.add(Notice.UNTRANSLATED)
        return frozenset(found)

    def merge(self, other: TranslationRecord) -> None:
        self.shown.extend(other.shown)
        for problem in other.problems:
            self.report(problem)


_current_record: contextvars.ContextVar[TranslationRecord | None] = contextvars.ContextVar(
    "pubflow_translation_record", default=None
)


def _record(message: ShownMessage, problems: Sequence[RenderProblem] = ()) -> None:
    record = _current_record.get()
    if record is not None:
        record.add(message)
        for problem in problems:
            record.report(problem)


class TranslatedMarkup(Markup):
    """A translated UI string (safe HTML) that remembers the language it is actually in."""

    lang: str | None = None  # BCP 47 tag when it differs from the page's language
    page_lang: str | None = None  # BCP 47 tag of the page's language
    state: State | None = None


class TranslatedText(str):
    """A translated UI string for plain-text templates (see :class:`TranslatedMarkup`)."""

    lang: str | None = None
    page_lang: str | None = None
    state: State | None = None


class Shown(NamedTuple):
    """A content string as shown on a page: safe HTML, plain text, state and language.

    ``{{ shown }}`` prints the escaped text in HTML templates and the plain text in text
    templates; ``{{ shown.lang_attr }}`` is `` lang="en"`` when the source text stands in for a
    translation (nothing otherwise). A named tuple, not a frozen dataclass: a site build makes
    one per content string (~50,000), and a frozen dataclass costs three times as much to make.
    """

    text: str
    state: State
    lang: str  # BCP 47 of the shown text
    page_lang: str
    fallback: bool

    @property
    def markup(self) -> Markup:
        return escape(self.text)

    @property
    def lang_attr(self) -> Markup:
        if self.lang == self.page_lang:
            return Markup("")
        return lang_and_dir(self.lang, self.page_lang)

    def __html__(self) -> str:
        return str(self.markup)

    def __str__(self) -> str:
        return self.text


def lang_and_dir(lang: str, page_lang: str) -> Markup:
    """`` lang="en"`` for text in ``lang`` on a ``page_lang`` page, with `` dir="ltr"`` when
    the two run in different directions: English on an Arabic page would otherwise be laid out
    right to left ("?Antidepressants" for "Antidepressants?")."""
    direction = _direction(lang)
    if direction == _direction(page_lang):
        return Markup(' lang="{}"').format(lang)
    return Markup(' lang="{}" dir="{}"').format(lang, direction)


def _direction(lang: str) -> str:
    from pubflow.locales import text_direction

    return text_direction(lang.replace("-", "_"))


@dataclass(frozen=True)
class Rendered:
    """A rendered template, what it showed, and the notices it carries."""

    text: str
    record: TranslationRecord
    notices: frozenset[Notice]
