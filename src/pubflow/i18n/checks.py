"""Checks on translations: pure functions from catalog entries to diagnostics for translators.

Every check looks at one entry (or the header) and reports :class:`Diagnostic` values carrying
``file:line``, a severity and the check's name, e.g.
``locales/de/LC_MESSAGES/messages.po:42: error: placeholders: translation lacks placeholder
%(count)d that the source has``. Error-level findings make an entry *invalid*: it is never
compiled into a ``.mo`` and never published.

Checks only look at entries with a non-empty translation, fuzzy ones included (an invalid
machine suggestion must be reported before someone clears ``fuzzy``). They never raise: a
checker bug on odd input becomes an ``internal`` error diagnostic, not a crashed build.

============== ======== ==========================================================================
check          severity what it catches
============== ======== ==========================================================================
placeholders   error    ``%(name)s``, ``%s``, ``{name}``, ``{}`` differ from the source (also per
                        plural form); positional ones in another order
markup         error    tags or attributes the source lacks, ``<script>`` & co, ``on*=``,
                        ``javascript:``/``data:``/``vbscript:`` URLs, risky CSS, broken nesting
                        (warning: a tag used a different number of times); in content
                        (articles, newsletters: plain text shown as written) only a tag the
                        source does not have
urls           error    an http(s)/mailto URL of the source changed or missing; a new URL
plurals        error    number of plural forms differs from the locale's; some forms left empty
single-line    error    a line break (CR, LF, VT, FF, U+0085, U+2028, U+2029) or an RFC 2047
                        encoded word (=?…?=) in the translation of a one-line source (titles,
                        subjects)
control        error    a control character (NUL, ESC, BEL, DEL, …) or U+FFFE/U+FFFF that the
                        source lacks: XML feeds, HTML and mail headers cannot carry it; a
                        bidirectional override (U+202A-U+202E) the source lacks
length         error    longer than a ``(max N characters)`` limit in the context
whitespace     warning  leading/trailing whitespace differs from the source
unchanged      warning  translation identical to a long source text (forgotten?)
header         error    Language, Plural-Forms or the UTF-8 charset missing or wrong
internal       error    a checker failed on this entry (a pubflow bug; the entry is held back)
============== ======== ==========================================================================
"""

from __future__ import annotations

import dataclasses

import gettext
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pubflow.i18n.diagnostics import Diagnostic, Severity, has_errors
from pubflow.i18n.markup import added_markup, has_markup, markup_issues
from pubflow.i18n.placeholders import Placeholder, scan_placeholders, stray_percents
from pubflow.locales import foreign_language, foreign_language_hint, same_locale

__all__ = [
    "CHECKS",
    "Diagnostic",
    "EntryChecker",
    "EntryText",
    "Severity",
    "check_catalog",
    "check_entry",
    "check_header",
    "has_errors",
    "header_lines",
    "header_lines_of_bytes",
    "max_length",
    "parse_plural_forms",
    "urls_of",
]


CHECKS: Mapping[str, str] = {
    "placeholders": "format placeholders must match the source",
    "markup": "HTML may only use the source's tags; never scripts, handlers or unsafe URLs",
    "urls": "URLs of the source must appear unchanged; no new URLs",
    "plurals": "every plural form of the locale is filled",
    "single-line": "a one-line source gets a one-line translation",
    "control": "no control characters the source does not have",
    "length": "a (max N characters) context limits the translation's length",
    "whitespace": "leading/trailing whitespace matches the source (warning)",
    "unchanged": "a long source text left untranslated (warning)",
    "header": "Language, Plural-Forms and charset=UTF-8 in the catalog header",
    "internal": "a checker failed on the entry (please report it)",
}
"""Every check name a :class:`Diagnostic` can carry, with a one-line description."""


@dataclass(frozen=True)
class EntryText:
    """The parts of a catalog entry the checks look at (not hashable: ``msgstr_plural`` is a dict).

    ``line`` is the entry's first line in the ``.po`` file (polib's ``linenum``); ``flags`` are
    the ``#,`` flags such as ``python-format``, which switch placeholder checks on or off.
    ``plain``: the entry is content (an article's or a newsletter's text), shown as written and
    always escaped, so what looks like a tag in it is text: the markup check only asks that a
    translation adds no tag (readers would see it), not that the source's tags be safe HTML.
    """

    msgid: str
    msgstr: str = ""
    msgid_plural: str | None = None
    msgstr_plural: Mapping[int, str] = field(default_factory=dict)
    msgctxt: str | None = None
    fuzzy: bool = False
    line: int | None = None
    flags: frozenset[str] = frozenset()
    plain: bool = False

    @classmethod
    def from_polib(cls, entry: Any) -> EntryText:
        """Build from a :class:`polib.POEntry` (or anything with the same attributes)."""
        flags = frozenset(getattr(entry, "flags", None) or ())
        plural_forms = getattr(entry, "msgstr_plural", None) or {}
        return cls(
            msgid=entry.msgid or "",
            msgstr=getattr(entry, "msgstr", "") or "",
            msgid_plural=getattr(entry, "msgid_plural", None) or None,
            msgstr_plural={int(index): text or "" for index, text in plural_forms.items()},
            msgctxt=getattr(entry, "msgctxt", None),
            fuzzy="fuzzy" in flags,
            line=getattr(entry, "linenum", None),
            flags=flags,
        )

    @property
    def is_plural(self) -> bool:
        return self.msgid_plural is not None

    @property
    def is_translated(self) -> bool:
        """True when any translation text is present (fuzzy or not)."""
        if self.is_plural and self.msgstr_plural:
            return any(self.msgstr_plural.values())
        return bool(self.msgstr)


