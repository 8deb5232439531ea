"""Merging a language's catalog with a new template: ``msgmerge --previous``, but faster and safer.

- Strings new in the template are added empty; strings gone from it become obsolete (``#~``)
  with their translation; unchanged strings keep translation, ``fuzzy``, translator comments
  (the ``# machine-translated: …`` provenance marker too) and take references, extracted
  comments and format flags from the template.
- A changed string is matched against the strings that left (and the obsolete ones): the
  best match with a similarity of at least :data:`SIMILARITY_CUTOFF` (msgmerge's 0.6, the same
  ratio ``2·matches / total length``) gives its translation, ``fuzzy`` and the previous msgid
  (``#|``) so the translator sees exactly what changed. Matching is indexed by context and by
  length (a ratio ≥ 60 needs lengths within a factor 7/3), and rapidfuzz scores the rest in C++,
  so 5,000 entries merge in well under a second where Babel takes minutes.
- A fuzzy match only ever fills an entry that has no translation of its own: it never replaces
  a reviewed translation. An obsolete entry whose msgid comes back is revived as it was.

Which previous msgid a fuzzy entry shows: the translation was made for some source text; the
``#|`` line must show *that* text, so the diff the translator sees covers every change since
their last review. If the matched entry was itself stale (fuzzy with a ``#|``), its translation
still belongs to that older msgid, so the older ``#|`` is kept; otherwise its msgid is used.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field

import polib

from pubflow.i18n.linebreak import PAGE_WIDTH
from pubflow.locales import plural_count, plural_forms_header

SIMILARITY_CUTOFF = 60.0
"""Minimum rapidfuzz ratio (0-100) for a fuzzy match; msgmerge's threshold is 0.6."""

_MIN_LENGTH_RATIO = SIMILARITY_CUTOFF / (200.0 - SIMILARITY_CUTOFF)  # 2·min/(a+b) ≥ 0.6 ⇒ min/max ≥ 3/7

Key = tuple[str | None, str]


@dataclass
class MergeReport:
    """What a merge did, and the merged catalog (``catalog``)."""

    locale: str
    catalog: polib.POFile
    added: int = 0
    fuzzy: int = 0
    obsoleted: int = 0
    revived: int = 0
    unchanged: int = 0
    dropped_untranslated: int = 0
    fuzzy_sources: dict[Key, Key] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Live entries in the merged catalog."""
        return sum(1 for entry in self.catalog if not entry.obsolete)

    @property
    def changed(self) -> bool:
        """Whether any entry was added, matched, obsoleted or revived."""
        return bool(self.added or self.fuzzy or self.obsoleted or self.revived)


def _key(entry: polib.POEntry) -> Key:
    return (entry.msgctxt, entry.msgid)


def _has_translation(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return any(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def _translation_text(entry: polib.POEntry) -> str:
    """The singular translation (first plural form for plural entries)."""
    if entry.msgid_plural:
        return entry.msgstr_plural.get(0, "")
    return entry.msgstr


def _fill_translation(target: polib.POEntry, source: polib.POEntry, nplurals: int) -> None:
    """Copy the translation of ``source`` into ``target`` (shapes may differ: plural vs not)."""
    if target.msgid_plural:
        if source.msgid_plural:
            forms = {int(index): text for index, text in source.msgstr_plural.items()}
        else:
            forms = {0: source.msgstr}
        for index in range(nplurals):
            forms.setdefault(index, "")
        # Extra forms beyond nplurals are kept when they hold text (never lose a translation).
        target.msgstr_plural = {
            index: text for index, text in sorted(forms.items()) if index < nplurals or text
        }
        target.msgstr = ""
    else:
        target.msgstr = _translation_text(source)
        target.msgstr_plural = {}


def _from_template(template: polib.POEntry, nplurals: int) -> polib.POEntry:
    """A fresh, untranslated entry with the template's message, comments, references and flags."""
    return polib.POEntry(
        msgid=template.msgid,
        msgid_plural=template.msgid_plural,
        msgctxt=template.msgctxt,
        msgstr="",
        msgstr_plural={index: "" for index in range(nplurals)} if template.msgid_plural else {},
        comment=template.comment,
        occurrences=list(template.occurrences),
        flags=[flag for flag in template.flags if flag != "fuzzy"],
    )


