"""Figure 5: updating a big catalog with fuzzy matching, ours vs GNU msgmerge (and Babel).

:func:`make_catalogs` writes ``old.po`` (N entries, all translated) and ``new.pot`` (the next
template: 10% of the strings edited — one word changed, so a fuzzy match exists — 5% removed,
5% new). The strings are sentences from a small grammar (subject, verb, object, tail: 20 words
each), one or two per entry, plus short labels, so entries are distinct yet share words the way
a real catalog's do, which is what makes fuzzy matching work hard.

Every contender reads the two files and writes the merged catalog:

* ours — ``read_catalog`` + ``merge_catalog`` + ``write_catalog`` (in process);
* ``msgmerge --previous --quiet --lang=de -o out.po old.po new.pot``;
* Babel — ``read_po`` + ``Catalog.update`` + ``write_po`` in a subprocess, killed after 60 s.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import polib

from bench.corpus import fake_translation
from pubflow.i18n.merge import merge_catalog
from pubflow.i18n.pofile import read_catalog, write_catalog
from pubflow.locales import plural_forms_header

LOCALE = "de"

_SUBJECTS = (
    "The editor", "Your account", "This report", "The dashboard", "Each project", "The export",
    "Our team", "The scheduler", "Every invoice", "The archive", "This workspace", "The gateway",
    "Your profile", "The template", "Each reviewer", "The importer", "The catalog", "This page",
    "The newsletter", "Every subscriber",
)  # fmt: skip
_VERBS = (
    "keeps", "shows", "updates", "removes", "checks", "exports", "collects", "highlights",
    "saves", "shares", "archives", "sorts", "filters", "restores", "schedules", "validates",
    "compares", "syncs", "publishes", "reviews",
)  # fmt: skip
_OBJECTS = (
    "recent changes", "pending invitations", "failed payments", "unread messages",
    "draft articles", "expired sessions", "shared folders", "open tasks", "missing translations",
    "weekly summaries", "billing details", "user preferences", "custom fields", "saved searches",
    "delivery reports", "linked accounts", "access tokens", "scheduled posts", "audit entries",
    "backup files",
)  # fmt: skip
_TAILS = (
    "every morning", "before the deadline", "for all members", "without asking again",
    "in the background", "after each login", "when you are offline", "once a week",
    "for the selected period", "across every device", "as soon as possible",
    "until you confirm", "in your language", "for each region", "behind the scenes",
    "at the end of the month", "with a short delay", "on the next sync", "for new users",
    "whenever it changes",
)  # fmt: skip
_WORD_SWAPS = {word: others for others in (_VERBS,) for word in others}


def _sentence(rng: random.Random) -> str:
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."


def _label(rng: random.Random) -> str:
    words = f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)}".split()
    return " ".join(word.capitalize() for word in words)


def _text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return _label(rng)
    if roll < 0.7:
        return _sentence(rng)
    return f"{_sentence(rng)} {_sentence(rng)}"


def _edit(text: str, rng: random.Random) -> str:
    """The same string with one verb swapped for another (a typical small source edit)."""
    words = text.split(" ")
    spots = [i for i, word in enumerate(words) if word.lower() in _WORD_SWAPS]
    if not spots:
        return text + " Please try again."
    i = rng.choice(spots)
    choices = [v for v in _VERBS if v != words[i].lower()]
    replacement = rng.choice(choices)
    words[i] = replacement.capitalize() if words[i][:1].isupper() else replacement
    return " ".join(words)


@dataclass(frozen=True)
class MergeInput:
    """The files of one size and what the template did to them."""

    entries: int
    po: Path
    pot: Path
    changed: int
    removed: int
    added: int


def _header(catalog: polib.POFile, template: bool) -> None:
    catalog.metadata = {
        "Project-Id-Version": "bench",
        "POT-Creation-Date": "2026-11-25 00:00+0000",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    if not template:
        catalog.metadata["Language"] = LOCALE
        catalog.metadata["Plural-Forms"] = plural_forms_header(LOCALE)


def make_catalogs(folder: Path, entries: int, seed: int = 5) -> MergeInput:
    """Write ``old.po`` and ``new.pot`` of ``entries`` strings into ``folder``."""
    rng = random.Random(f"merge/{seed}/{entries}")
    texts: list[str] = []
    seen: set[str] = set()
    while len(texts) < entries:
        text = _text(rng)
        if text not in seen:
            seen.add(text)
            texts.append(text)
    old = polib.POFile(wrapwidth=79, encoding="utf-8")
    _header(old, template=False)
    for index, text in enumerate(texts):
        old.append(
            polib.POEntry(
                msgid=text,
                msgstr=fake_translation(text, LOCALE),
                occurrences=[(f"src/module{index // 40}.py", str(index % 40 * 7 + 1))],
            )
        )
    count = len(texts)
    changed = set(rng.sample(range(count), count // 10))
    removed = set(rng.sample(sorted(set(range(count)) - changed), count // 20))
    new_texts: list[str] = []
    for index, text in enumerate(texts):
        if index in removed:
            continue
        if index in changed:
            edited = _edit(text, rng)
            for _ in range(20):
                if edited not in seen:
                    break
                edited = _edit(text, rng)
            else:
                edited = f"{text} Please try again."  # every one-word edit is taken
            while edited in seen:
                edited += " Please try again."
            seen.add(edited)
            text = edited
        new_texts.append(text)
    added = 0
    while added < count // 20:
        text = _text(rng)
        if text not in seen:
            seen.add(text)
            new_texts.insert(rng.randrange(len(new_texts) + 1), text)
            added += 1
    pot = polib.POFile(wrapwidth=79, encoding="utf-8")
    _header(pot, template=True)
    for index, text in enumerate(new_texts):
        pot.append(
            polib.POEntry(msgid=text, occurrences=[(f"src/module{index // 40}.py", str(index % 40 * 7 + 1))])
        )
    folder.mkdir(parents=True, exist_ok=True)
    po_file, pot_file = folder / f"old-{entries}.po", folder / f"new-{entries}.pot"
    write_catalog(old, po_file)
    write_catalog(pot, pot_file)
    return MergeInput(entries, po_file, pot_file, len(changed), len(removed), added)


def merge_ours(data: MergeInput, out: Path) -> int:
    """Our update; returns how many entries came out fuzzy."""
    report = merge_catalog(read_catalog(data.po), read_catalog(data.pot), LOCALE)
    write_catalog(report.catalog, out)
    return report.fuzzy


def merge_msgmerge(data: MergeInput, out: Path) -> float:
    """Seconds GNU msgmerge takes for the same update."""
    start = time.perf_counter()
    subprocess.run(
        ["msgmerge", "--previous", "--quiet", f"--lang={LOCALE}", "-o", str(out), str(data.po), str(data.pot)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


_BABEL_SCRIPT = """
import sys, time
from babel.messages.pofile import read_po, write_po
po, pot, out = sys.argv[1:4]
start = time.perf_counter()
with open(po, 'rb') as f:
    catalog = read_po(f, locale='de')
with open(pot, 'rb') as f:
    template = read_po(f)
catalog.update(template)
with open(out, 'wb') as f:
    write_po(f, catalog)
print(time.perf_counter() - start)
"""


def merge_babel(data: MergeInput, out: Path, timeout: float = 60.0) -> float | None:
    """Seconds Babel's ``Catalog.update`` path takes, or None when it ran out of time."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _BABEL_SCRIPT, str(data.po), str(data.pot), str(out)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout.strip().splitlines()[-1])


def count_fuzzy(path: Path) -> int:
    """Fuzzy entries in a merged catalog (to check both sides found the edited strings)."""
    return sum(1 for entry in polib.pofile(str(path)) if "fuzzy" in entry.flags and not entry.obsolete)