# "(max 80 characters)", also "(max. 80 chars)" and "(maximum 80 characters)". At most nine
# digits: int() refuses very long digit strings, and no text is that long anyway.
_MAX_LENGTH = re.compile(
    r"\(\s*max(?:imum)?\.?\s*([0-9]{1,9})\s*(?:characters?|chars?)\s*\)", re.IGNORECASE
)


def max_length(msgctxt: str | None) -> int | None:
    """The length limit a context sets with ``(max N characters)``, or None."""
    if not msgctxt:
        return None
    match = _MAX_LENGTH.search(msgctxt)
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------------------------
# Plural forms of a locale


_PLURAL_FORMS = re.compile(
    r"^\s*nplurals\s*=\s*([0-9]{1,3})\s*;\s*plural\s*=\s*(.+?)\s*;?\s*$", re.DOTALL
)
_PLURAL_SAMPLE = range(0, 1001)


def parse_plural_forms(value: str) -> tuple[int, str] | None:
    """``(nplurals, expression)`` of a ``Plural-Forms`` header value, or None when malformed."""
    match = _PLURAL_FORMS.match(value or "")
    if not match:
        return None
    return int(match.group(1)), match.group(2)


@lru_cache(maxsize=256)
def plural_indexes(expression: str) -> tuple[int, ...] | None:
    """The form index the expression picks for n = 0…1000, or None if it does not evaluate.

    Cached: a project has a handful of expressions, and evaluating one 1,001 times for each
    of 1,000+ catalogs was a tenth of a full compile.
    """
    try:
        choose = gettext.c2py(expression)
        return tuple(int(choose(n)) for n in _PLURAL_SAMPLE)
    except Exception:  # noqa: BLE001 — any bad expression (syntax, n % 0, depth) is "invalid"
        return None


@dataclass(frozen=True)
class _PluralRule:
    count: int
    header: str
    single_value_forms: frozenset[int]  # forms used for exactly one n: may omit the number
    indexes: tuple[int, ...] = ()  # the form CLDR's rule picks for each n of the sample


@lru_cache(maxsize=64)
def _plural_rule(locale: str) -> _PluralRule | None:
    """The locale's plural rule from Babel's CLDR data, or None for an unknown locale."""
    from pubflow.locales import plural_forms_header

    try:
        header = plural_forms_header(locale)
    except Exception:  # noqa: BLE001 — unknown or malformed locale: no plural checks
        return None
    parsed = parse_plural_forms(header)
    if parsed is None:
        return None
    count, expression = parsed
    indexes = plural_indexes(expression) or ()
    usage = Counter(indexes)
    single = frozenset(index for index in range(count) if usage[index] == 1)
    return _PluralRule(count=count, header=header, single_value_forms=single, indexes=indexes)


def first_plural_difference(expression: str, locale: str) -> tuple[int, int, int] | None:
    """The first ``(n, form the expression picks, form the locale's CLDR rule picks)`` for
    n = 0…1000 where they differ, or None when they agree (or either cannot be evaluated).

    Compared by value, not by spelling: ``(n == 1 ? 0 : 1)`` is ``(n != 1)``.
    """
    rule = _plural_rule(locale)
    indexes = plural_indexes(expression)
    if rule is None or not rule.indexes or indexes is None:
        return None
    for n, (picked, wanted) in enumerate(zip(indexes, rule.indexes, strict=True)):
        if picked != wanted:
            return _PLURAL_SAMPLE[n], picked, wanted
    return None


# ---------------------------------------------------------------------------------------------
# The entry checks


@dataclass(frozen=True)
class _Form:
    """One translated text and the source text it renders: msgstr or msgstr[i]."""

    label: str  # "" for a singular entry, "msgstr[1]" for a plural form
    index: int | None
    source: str
    translation: str
    may_omit_named: bool  # the form covers one n only ("one file"): named placeholders optional

    def say(self, message: str) -> str:
        return f"{self.label}: {message}" if self.label else message


def _forms(entry: EntryText, rule: _PluralRule | None) -> list[_Form]:
    """The non-empty translated texts of ``entry`` with the source each one translates."""
    if not entry.is_plural or not entry.msgstr_plural:
        if not entry.msgstr:
            return []
        return [_Form("", None, entry.msgid, entry.msgstr, False)]
    plural = entry.msgid_plural or entry.msgid
    count = rule.count if rule else 2
    forms: list[_Form] = []
    for index in sorted(entry.msgstr_plural):
        text = entry.msgstr_plural[index]
        if not text:
            continue
        # With a single plural form (ja, zh…) msgstr[0] serves every n: it renders msgid_plural.
        source = entry.msgid if index == 0 and count > 1 else plural
        single = rule is not None and index in rule.single_value_forms
        forms.append(_Form(f"msgstr[{index}]", index, source, text, single))
    return forms


