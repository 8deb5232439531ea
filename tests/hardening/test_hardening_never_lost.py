"""Translator work is never lost: a Hypothesis state machine over a real temp project.

It interleaves what happens to a project over months — marketers reword, add and remove
paragraphs of the canonical article; ``sync_catalogs`` extracts and merges; machine pre-fill
fills empty entries; a translator fills, reviews and rewrites entries in their own tool (polib,
saved the way a third-party tool saves); catalogs are compiled and the site rebuilt — and after
every step checks:

* every reviewed translation whose source string still exists is unchanged (and not fuzzy);
* every other translation ever written (by a person or a machine) is still in the catalog, as
  an active (possibly fuzzy) entry or an obsolete ``#~`` one — unless the translator replaced
  that very text on purpose;
* nothing automatic ever makes an entry reviewed: every non-fuzzy translation is one a person
  approved;
* the catalog reads strictly, GNU msgfmt accepts it, and the German page shows every reviewed
  translation of the current article.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import polib
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from hardening_support import ARTICLE_SLUG, DEMO, all_translation_texts, make_project
from pubflow.i18n.compile import compile_catalogs
from pubflow.i18n.machine.client import ClientOptions
from pubflow.i18n.machine.prefill import prefill_catalogs
from pubflow.i18n.pofile import po_path, read_catalog
from pubflow.i18n.runtime import clear_cache
from pubflow.i18n.states import has_provenance
from pubflow.i18n.sync import sync_catalogs
from pubflow.ingest.canonical import write_article
from pubflow.model import Tip

WORDS = (
    "calm morning evening walk breathe plan write quiet light rest tea garden week slowly "
    "friends phone notes water sleep early habit focus small steps kind gentle routine"
).split()
OPTIONS = ClientOptions(timeout=1, concurrency=2, requests_per_second=10_000, retries=0, backoff=0.001)
FAST = settings(
    max_examples=8,
    stateful_step_count=24,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SOAK = settings(FAST, max_examples=150, stateful_step_count=30)
STATS = {"runs": 0, "steps": 0}

sentences = st.lists(st.sampled_from(WORDS), min_size=4, max_size=9).map(
    lambda words: " ".join(words).capitalize() + "."
)


def machine(source: str, target: str):  # noqa: ANN201 — deep-translator's factory shape
    return lambda text: f"MT {text.upper()}"


class NeverLoseTranslations(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        STATS["runs"] += 1
        self.root = Path(tempfile.mkdtemp(prefix="pubflow-never-lost-"))
        self.settings = make_project(self.root, locales=("de",), issue=False)
        self.path = po_path(self.settings, "de", ARTICLE_SLUG)
        self.intro = list(DEMO.intro)
        self.tips = [tip.paragraphs[0] for tip in DEMO.tips]
        self.serial = 0
        self.reviewed: dict[str, str] = {}  # msgid → the text a person approved (source alive)
        self.approved: set[str] = set()  # every text a person ever approved
        self.written: set[str] = set()  # every translation that must still be somewhere
        # Start where real projects are: everything pre-filled, some of it reviewed, so every
        # later edit has translations to lose.
        sync_catalogs(self.settings, compile=False)
        self.machine_prefill()
        po = self._open()
        for entry in self._live(po)[::2]:
            self._approve(entry, entry.msgstr)
        po.save(str(self.path))

    def teardown(self) -> None:
        clear_cache()
        shutil.rmtree(self.root, ignore_errors=True)

    # The source side --------------------------------------------------------------------
    def _unique(self, text: str) -> str:
        self.serial += 1
        return f"{text[:-1]} {self.serial}."  # one msgid per paragraph, still similar prose

    def _save_article(self) -> None:
        tips = tuple(Tip(tip.heading, (text,)) for tip, text in zip(DEMO.tips, self.tips, strict=True))
        article = DEMO.__class__(**{**DEMO.__dict__, "intro": tuple(self.intro), "tips": tips})
        write_article(article, self.settings.articles_path)

    def _source_strings(self) -> set[str]:
        fixed = {DEMO.title, DEMO.summary, *(t.heading for t in DEMO.tips), *(r.title for r in DEMO.related)}
        fixed |= {f.question for f in DEMO.faq} | {a for f in DEMO.faq for a in f.answer}
        return fixed | set(DEMO.conclusion) | set(self.intro) | set(self.tips)

    @rule(data=st.data())
    def reword_a_paragraph(self, data: st.DataObject) -> None:
        paragraphs = self.intro + self.tips
        index = data.draw(st.integers(0, len(paragraphs) - 1))
        words = paragraphs[index][:-1].split()
        position = data.draw(st.integers(0, len(words) - 2))  # the serial number stays last
        words[position] = data.draw(st.sampled_from(WORDS))
        changed = " ".join(words) + "."
        if changed in paragraphs:
            return
        if index < len(self.intro):
            self.intro[index] = changed
        else:
            self.tips[index - len(self.intro)] = changed
        self._save_article()

    @precondition(lambda self: len(self.intro) < 6)
    @rule(text=sentences, data=st.data())
    def add_a_paragraph(self, text: str, data: st.DataObject) -> None:
        self.intro.insert(data.draw(st.integers(0, len(self.intro))), self._unique(text))
        self._save_article()

    @precondition(lambda self: len(self.intro) > 1)
    @rule(data=st.data())
    def remove_a_paragraph(self, data: st.DataObject) -> None:
        del self.intro[data.draw(st.integers(0, len(self.intro) - 1))]
        self._save_article()

    # Automation ---------------------------------------------------------------------------
    @rule(compile=st.booleans())
    def sync(self, compile: bool) -> None:
        sync_catalogs(self.settings, compile=compile)
        alive = self._source_strings()
        # A reviewed string whose source left is now "some other translation": it must stay
        # somewhere (fuzzy under the new wording, or obsolete), but may change state.
        for msgid in [m for m in self.reviewed if m not in alive]:
            del self.reviewed[msgid]

    @rule()
    def sync_again(self) -> None:
        """Syncs are frequent in real life (every publish); a second rule makes them so here."""
        self.sync(compile=False)

    @rule()
    def machine_prefill(self) -> None:
        before = {(e.msgctxt, e.msgid): str(e) for e in read_catalog(self.path) if e.msgstr}
        prefill_catalogs(
            self.settings, ["de"], "google", domains=[ARTICLE_SLUG], translator_for=machine,
            options=OPTIONS, today=date(2026, 11, 25),
        )  # fmt: skip
        for entry in read_catalog(self.path):
            key = (entry.msgctxt, entry.msgid)
            if key in before:
                assert str(entry) == before[key], "pre-fill touched an entry that had text"
            elif entry.msgstr:
                assert entry.fuzzy and has_provenance(entry) and not entry.obsolete
                self.written.add(entry.msgstr)

    @rule()
    def compile_and_build(self) -> None:
        from pubflow.render.site import render_site

        clear_cache()
        compile_catalogs(self.settings, ["de"])
        report = render_site(self.settings, ["de"])
        page = (report.out_dir / "de" / ARTICLE_SLUG / "index.html").read_text("utf-8")
        current = self._source_strings()
        for msgid, text in self.reviewed.items():
            if msgid in current:
                assert text in page, (msgid, text)

    # The translator (their own tool: polib reads and saves the whole file) ----------------
    def _open(self) -> polib.POFile:
        return polib.pofile(str(self.path), wrapwidth=0)

    def _live(self, po: polib.POFile) -> list[polib.POEntry]:
        return [entry for entry in po if not entry.obsolete]

    def _approve(self, entry: polib.POEntry, text: str) -> None:
        if entry.msgstr and entry.msgstr != text:
            self.written.discard(entry.msgstr)  # replaced on purpose by the translator
        entry.msgstr = text
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgctxt = None  # Poedit drops #| on review
        self.reviewed[entry.msgid] = text
        self.approved.add(text)
        self.written.add(text)

    @rule(pick=st.integers(0, 50))
    def translator_fills_an_entry(self, pick: int) -> None:
        po = self._open()
        open_entries = [e for e in self._live(po) if not e.msgstr or e.fuzzy]
        if not open_entries:
            return
        self.serial += 1
        self._approve(open_entries[pick % len(open_entries)], f"Human {self.serial} uebersetzt")
        po.save(str(self.path))

    @rule(pick=st.integers(0, 50))
    def translator_clears_fuzzy(self, pick: int) -> None:
        po = self._open()
        fuzzy = [e for e in self._live(po) if e.fuzzy and e.msgstr]
        if not fuzzy:
            return
        entry = fuzzy[pick % len(fuzzy)]
        self._approve(entry, entry.msgstr)
        po.save(str(self.path))

    @rule(pick=st.integers(0, 50))
    def translator_rewrites_a_reviewed_entry(self, pick: int) -> None:
        po = self._open()
        done = [e for e in self._live(po) if e.msgstr and not e.fuzzy]
        if not done:
            return
        self.serial += 1
        self._approve(done[pick % len(done)], f"Human {self.serial} verbessert")
        po.save(str(self.path))

    @rule()
    def msgfmt_accepts_the_catalog(self) -> None:
        result = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(self.path)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr

    # After every step ----------------------------------------------------------------------
    @invariant()
    def nothing_is_lost(self) -> None:
        STATS["steps"] += 1
        po = read_catalog(self.path)  # strict: parses, UTF-8, no duplicates
        live = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
        current = self._source_strings()
        for msgid, text in self.reviewed.items():
            if msgid in current and (None, msgid) in live:
                entry = live[(None, msgid)]
                assert entry.msgstr == text and not entry.fuzzy, (msgid, text, str(entry))
        missing = self.written - all_translation_texts(self.path)
        assert not missing, f"translations lost: {sorted(missing)}"
        for entry in live.values():
            if entry.msgstr and not entry.fuzzy:
                assert entry.msgstr in self.approved, f"made reviewed by automation: {entry.msgstr!r}"


def test_translator_work_is_never_lost() -> None:
    run_state_machine_as_test(NeverLoseTranslations, settings=FAST)
    print(f"\nnever-lost: {STATS['runs']} runs, {STATS['steps']} steps checked")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_translator_work_is_never_lost_soak() -> None:
    run_state_machine_as_test(NeverLoseTranslations, settings=SOAK)
    print(f"\nnever-lost (soak): {STATS['runs']} runs, {STATS['steps']} steps checked")
