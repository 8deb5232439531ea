"""Property: whatever mix of pre-fill, human edits and catalog updates, no reviewed text changes.

The catalog update is :func:`pubflow.i18n.merge.merge_catalog` (the real one, issue 2/9).
Pre-fill runs the whole network path (masking, client, checks, memory, locked write) with an
in-process translator instead of HTTP, so hundreds of steps stay fast.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import polib
from mt_support import make_catalog, write_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubflow.i18n.machine.client import ClientOptions
from pubflow.i18n.machine.prefill import prefill_catalogs
from pubflow.i18n.pofile import read_catalog, write_catalog

POOL = [
    "Hello %(name)s",
    "Read <b>this</b> first",
    "Visit https://example.org/ today",
    "Save {count} files",
    "Plain sentence one.",
    "Plain sentence two.",
    "Plain sentence three.",
    "Thanks",
]
OPTIONS = ClientOptions(timeout=1, concurrency=2, requests_per_second=10_000, retries=0, backoff=0.001)


def fake_translator(source: str, target: str):
    return lambda text: f"MT {text.upper()}"


def update(po: polib.POFile, sources: list[str]) -> polib.POFile:
    """The catalog update of issue 2/9 against a template holding ``sources``."""
    from pubflow.i18n.merge import merge_catalog

    pot = make_catalog("de", [{"msgid": msgid} for msgid in sources])
    return merge_catalog(po, pot, "de").catalog


operations = st.lists(
    st.one_of(
        st.tuples(st.just("prefill")),
        st.tuples(st.just("edit"), st.integers(0, 20)),
        st.tuples(st.just("accept"), st.integers(0, 20)),
        st.tuples(st.just("update"), st.sets(st.sampled_from(POOL), min_size=1), st.booleans()),
    ),
    min_size=1,
    max_size=8,
)


def reviewed(po: polib.POFile) -> dict[tuple[str | None, str], str]:
    return {(e.msgctxt, e.msgid): str(e) for e in po if not e.obsolete and e.msgstr and not e.fuzzy}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_no_reviewed_translation_ever_changes(steps: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = write_project(Path(folder), ("de",), {"guide": [{"msgid": m} for m in POOL[:5]]})
        path = project.path("de", "guide")
        settings_ = project.settings()
        human: set[str] = set()  # every text a translator wrote or approved

        for number, step in enumerate(steps):
            po = read_catalog(path)
            live = [e for e in po if not e.obsolete]
            if step[0] == "prefill":
                empty = {(e.msgctxt, e.msgid) for e in live if not e.msgstr}
                others = {(e.msgctxt, e.msgid): str(e) for e in live if e.msgstr}
                prefill_catalogs(
                    settings_, ["de"], "google", translator_for=fake_translator,
                    options=OPTIONS, today=date(2026, 11, 25),
                )  # fmt: skip
                after = read_catalog(path)
                for entry in after:
                    key = (entry.msgctxt, entry.msgid)
                    if entry.obsolete or key in empty:
                        if key in empty and entry.msgstr:
                            assert entry.fuzzy and "machine-translated: google" in entry.tcomment
                        continue
                    assert str(entry) == others[key], "pre-fill touched a non-empty entry"
            else:
                if step[0] == "edit" and live:
                    entry = live[step[1] % len(live)]
                    human.discard(entry.msgstr)  # they replace their own text on purpose
                    entry.msgstr = f"HUMAN {number}"  # even invalid: a human's text is theirs
                    if "fuzzy" in entry.flags:
                        entry.flags.remove("fuzzy")
                    entry.previous_msgid = None
                    human.add(entry.msgstr)
                elif step[0] == "accept" and live:
                    entry = live[step[1] % len(live)]
                    if entry.msgstr and "fuzzy" in entry.flags:
                        entry.flags.remove("fuzzy")  # a translator clears fuzzy: reviewed
                        entry.previous_msgid = None
                        human.add(entry.msgstr)
                elif step[0] == "update":
                    sources = sorted(step[1])
                    if step[2]:  # reword one string: fuzzy match keeps the old text as stale
                        sources = [sources[0] + " Now updated.", *sources[1:]]
                    po = update(po, sources)
                write_catalog(po, path)
            # Nothing a translator wrote is ever lost: it is still some entry's text (live,
            # stale under a changed msgid, or obsolete).
            texts = {e.msgstr for e in read_catalog(path)}
            assert human <= texts, human - texts