def _error(check: str, message: str, entry: EntryText, path: Path | None) -> Diagnostic:
    return Diagnostic(Severity.ERROR, check, message, path, entry.line)


def _warning(check: str, message: str, entry: EntryText, path: Path | None) -> Diagnostic:
    return Diagnostic(Severity.WARNING, check, message, path, entry.line)


def _listed(tokens: Iterable[str]) -> str:
    return ", ".join(tokens) or "none"


def _families(entry: EntryText) -> tuple[bool, bool]:
    """Whether printf and brace placeholders are in use for this entry (flags win)."""
    sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
    found = [placeholder for text in sources for placeholder in scan_placeholders(text)]
    printf = any(p.kind.is_printf for p in found) or "python-format" in entry.flags
    brace = any(not p.kind.is_printf for p in found) or "python-brace-format" in entry.flags
    if "no-python-format" in entry.flags:
        printf = False
    if "no-python-brace-format" in entry.flags:
        brace = False
    return printf, brace


def _check_placeholders(
    entry: EntryText, forms: list[_Form], path: Path | None
) -> list[Diagnostic]:
    printf, brace = _families(entry)
    if not (printf or brace):
        return []
    sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
    # Every named placeholder of msgid and msgid_plural is in the mapping at render time, so a
    # plural form may use any of them; only the order-bound ones must match form by form.
    available = {
        p.name: p.token
        for text in sources
        for p in scan_placeholders(text)
        if not p.kind.is_ordered and p.name is not None
    }
    diagnostics: list[Diagnostic] = []
    for form in forms:
        wanted = [p for p in scan_placeholders(form.source) if _in_use(p, printf, brace)]
        found = [p for p in scan_placeholders(form.translation) if _in_use(p, printf, brace)]
        for message in _compare_named(wanted, found, available, form.may_omit_named):
            diagnostics.append(_error("placeholders", form.say(message), entry, path))
        if printf:
            in_source = stray_percents(form.source)
            stray = [t for t in stray_percents(form.translation) if t not in in_source]
            if stray:
                message = (
                    f"translation has {stray[0]!r}, which is not a placeholder; in this "
                    "python-format string write %% for a percent sign"
                )
                diagnostics.append(_error("placeholders", form.say(message), entry, path))
        for is_printf in (True, False):
            order_problem = _compare_ordered(
                [p.token for p in wanted if p.kind.is_ordered and p.kind.is_printf == is_printf],
                [p.token for p in found if p.kind.is_ordered and p.kind.is_printf == is_printf],
            )
            if order_problem:
                diagnostics.append(_error("placeholders", form.say(order_problem), entry, path))
    return diagnostics


def _in_use(placeholder: Placeholder, printf: bool, brace: bool) -> bool:
    return printf if placeholder.kind.is_printf else brace


def _compare_named(
    wanted: list[Placeholder],
    found: list[Placeholder],
    available: Mapping[str, str],
    may_omit: bool,
) -> list[str]:
    messages: list[str] = []
    wanted_tokens = {p.token: p for p in wanted if not p.kind.is_ordered}
    found_tokens = {p.token: p for p in found if not p.kind.is_ordered}
    found_names = {p.name for p in found_tokens.values()}
    for token, placeholder in wanted_tokens.items():
        if token in found_tokens:
            continue
        same_name = [t for t, p in found_tokens.items() if p.name == placeholder.name]
        if same_name:
            messages.append(
                f"translation has {same_name[0]} where the source has {token}; "
                "keep the placeholder exactly as in the source"
            )
        elif placeholder.name not in found_names and not may_omit:
            messages.append(f"translation lacks placeholder {token} that the source has")
    allowed_tokens = set(available.values()) | set(wanted_tokens)
    for token, placeholder in found_tokens.items():
        if token in allowed_tokens:
            continue
        if placeholder.name in {p.name for p in wanted_tokens.values()}:
            continue  # reported above as a changed format
        if placeholder.name is not None and placeholder.name in available:
            messages.append(
                f"translation has {token} where the source has {available[placeholder.name]}; "
                "keep the placeholder exactly as in the source"
            )
            continue
        messages.append(
            f"translation has placeholder {token} that the source does not have "
            f"(the source has: {_listed(sorted(allowed_tokens))}); it would break or stay empty"
        )
    return messages


def _compare_ordered(wanted: list[str], found: list[str]) -> str | None:
    if wanted == found:
        return None
    if Counter(wanted) == Counter(found):
        return (
            f"placeholders {_listed(found)} are in a different order than in the source "
            f"({_listed(wanted)}); positional placeholders are filled in order, so keep the "
            "source's order"
        )
    if not wanted:
        return (
            f"translation has positional placeholder(s) {_listed(found)} that the source does "
            "not have; write a literal percent sign as %%"
        )
    return (
        f"translation has positional placeholders ({_listed(found)}) but the source has "
        f"({_listed(wanted)}); keep the same ones in the same order"
    )