def _carry_over(target: polib.POEntry, old: polib.POEntry, nplurals: int) -> None:
    """Same message: keep translation, translator comments, fuzzy and (if stale) the ``#|``."""
    _fill_translation(target, old, nplurals)
    target.tcomment = old.tcomment
    same_shape = bool(old.msgid_plural) == bool(target.msgid_plural) and (
        old.msgid_plural == target.msgid_plural
    )
    if old.fuzzy or (not same_shape and _has_translation(old)):
        target.flags.insert(0, "fuzzy")
    if old.fuzzy:
        target.previous_msgctxt = old.previous_msgctxt
        target.previous_msgid = old.previous_msgid
        target.previous_msgid_plural = old.previous_msgid_plural
    if not same_shape and target.previous_msgid is None and _has_translation(old):
        # The plural form appeared or vanished: show the old message as the previous one.
        target.previous_msgid = old.msgid
        target.previous_msgid_plural = old.msgid_plural or None


def _fuzzy_from(target: polib.POEntry, old: polib.POEntry, nplurals: int) -> None:
    """A changed message: the old translation, fuzzy, and the previous msgid it was made for."""
    _fill_translation(target, old, nplurals)
    target.tcomment = old.tcomment
    target.flags.insert(0, "fuzzy")
    if old.fuzzy and old.previous_msgid is not None:
        target.previous_msgctxt = old.previous_msgctxt
        target.previous_msgid = old.previous_msgid
        target.previous_msgid_plural = old.previous_msgid_plural
    else:
        target.previous_msgctxt = old.msgctxt if old.msgctxt != target.msgctxt else None
        target.previous_msgid = old.msgid
        target.previous_msgid_plural = old.msgid_plural or None


def _obsolete_copy(old: polib.POEntry) -> polib.POEntry:
    """An obsolete (``#~``) entry keeping the message, translation and translator comments."""
    return polib.POEntry(
        msgid=old.msgid,
        msgid_plural=old.msgid_plural,
        msgctxt=old.msgctxt,
        msgstr=old.msgstr,
        msgstr_plural=dict(old.msgstr_plural),
        tcomment=old.tcomment,
        flags=["fuzzy"] if old.fuzzy else [],
        obsolete=True,
    )


def _revive(template: polib.POEntry, obsolete: polib.POEntry, nplurals: int) -> polib.POEntry:
    entry = _from_template(template, nplurals)
    _fill_translation(entry, obsolete, nplurals)
    entry.tcomment = obsolete.tcomment
    if obsolete.fuzzy:
        entry.flags.insert(0, "fuzzy")
    return entry


_WORD = re.compile(r"\w+")
_SHORTLIST = 64  # candidates sharing the most words with a query that rapidfuzz then scores
_MIN_WORDS = 3  # shorter queries are compared with every candidate of a plausible length


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _slot(entry: polib.POEntry) -> tuple[str, str]:
    """Where a string sits (extracted comment + file), e.g. ("tip 2 — paragraph 1", "x.md")."""
    first_file = entry.occurrences[0][0] if entry.occurrences else ""
    return (entry.comment, first_file)


