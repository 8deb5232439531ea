"""Concurrency: two ``pubflow catalogs update`` runs and a translator saving, all at once.

The translator works like Poedit: read the file, change one entry, save it (to a temp file,
then rename), again and again, never taking pubflow's lock. Whatever the interleaving:

* every translation the translator saved is in the catalog at the end (pubflow never writes
  over a save it did not read: it re-reads and merges again);
* every string of the template is there, and every translation the catalog held before;
* each update either succeeds or, when it lost the race for the lock, says so in one line and
  exits 2 — no traceback, nothing half-written.

Two ``publish`` flows at once on a Prefect server are the lead's (tests/flows).
"""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from pathlib import Path

import pytest

from hardening_support import (
    ARTICLE_SLUG,
    DEMO,
    all_translation_texts,
    make_project,
    python_env,
    spawn_python,
    translate_all,
)
from pubflow.config import Settings
from pubflow.i18n.pofile import catalog_lock, po_path, pot_path, read_catalog
from pubflow.i18n.sync import sync_catalogs
from pubflow.ingest.canonical import write_article

TRANSLATOR = """
    import os, random, sys, tempfile, time
    import polib

    path, saves, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    print("ready", flush=True)
    for number in range(saves):
        for attempt in range(50):
            try:
                po = polib.pofile(path, wrapwidth=0)  # may meet pubflow's rename: read again
                break
            except (OSError, ValueError):
                time.sleep(0.005)
        live = [e for e in po if not e.obsolete and not e.msgid.startswith("Calm Harbour")]
        entry = rng.choice(live)
        entry.msgstr = f"Translator save {number}"
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = None
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".poedit-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(str(po))
        os.replace(temp, path)
        print(f"{entry.msgid}\\t{entry.msgstr}", flush=True)
        time.sleep(rng.uniform(0.0, 0.03))
"""

CLEAR_LOSS = ("is locked by another pubflow run", "was changed on disk while pubflow was updating it")


def _project(root: Path) -> Settings:
    intro = tuple(f"Paragraph {n}: a calm walk and a calm plan for day {n}." for n in range(80))
    settings = make_project(root, locales=("de",), articles=(dataclasses.replace(DEMO, intro=intro),), issue=False)
    sync_catalogs(settings)
    translate_all(settings, "de", [ARTICLE_SLUG])
    sync_catalogs(settings)
    # Marketing rewords half the article: each update below has real merging to do.
    reworded = tuple(p.replace("calm", "quiet") if n % 2 else p for n, p in enumerate(intro))
    write_article(dataclasses.replace(DEMO, intro=reworded), settings.articles_path)
    return settings


def _update(root: Path, timeout: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pubflow", "catalogs", "update", "-l", "de", "--lock-timeout", timeout],
        cwd=root,
        env=python_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def run_race(root: Path, seed: int, saves: int = 12) -> dict[str, int]:
    settings = _project(root)
    path = po_path(settings, "de", ARTICLE_SLUG)
    held = all_translation_texts(path)
    translator = spawn_python(TRANSLATOR, root, str(path), str(saves), str(seed))
    assert translator.stdout is not None and translator.stdout.readline().strip() == b"ready"
    rng = random.Random(seed)
    # A patient run and an impatient one (it may lose the lock race and must say so).
    updates = [_update(root, "30"), _update(root, rng.choice(["0", "0.05", "30"]))]
    outcomes = {"ok": 0, "refused": 0}
    for process in updates:
        out, err = process.communicate(timeout=120)
        text = err.decode("utf-8")
        assert "Traceback" not in text, text
        if process.returncode == 0:
            outcomes["ok"] += 1
        else:
            assert process.returncode == 2, (process.returncode, text)
            assert any(reason in text for reason in CLEAR_LOSS), text
            assert len(text.strip().splitlines()) == 1, text
            outcomes["refused"] += 1
    # And one with merging to do that meets a long-running update (the test holds the lock):
    # it must give up after its --lock-timeout with one clear line, having written nothing.
    article = settings.articles_path / f"{ARTICLE_SLUG}.md"
    article.write_text(article.read_text("utf-8").replace("day 1.", "day one."), "utf-8")
    before = path.read_bytes()
    with catalog_lock(path):
        loser = _update(root, "0.3")
        _, err = loser.communicate(timeout=120)
    assert loser.returncode == 2 and "is locked by another pubflow run" in err.decode(), err
    assert len(err.decode().strip().splitlines()) == 1 and b"Traceback" not in err
    outcomes["refused"] += 1
    assert path.read_bytes() == before or translator.poll() is None  # only the translator wrote
    lines, err = translator.communicate(timeout=120)
    assert translator.returncode == 0, err
    last_save = dict(line.split("\t") for line in lines.decode("utf-8").splitlines())
    assert len(last_save) >= 1

    # After the dust settles, one more update (what the next publish does).
    sync_catalogs(settings)
    catalog = read_catalog(path)
    live = {entry.msgid: entry for entry in catalog if not entry.obsolete}
    for msgid, text in last_save.items():
        if msgid in live:
            assert live[msgid].msgstr == text, (msgid, live[msgid].msgstr, text)
        else:  # its source was reworded: the translation moved on, fuzzy, or is obsolete
            assert text in all_translation_texts(path), (msgid, text)
    template = {entry.msgid for entry in read_catalog(pot_path(settings, ARTICLE_SLUG))}
    assert template <= set(live), template - set(live)
    overwritten_on_purpose = {text for text in held if text not in all_translation_texts(path)}
    # The translator replaced some texts themselves (that is their right); nothing else went.
    assert len(overwritten_on_purpose) <= len(last_save), overwritten_on_purpose
    return outcomes


def test_two_updates_and_a_translator_save_lose_nothing(tmp_path: Path) -> None:
    outcomes = run_race(tmp_path / "race", seed=7)
    assert outcomes["ok"] >= 1 and outcomes["refused"] >= 1
    print(f"\nconcurrency: {outcomes}")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_concurrency_soak(tmp_path: Path) -> None:
    total = {"ok": 0, "refused": 0}
    for seed in range(15):
        for key, value in run_race(tmp_path / f"race-{seed}", seed=seed, saves=20).items():
            total[key] += value
    assert total["refused"] >= 15  # every race had a loser, and it said so
    print(f"\nconcurrency (soak): 15 races, {total}")