def _check_plain_tags(entry: EntryText, forms: list[_Form], path: Path | None) -> list[Diagnostic]:
    """Content is shown as written: a tag the translation adds would show as text."""
    for form in forms:
        added = added_markup(form.source, form.translation)
        if added:
            message = (
                f"the translation adds {added[0]}, which the source does not have; this text "
                "is shown as written, so readers would see it as is: write plain text"
            )
            return [_error("markup", form.say(message), entry, path)]
    return []


def _check_markup(entry: EntryText, forms: list[_Form], path: Path | None) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for form in forms:
        for issue in markup_issues(form.source, form.translation):
            make = _error if issue.fatal else _warning
            diagnostics.append(make("markup", form.say(issue.message), entry, path))
    return diagnostics


_URL = re.compile(r"(?:https?://|mailto:)[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?…»”’"


def urls_of(text: str) -> Counter[str]:
    """The http(s) and mailto URLs in ``text``, trailing punctuation left out.

    In text with markup, character references are decoded (``&amp;`` is ``&`` in a link), so
    an ``href`` and the same URL written as text compare equal.
    """
    found: Counter[str] = Counter()
    if ":" not in text:
        return found  # no scheme, no URL (most strings: spares the markup test and the regex)
    decode = has_markup(text)
    for match in _URL.finditer(text):
        url = match.group(0)
        while url and (
            url[-1] in _URL_TRAILING
            or (url[-1] in ")]" and url.count(url[-1]) > url.count("(" if url[-1] == ")" else "["))
        ):
            url = url[:-1]
        if decode:
            url = html.unescape(url)
        if url.lower() not in ("mailto:", "http://", "https://"):
            found[url] += 1
    return found


def _check_urls(entry: EntryText, forms: list[_Form], path: Path | None) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for form in forms:
        wanted = set(urls_of(form.source))
        found = set(urls_of(form.translation))
        for url in sorted(wanted - found):
            diagnostics.append(
                _error(
                    "urls",
                    form.say(
                        f"translation lacks the URL {url} that the source has; keep it unchanged"
                    ),
                    entry,
                    path,
                )
            )
        for url in sorted(found - wanted):
            diagnostics.append(
                _error(
                    "urls",
                    form.say(f"translation adds the URL {url} that the source does not have"),
                    entry,
                    path,
                )
            )
    return diagnostics


def _check_plurals(
    entry: EntryText, rule: _PluralRule | None, locale: str | None, path: Path | None
) -> list[Diagnostic]:
    if not entry.is_plural or rule is None:
        return []
    forms = entry.msgstr_plural
    diagnostics: list[Diagnostic] = []
    if len(forms) != rule.count:
        diagnostics.append(
            _error(
                "plurals",
                f"entry has {len(forms)} plural form(s) but {locale} has {rule.count} "
                f"(msgstr[0] … msgstr[{rule.count - 1}], {rule.header})",
                entry,
                path,
            )
        )
    empty = [index for index in range(rule.count) if not forms.get(index)]
    if empty and len(empty) < rule.count:
        listed = ", ".join(f"msgstr[{index}]" for index in empty)
        diagnostics.append(
            _error(
                "plurals",
                f"{listed} empty while other plural forms are translated; fill every form",
                entry,
                path,
            )
        )
    return diagnostics


LINE_BREAKS = "\r\n\x0b\x0c\x85\u2028\u2029"
"""Characters that start a new line somewhere (email headers, HTML titles, terminals)."""


_LINE_BREAK = re.compile(f"[{LINE_BREAKS}]")
# An RFC 2047 encoded word: "=?utf-8?q?=0D=0ABcc:_x?=" has no line break, but the email package
# decodes it when the header is set and writes the CR LF out raw (header injection).
ENCODED_WORD = re.compile(r"=\?[^?]*\?[bBqQ]\?[^?]*\?=")


def _first_line_break(text: str) -> str | None:
    match = _LINE_BREAK.search(text)
    return match.group(0) if match else None


_CONTROL_NAMES = {
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x0b": "VERTICAL TAB",
    "\x0c": "FORM FEED",
    "\x85": "NEXT LINE",
}


def _describe_char(char: str) -> str:
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "control character")
    return f"U+{ord(char):04X} {name}"


def _check_single_line(entry: EntryText, forms: list[_Form], path: Path | None) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for form in forms:
        if _first_line_break(form.source) is not None:
            continue
        if ENCODED_WORD.search(form.translation) and not ENCODED_WORD.search(form.source):
            diagnostics.append(
                _error(
                    "single-line",
                    form.say(
                        "translation contains an RFC 2047 encoded word (=?…?=), which mail programs "
                        "decode (into a line break, even a new header); write the text itself"
                    ),
                    entry,
                    path,
                )
            )
        char = _first_line_break(form.translation)
        if char is not None:
            diagnostics.append(
                _error(
                    "single-line",
                    form.say(
                        f"translation contains a line break ({_describe_char(char)}) but the "
                        "source is a single line (titles, subjects); remove it"
                    ),
                    entry,
                    path,
                )
            )
    return diagnostics