class _Matcher:
    """Finds the most similar old msgid for a new one without comparing every pair.

    Candidates come from three indexes: the same slot (extracted comment and file: the
    same paragraph of the same article, edited), the words a query shares with them (a
    ratio ≥ 60 between sentences of 3+ words means shared words), and for short queries,
    every candidate whose length allows the cutoff. rapidfuzz scores the shortlist; the same
    msgctxt wins over another one.
    """

    def __init__(self, candidates: list[polib.POEntry]) -> None:
        self._entries = candidates
        self._texts = [entry.msgid for entry in candidates]
        order = sorted(range(len(candidates)), key=lambda i: (len(self._texts[i]), i))
        self._by_length = order
        self._lengths = [len(self._texts[i]) for i in order]
        self._postings: dict[str, list[int]] = {}
        self._slots: dict[tuple[str, str], list[int]] = {}
        for index, entry in enumerate(candidates):
            for word in _words(entry.msgid):
                self._postings.setdefault(word, []).append(index)
            if entry.comment:
                self._slots.setdefault(_slot(entry), []).append(index)
        # Words in most candidates say nothing about which one matches.
        common = max(50, len(candidates) // 10)
        self._postings = {word: ids for word, ids in self._postings.items() if len(ids) <= common}

    def _shortlist(self, template: polib.POEntry) -> list[int]:
        query = template.msgid
        words = _words(query)
        found: set[int] = set(self._slots.get(_slot(template), [])) if template.comment else set()
        if len(words) >= _MIN_WORDS:
            counts: Counter[int] = Counter()
            for word in words:
                counts.update(self._postings.get(word, ()))
            found.update(index for index, _ in counts.most_common(_SHORTLIST))
        else:
            size = len(query)
            low = bisect_left(self._lengths, int(size * _MIN_LENGTH_RATIO))
            high = bisect_right(self._lengths, int(size / _MIN_LENGTH_RATIO) + 1)
            found.update(self._by_length[low:high])
        return sorted(found)

    def _best(self, query: str, pool: list[int]) -> int | None:
        if not pool:
            return None
        # Imported here: a merge of a catalog already in step with its template (a translator's
        # save) matches nothing, and rapidfuzz is ~11 ms of that sync's start.
        from rapidfuzz import fuzz, process

        result = process.extractOne(
            query,
            [self._texts[i] for i in pool],
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=SIMILARITY_CUTOFF,
        )
        return pool[result[2]] if result is not None else None

    def match(self, template: polib.POEntry) -> polib.POEntry | None:
        """The most similar candidate (same msgctxt first); None below the cutoff."""
        pool = self._shortlist(template)
        same = [i for i in pool if self._entries[i].msgctxt == template.msgctxt]
        best = self._best(template.msgid, same)
        if best is None:
            best = self._best(template.msgid, [i for i in pool if self._entries[i].msgctxt != template.msgctxt])
        return self._entries[best] if best is not None else None


def merged_header(
    old: polib.POFile | None, pot: polib.POFile, locale: str
) -> tuple[str, dict[str, str], bool]:
    """Header comment, metadata and fuzzy flag of the merged catalog.

    The old catalog's header is kept in its order (Poedit's keys too); the keys pubflow owns
    are set in place, and missing ones are added, so an update never reorders the header.
    """
    metadata: dict[str, str] = dict(old.metadata) if old is not None else {}
    wanted = {
        "Project-Id-Version": metadata.get("Project-Id-Version")
        or pot.metadata.get("Project-Id-Version", "pubflow"),
        "POT-Creation-Date": pot.metadata.get("POT-Creation-Date", metadata.get("POT-Creation-Date", "")),
        "Language": locale,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": plural_forms_header(locale),
    }
    for key, value in wanted.items():
        if value or key not in metadata:
            metadata[key] = value
    header = old.header if old is not None and old.header else ""
    fuzzy = bool(old.metadata_is_fuzzy) if old is not None else False
    return header, metadata, fuzzy


def merge_catalog(
    po: polib.POFile | None, pot: polib.POFile, locale: str, *, keep_if_unchanged: bool = False
) -> MergeReport:
    """Merge ``po`` (None: a new catalog) with the template ``pot``; neither is modified.

    ``keep_if_unchanged``: when the merge provably gives back exactly ``po`` (the usual case:
    a catalog already in step with its template), the report's ``catalog`` is ``po`` itself
    instead of an equal copy, and none is built (see :func:`_in_step`); callers that change
    the merged catalog must not ask for that.
    """
    if keep_if_unchanged and po is not None:
        report = _in_step(po, pot, locale)
        if report is not None:
            return report
    nplurals = plural_count(locale)
    result = polib.POFile(wrapwidth=PAGE_WIDTH, encoding="utf-8")
    report = MergeReport(locale=locale, catalog=result)
    header, metadata, header_fuzzy = merged_header(po, pot, locale)
    result.header = header
    result.metadata = metadata
    result.metadata_is_fuzzy = header_fuzzy

    old_entries = list(po) if po is not None else []
    live: dict[Key, polib.POEntry] = {}
    obsolete: dict[Key, polib.POEntry] = {}
    for entry in old_entries:
        target = obsolete if entry.obsolete else live
        target.setdefault(_key(entry), entry)
    template_entries = [entry for entry in pot if not entry.obsolete and entry.msgid]
    template_keys = {_key(entry) for entry in template_entries}

    merged: list[polib.POEntry | None] = []
    pending: list[tuple[int, polib.POEntry]] = []
    used: set[int] = set()  # id() of old entries whose translation moved to a live entry
    for template in template_entries:
        key = _key(template)
        entry = _from_template(template, nplurals)
        if key in live:
            _carry_over(entry, live[key], nplurals)
            used.add(id(live[key]))
            report.unchanged += 1
        elif key in obsolete:
            entry = _revive(template, obsolete[key], nplurals)
            used.add(id(obsolete[key]))
            report.revived += 1
        else:
            pending.append((len(merged), template))
        merged.append(entry)

    # Candidates for fuzzy matching: translated entries that left the template, and obsolete
    # ones. Entries still in the template are never candidates, so a fuzzy match cannot take
    # (or replace) a translation that belongs to another live entry.
    candidates = [
        entry
        for entry in old_entries
        if id(entry) not in used and _key(entry) not in template_keys and _has_translation(entry)
    ]
    matcher = _Matcher(candidates) if candidates and pending else None
    for position, template in pending:
        entry = merged[position]
        assert entry is not None
        source = matcher.match(template) if matcher is not None else None
        if source is None:
            report.added += 1
        else:
            _fuzzy_from(entry, source, nplurals)
            used.add(id(source))
            report.fuzzy += 1
            report.fuzzy_sources[_key(template)] = _key(source)

    for entry in merged:
        assert entry is not None
        result.append(entry)
    for old in old_entries:
        if id(old) in used:
            continue
        if old.obsolete:
            if _key(old) not in template_keys and _has_translation(old):
                result.append(_obsolete_copy(old))
        elif _key(old) not in template_keys:
            if _has_translation(old):
                result.append(_obsolete_copy(old))
                report.obsoleted += 1
            else:
                report.dropped_untranslated += 1
    return report


def _in_step(po: polib.POFile, pot: polib.POFile, locale: str) -> MergeReport | None:
    """The report of merging ``po`` with ``pot`` when that merge gives back ``po`` as it is.

    Building the merged catalog — a new entry per template entry, filled from the old one,
    then compared field by field — was most of a sync's merge time, though nearly every
    catalog is already in step. This proves the outcome instead: every field the merge would
    write (see :func:`merge_catalog`, :func:`_carry_over`, :func:`_obsolete_copy`) is checked
    against what ``po`` holds, in the order :func:`pubflow.i18n.pofile.same_catalog` compares.
    None when anything might differ (the caller then merges for real); a report means the
    real merge would have given an equal catalog and exactly these counts (every template
    entry carried over unchanged, nothing added, matched, obsoleted, revived or dropped).
    Tests hold it to the full merge on every catalog we have and on generated variations.
    """
    header, metadata, header_fuzzy = merged_header(po, pot, locale)
    if (
        po.header != header
        or list(po.metadata.items()) != list(metadata.items())
        or bool(po.metadata_is_fuzzy) != header_fuzzy
    ):
        return None
    templates = [entry for entry in pot if not entry.obsolete and entry.msgid]
    count = len(templates)
    if len(po) < count:
        return None
    nplurals = plural_count(locale)
    seen: set[Key] = set()
    for template, old in zip(templates, po):
        key = _key(old)
        # The same message at the same place, each once (the merge carries a key's first
        # live entry over: a repeated key would take another entry's translation).
        if old.obsolete or key != _key(template) or key in seen:
            return None
        seen.add(key)
        if not _carried_over_as_is(old, template, nplurals):
            return None
    if len(po) > count:
        # Only obsolete entries may follow, each one the merge keeps as it is: translated,
        # gone from the template, and holding nothing an obsolete copy would drop.
        for old in po[count:]:
            if (
                not old.obsolete
                or _key(old) in seen
                or not _has_translation(old)
                or old.flags != (["fuzzy"] if old.fuzzy else [])
                or old.comment != ""
                or old.occurrences != []
                or old.previous_msgctxt is not None
                or old.previous_msgid is not None
                or old.previous_msgid_plural is not None
            ):
                return None
    return MergeReport(locale=locale, catalog=po, unchanged=count)


def _carried_over_as_is(old: polib.POEntry, template: polib.POEntry, nplurals: int) -> bool:
    """Whether :func:`_carry_over` of ``old`` onto ``_from_template(template)`` equals ``old``
    (same key already checked): every field the writer writes, as ``same_catalog`` compares."""
    if old.msgid_plural != template.msgid_plural:
        return False  # a changed plural shape: the merge marks it fuzzy
    if old.comment != template.comment:
        return False
    occurrences = template.occurrences
    if old.occurrences != (occurrences if type(occurrences) is list else list(occurrences)):
        return False
    fuzzy = old.fuzzy
    flags = [flag for flag in template.flags if flag != "fuzzy"]
    if old.flags != (["fuzzy", *flags] if fuzzy else flags):
        return False
    if not fuzzy and not (
        old.previous_msgctxt is None and old.previous_msgid is None and old.previous_msgid_plural is None
    ):
        return False  # a reviewed entry keeps no #| lines through a merge
    if template.msgid_plural:
        if old.msgstr != "":
            return False
        forms = {int(index): text for index, text in old.msgstr_plural.items()}
        for index in range(nplurals):
            forms.setdefault(index, "")
        expected = {index: text for index, text in sorted(forms.items()) if index < nplurals or text}
        return bool(old.msgstr_plural == expected)
    return bool(old.msgstr_plural == {})


__all__ = ["SIMILARITY_CUTOFF", "MergeReport", "merge_catalog", "merged_header"]