# C0/C1 controls (tab, LF, CR and NEL aside), DEL and the noncharacters U+FFFE/U+FFFF: lxml
# refuses them in feeds and sitemaps (the build would stop), HTML and mail headers mangle them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
# The bidirectional embeddings and overrides (LRE, RLE, PDF, LRO, RLO): "Trojan Source" text that
# reads differently than it is stored (a subject "moc.live" shown as "evil.com"). The isolates
# (U+2066-U+2069) and marks (U+200E/U+200F) stay allowed: right-to-left writing needs them.
_BIDI_OVERRIDE = re.compile("[\u202a-\u202e]")


def _check_control(entry: EntryText, forms: list[_Form], path: Path | None) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for form in forms:
        one_line = _first_line_break(form.source) is None
        for match in _CONTROL.finditer(form.translation):
            char = match.group()
            if char in form.source or (one_line and char in LINE_BREAKS):
                continue  # the source has it too, or the single-line check reports it
            diagnostics.append(
                _error(
                    "control",
                    form.say(
                        f"translation contains the control character U+{ord(char):04X}, which "
                        "pages, feeds and emails cannot carry; delete it (often pasted by accident)"
                    ),
                    entry,
                    path,
                )
            )
            break
        else:
            override = _BIDI_OVERRIDE.search(form.translation)
            if override is not None and override.group() not in form.source:
                diagnostics.append(
                    _error(
                        "control",
                        form.say(
                            f"translation contains {_describe_char(override.group())}, which shows "
                            "the text after it in another order than it is written (a way to "
                            "disguise text); delete it, or mark a direction with the isolates "
                            "U+2066-U+2069"
                        ),
                        entry,
                        path,
                    )
                )
    return diagnostics


def _check_length(entry: EntryText, forms: list[_Form], path: Path | None) -> list[Diagnostic]:
    limit = max_length(entry.msgctxt)
    if limit is None:
        return []
    diagnostics: list[Diagnostic] = []
    for form in forms:
        # Composed form: "é" typed as e + combining accent still counts as one character.
        length = len(unicodedata.normalize("NFC", form.translation))
        if length > limit:
            diagnostics.append(
                _error(
                    "length",
                    form.say(
                        f"translation is {length} characters long but the context allows at most "
                        f"{limit}; shorten it by {length - limit}"
                    ),
                    entry,
                    path,
                )
            )
    return diagnostics


def _edges(text: str) -> tuple[str, str]:
    lead = len(text) - len(text.lstrip())
    trail = len(text) - len(text.rstrip())
    return text[:lead], text[len(text) - trail :]


def _describe_whitespace(space: str) -> str:
    if not space:
        return "no whitespace"
    return repr(space)


def _check_whitespace(entry: EntryText, forms: list[_Form], path: Path | None) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for form in forms:
        if form.source.strip() and form.translation and not form.translation.strip():
            # Spaces alone look translated to gettext, but would publish a blank heading, link
            # or subject: held back, the source text is shown until it is translated.
            diagnostics.append(
                _error(
                    "whitespace",
                    form.say("the translation is only whitespace (it would show as a blank)"),
                    entry,
                    path,
                )
            )
            continue
        if not form.source.strip() or not form.translation.strip():
            continue
        source_lead, source_trail = _edges(form.source)
        lead, trail = _edges(form.translation)
        for where, wanted, found in (("starts", source_lead, lead), ("ends", source_trail, trail)):
            if wanted != found:
                diagnostics.append(
                    _warning(
                        "whitespace",
                        form.say(
                            f"the source {where} with {_describe_whitespace(wanted)} but the "
                            f"translation {where} with {_describe_whitespace(found)}"
                        ),
                        entry,
                        path,
                    )
                )
    return diagnostics


_NOT_WORDS = re.compile(r"<[^>]*>|&[#A-Za-z0-9]+;|(?:https?://|mailto:)\S+")
_WORD = re.compile(r"[^\W\d_]{2,}")


def _is_long_text(text: str) -> bool:
    """True for real prose (3+ words, 20+ characters), not names, codes or bare placeholders."""
    prose = _NOT_WORDS.sub(" ", text)
    for placeholder in scan_placeholders(prose):
        prose = prose.replace(placeholder.token, " ")
    return len(_WORD.findall(prose)) >= 3 and len(prose.strip()) >= 20


def _language(locale: str) -> str:
    return locale.replace("-", "_").split("_")[0].lower()


def _check_unchanged(
    entry: EntryText, forms: list[_Form], locale: str | None, source_locale: str, path: Path | None
) -> list[Diagnostic]:
    if not locale or _language(locale) == _language(source_locale) or not forms:
        return []
    if all(form.translation == form.source for form in forms) and _is_long_text(forms[0].source):
        return [
            _warning(
                "unchanged",
                "translation is identical to the source text; translate it, or ignore this "
                "warning if it really stays the same",
                entry,
                path,
            )
        ]
    return []


def check_entry(
    entry: EntryText,
    *,
    locale: str | None,
    path: Path | None = None,
    source_locale: str = "en",
) -> list[Diagnostic]:
    """Every entry-level check on ``entry`` (translated or fuzzy entries only); never raises.

    With ``locale=None`` the checks that need the locale (``plurals``, ``unchanged``, the
    one-value plural forms that may omit a number) are skipped or assume two forms.
    """
    if not entry.msgid or not entry.is_translated:
        return []  # the header (empty msgid) has its own check; untranslated has nothing to check
    try:
        rule = _plural_rule(locale) if entry.is_plural and locale else None
        forms = _forms(entry, rule)
        return [
            *_check_placeholders(entry, forms, path),
            *(_check_plain_tags if entry.plain else _check_markup)(entry, forms, path),
            *_check_urls(entry, forms, path),
            *_check_plurals(entry, rule, locale, path),
            *_check_single_line(entry, forms, path),
            *_check_control(entry, forms, path),
            *_check_length(entry, forms, path),
            *_check_whitespace(entry, forms, path),
            *_check_unchanged(entry, forms, locale, source_locale, path),
        ]
    except Exception as exc:  # noqa: BLE001 — a checker bug must hold back one entry, not a build
        return [
            _error(
                "internal",
                f"a check failed on this entry ({type(exc).__name__}: {exc}); the entry is held "
                "back — please report this pubflow bug",
                entry,
                path,
            )
        ]


_Finding = tuple[Severity, str, str]
"""A diagnostic without its place: severity, check name and message."""


ALWAYS_FORMATTED_DOMAINS = frozenset({"messages"})
"""Domains whose every string is %-formatted when shown: the templates' UI strings (the
domain ``messages``, :data:`pubflow.i18n.extract.UI_DOMAIN`), which Jinja2's newstyle gettext
formats with the call's variables even when there are none. A placeholder a translation adds
there fails at render time, so their entries are checked as ``python-format`` whatever their
flags say (content domains are shown as written)."""


DomainKind = Literal["ui", "content"]
"""How a domain's strings are shown: ``ui`` (templates' strings: HTML, always %-formatted),
``content`` (articles', newsletters': plain text shown as written)."""


def domain_kind(domain: str | None) -> DomainKind | None:
    """The kind of ``domain`` (None for None: not known)."""
    if domain is None:
        return None
    return "ui" if domain in ALWAYS_FORMATTED_DOMAINS else "content"


def as_shown(text: EntryText, kind: DomainKind | None) -> EntryText:
    """``text`` checked as its kind of domain shows it: ``ui`` always formatted,
    ``content`` plain text (:attr:`EntryText.plain`); None: every check applies."""
    if kind == "ui":
        return as_formatted(text)
    if kind == "content":
        return dataclasses.replace(text, plain=True)
    return text


def for_domain(text: EntryText, domain: str | None) -> EntryText:
    """``text`` checked as ``domain`` shows it (see :func:`as_shown`)."""
    return as_shown(text, domain_kind(domain))


def as_formatted(text: EntryText) -> EntryText:
    """``text`` checked as a ``python-format`` string (see :data:`ALWAYS_FORMATTED_DOMAINS`)."""
    if "python-format" in text.flags:
        return text
    return dataclasses.replace(text, flags=frozenset(text.flags) | {"python-format"})


class EntryChecker:
    """:func:`check_entry` on polib entries, remembered by everything the checks read.

    Catalogs repeat themselves: the UI strings of every template, an article's boilerplate,
    the same sentence in many articles (a corpus of 47,000 entries had 12,000 distinct ones
    per run). The entry checks are pure functions of the entry's msgid, msgid_plural,
    msgstr(s), msgctxt and flags plus the locale pair, so each distinct combination is checked
    once; a repeat gets the same findings at its own ``file:line``. One checker serves one
    locale pair (its memo lives as long as the checker: one compile run).
    """

    def __init__(
        self, *, locale: str | None, source_locale: str = "en", kind: DomainKind | None = None
    ) -> None:
        self.locale = locale
        self.source_locale = source_locale
        self.kind = kind  # the domains it checks: entries are checked as those show them
        self._memo: dict[tuple[object, ...], tuple[_Finding, ...]] = {}

    def check(self, entry: Any, path: Path | None = None) -> list[Diagnostic]:
        """``check_entry(EntryText.from_polib(entry), …)``, without re-checking a repeat."""
        key = _memo_key(entry)
        found = self._memo.get(key) if key is not None else None
        if found is None:
            text = as_shown(EntryText.from_polib(entry), self.kind)
            diagnostics = check_entry(
                text, locale=self.locale, path=path, source_locale=self.source_locale
            )
            if key is not None:
                self._memo[key] = tuple((d.severity, d.check, d.message) for d in diagnostics)
            return diagnostics
        if not found:
            return []
        # Every entry diagnostic is at the entry's first line (see _error and _warning).
        line = getattr(entry, "linenum", None)
        return [Diagnostic(severity, check, message, path, line) for severity, check, message in found]


def _memo_key(entry: Any) -> tuple[object, ...] | None:
    """What :meth:`EntryText.from_polib` reads of ``entry`` except its line, as a dict key;
    None (check it afresh) for an entry whose texts are not all strings: equal-comparing
    values of other types (``1`` and ``True``) need not check alike."""
    try:
        msgid = entry.msgid
        msgstr = getattr(entry, "msgstr", "")
        msgid_plural = getattr(entry, "msgid_plural", None)
        msgctxt = getattr(entry, "msgctxt", None)
        forms = getattr(entry, "msgstr_plural", None) or {}
        flags = tuple(getattr(entry, "flags", None) or ())
        if not (
            type(msgid) is str
            and type(msgstr) is str
            and (msgid_plural is None or type(msgid_plural) is str)
            and (msgctxt is None or type(msgctxt) is str)
            and all(type(flag) is str for flag in flags)
        ):
            return None
        plural_forms: tuple[tuple[object, str], ...] = ()
        if forms:
            plural_forms = tuple(forms.items())
            if not all(type(index) is int and type(text) is str for index, text in plural_forms):
                return None
        return (msgid, msgstr, msgid_plural, plural_forms, msgctxt, flags)
    except Exception:  # noqa: BLE001 — anything odd: no memo, check_entry reports it as usual
        return None


# ---------------------------------------------------------------------------------------------
# The header check


_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._:-]+)", re.IGNORECASE)


def _header_value(metadata: Mapping[str, str], name: str) -> str | None:
    """A header field, looked up case-insensitively (``language`` works like ``Language``)."""
    for key, value in metadata.items():
        if str(key).strip().lower() == name.lower():
            return str(value).strip()
    return None


def _normal_locale(code: str) -> str:
    language, _, rest = code.strip().replace("-", "_").partition("_")
    return f"{language.lower()}_{rest.upper()}" if rest else language.lower()


def check_header(
    metadata: Mapping[str, str],
    *,
    locale: str,
    path: Path | None = None,
    line: int | None = None,
    field_lines: Mapping[str, int] | None = None,
    configured: Iterable[str] = (),
) -> list[Diagnostic]:
    """Check the catalog header: Language, Plural-Forms and a UTF-8 charset; never raises.

    ``line`` is where the header starts (its ``msgid ""``); ``field_lines`` maps a field name
    (``Plural-Forms``) to its own line, so a wrong field is reported where it is written.
    ``configured``: the project's locales (to name the folder a misplaced catalog belongs in).
    """
    lines = {name.lower(): number for name, number in (field_lines or {}).items()}

    def error(message: str, field_name: str | None = None) -> Diagnostic:
        where = lines.get(field_name.lower(), line) if field_name else line
        return Diagnostic(Severity.ERROR, "header", message, path, where)

    try:
        rule = _plural_rule(locale)
        diagnostics: list[Diagnostic] = []
        language = _header_value(metadata, "Language")
        if not language:
            diagnostics.append(error(f'header lacks Language; add "Language: {locale}\\n"'))
        elif not same_locale(language, locale):
            message = f"header says Language: {language} but this is the {locale} catalog"
            if foreign_language(metadata, locale) is not None:
                # Another language: the catalog is refused by compile and update; say why.
                name = path.name if path is not None else "…"
                message += " (not compiled, not updated) — " + foreign_language_hint(
                    language, locale, name, configured
                )
            diagnostics.append(error(message, "Language"))
        diagnostics.extend(
            _plural_forms_issues(_header_value(metadata, "Plural-Forms"), rule, locale, error)
        )
        content_type = _header_value(metadata, "Content-Type")
        charset_match = _CHARSET.search(content_type or "")
        charset = charset_match.group(1) if charset_match else None
        if charset is None:
            diagnostics.append(
                error(
                    'header lacks a charset; add "Content-Type: text/plain; charset=UTF-8\\n"',
                    "Content-Type",
                )
            )
        elif charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
            diagnostics.append(
                error(
                    f"header declares charset={charset}; pubflow catalogs are UTF-8 "
                    '("Content-Type: text/plain; charset=UTF-8\\n")',
                    "Content-Type",
                )
            )
        return diagnostics
    except Exception as exc:  # noqa: BLE001
        return [error(f"the header check failed ({type(exc).__name__}: {exc}); please report it")]


def _plural_forms_issues(
    value: str | None, rule: _PluralRule | None, locale: str, error: Any
) -> list[Diagnostic]:
    if rule is None:
        return [
            error(f"cannot tell the plural rule of locale {locale!r}; is it a valid locale code?")
        ]
    expected = f' (use "Plural-Forms: {rule.header}")'
    if not value:
        return [error(f"header lacks Plural-Forms{expected}")]
    parsed = parse_plural_forms(value)
    if parsed is None:
        message = f"Plural-Forms {value!r} is not 'nplurals=N; plural=EXPRESSION;'{expected}"
        return [error(message, "Plural-Forms")]
    count, expression = parsed
    if count != rule.count:
        message = f"Plural-Forms says nplurals={count} but {locale} has {rule.count}{expected}"
        return [error(message, "Plural-Forms")]
    if plural_indexes(expression) is None:
        message = f"Plural-Forms has an invalid plural expression {expression!r}{expected}"
        return [error(message, "Plural-Forms")]
    outside = _first_form_outside(expression, count)
    if outside is not None:
        n, index = outside
        message = (
            f"Plural-Forms picks form {index} for n={n}, but only 0…{count - 1} exist{expected}"
        )
        return [error(message, "Plural-Forms")]
    # A sound rule that is not the language's shows the wrong form ("1 artículos"): compiled
    # catalogs carry the language's rule, so the forms must be ordered by it.
    different = first_plural_difference(expression, locale)
    if different is not None:
        n, picked, wanted = different
        message = (
            f"Plural-Forms rule {expression!r} is not the {locale} rule: for n={n} it picks "
            f"form {picked}, {locale} uses form {wanted}{expected}"
        )
        return [error(message, "Plural-Forms")]
    return []


@lru_cache(maxsize=256)
def _first_form_outside(expression: str, count: int) -> tuple[int, int] | None:
    """The first ``(n, form)`` of the sample where a valid expression picks a form outside
    0…count-1, or None. Cached like :func:`plural_indexes`: scanning 1,001 forms for each
    of 1,000+ catalog headers was most of the header check."""
    indexes = plural_indexes(expression)
    assert indexes is not None  # the caller has checked that it evaluates
    for n, index in zip(_PLURAL_SAMPLE, indexes, strict=True):
        if not 0 <= index < count:
            return n, index
    return None


# ---------------------------------------------------------------------------------------------
# A whole catalog


_HEADER_FIELD = re.compile(r'^"([A-Za-z][A-Za-z0-9-]*)\s*:')


def header_lines(text: str) -> tuple[int | None, dict[str, int]]:
    """Line of the header's ``msgid ""`` and of each of its fields in a ``.po`` file's text."""
    start, fields, _ = _scan_header(text.splitlines())
    return start, fields


def _scan_header(lines: list[str]) -> tuple[int | None, dict[str, int], int | None]:
    """:func:`header_lines` over ``lines``, plus the index of the line it stopped at (the
    blank line after the header; None when it ran out of lines)."""
    start: int | None = None
    fields: dict[str, int] = {}
    for index, line in enumerate(lines):
        if start is None:
            if line.startswith('msgid ""'):
                start = index + 1
            continue
        if not line.strip():
            return start, fields, index
        match = _HEADER_FIELD.match(line)
        if match:
            fields.setdefault(match.group(1), index + 1)
    return start, fields, None


_HEADER_PREFIX = 8192
"""Bytes of a catalog that nearly always hold its whole header (a few hundred in practice)."""


def header_lines_of_bytes(raw: bytes) -> tuple[int | None, dict[str, int]]:
    """``header_lines(raw.decode("utf-8", errors="replace"))``, reading only the top of the file
    when the header ends there (the compile step asks for every catalog: decoding and splitting
    whole files only to look at their first lines added up over 1,000+ catalogs).

    Only lines wholly inside the prefix count: its last line may be cut (mid-line, mid-character
    or between CR and LF), so a header that has not ended before it is read from the full text.
    """
    if len(raw) > _HEADER_PREFIX:
        lines = raw[:_HEADER_PREFIX].decode("utf-8", errors="replace").splitlines()
        start, fields, stopped = _scan_header(lines)
        if stopped is not None and stopped < len(lines) - 1:
            return start, fields
    return header_lines(raw.decode("utf-8", errors="replace"))


def _header_lines_of(po: Any) -> tuple[int | None, dict[str, int]]:
    source = getattr(po, "fpath", None)
    if not source:
        return None, {}
    try:
        return header_lines(Path(source).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None, {}


def check_catalog(
    po: Any,
    *,
    locale: str,
    path: Path | None = None,
    source_locale: str = "en",
    domain: str | None = None,
    configured: Iterable[str] = (),
) -> list[Diagnostic]:
    """The header check and every entry check of a :class:`polib.POFile` (obsolete ones
    skipped), each entry checked as ``domain`` shows it (:func:`for_domain`); ``configured``:
    see :func:`check_header`."""
    where = path if path is not None else (Path(po.fpath) if getattr(po, "fpath", None) else None)
    line, field_lines = _header_lines_of(po)
    diagnostics = check_header(
        po.metadata,
        locale=locale,
        path=where,
        line=line,
        field_lines=field_lines,
        configured=configured,
    )
    for entry in po:
        if getattr(entry, "obsolete", False):
            continue
        diagnostics.extend(
            check_entry(
                for_domain(EntryText.from_polib(entry), domain),
                locale=locale,
                path=where,
                source_locale=source_locale,
            )
        )
    return diagnostics
