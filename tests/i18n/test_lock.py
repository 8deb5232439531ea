"""The lock file and the translator-save guard: concurrent runs never lose an edit."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import polib
import pytest

from pubflow.config import load_settings
from pubflow.errors import CatalogError
from pubflow.i18n.pofile import (
    catalog_lock,
    dump_catalog,
    edit_catalog,
    lock_path,
    po_path,
    read_catalog,
    update_catalog,
)
from pubflow.i18n.sync import sync_catalogs
from pubflow.ingest.canonical import write_article
from pubflow.model import Article, Tip

REPO = Path(__file__).resolve().parents[2]


def seed_catalog(path: Path, *msgids: str) -> None:
    po = polib.POFile()
    po.metadata = {"Language": "de", "Content-Type": "text/plain; charset=UTF-8"}
    for msgid in msgids:
        po.append(polib.POEntry(msgid=msgid, msgstr=""))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_catalog(po), encoding="utf-8")


def run_python(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


ADD_ENTRY = """
    import sys, time, polib
    from pathlib import Path
    from pubflow.i18n.pofile import update_catalog

    path, msgid, pause, signal = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]

    def add(po):
        Path(signal).write_text("reading")  # tell the test we hold the lock
        time.sleep(pause)  # a slow merge
        po.append(polib.POEntry(msgid=msgid, msgstr=msgid.upper()))

    update_catalog(path, add, timeout=float(sys.argv[5]))
"""


def spawn_add(path: Path, msgid: str, pause: float, signal: Path, timeout: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(ADD_ENTRY), str(path), msgid, str(pause), str(signal), str(timeout)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, seconds: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.02)


def test_two_processes_updating_one_catalog_lose_no_entry(tmp_path: Path) -> None:
    path = tmp_path / "de.po"
    seed_catalog(path, "existing")
    first = spawn_add(path, "from first run", 1.0, tmp_path / "first.signal", 30)
    wait_for(tmp_path / "first.signal")  # the first run holds the lock and has read the file
    second = spawn_add(path, "from second run", 0.0, tmp_path / "second.signal", 30)
    for process in (first, second):
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
    assert {entry.msgid for entry in read_catalog(path)} == {"existing", "from first run", "from second run"}


def test_the_loser_of_a_lock_gets_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "de.po"
    seed_catalog(path, "existing")
    holder = spawn_add(path, "slow", 3.0, tmp_path / "holder.signal", 30)
    wait_for(tmp_path / "holder.signal")
    with pytest.raises(CatalogError) as caught:
        with edit_catalog(path, timeout=0.2):
            pass
    assert caught.value.path == path
    assert "locked by another pubflow run" in caught.value.message
    assert "wait" in (caught.value.hint or "")
    holder.communicate(timeout=60)
    assert holder.returncode == 0
    assert [entry.msgid for entry in read_catalog(path)] == ["existing", "slow"]


def test_a_translator_save_between_read_and_write_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "de.po"
    seed_catalog(path, "Hello")
    saved_by_translator = path.read_text(encoding="utf-8").replace(
        'msgid "Hello"\nmsgstr ""', 'msgid "Hello"\nmsgstr "Hallo"'
    )
    assert "Hallo" in saved_by_translator
    with pytest.raises(CatalogError) as caught:
        with edit_catalog(path) as po:
            po.append(polib.POEntry(msgid="New", msgstr=""))
            path.write_text(saved_by_translator, encoding="utf-8")  # Poedit saves meanwhile
    assert "changed on disk" in caught.value.message and caught.value.path == path
    assert "run the command again" in (caught.value.hint or "")
    assert path.read_text(encoding="utf-8") == saved_by_translator


def test_update_catalog_re_reads_and_re_applies_after_a_translator_save(tmp_path: Path) -> None:
    path = tmp_path / "de.po"
    seed_catalog(path, "Hello")
    calls: list[int] = []

    def add_entry(po: polib.POFile) -> int:
        calls.append(len(po))
        if len(calls) == 1:  # the translator saves while our first merge runs
            with _translator_save(path):
                pass
        po.append(polib.POEntry(msgid="New", msgstr=""))
        return len(po)

    result, written = update_catalog(path, add_entry)
    assert written and len(calls) == 2 and result == 3
    entries = {entry.msgid: entry.msgstr for entry in read_catalog(path)}
    assert entries == {"Hello": "Hallo", "Translator note": "Notiz", "New": ""}

@pytest.mark.parametrize("editor", ["update", "edit"])
def test_a_save_while_the_new_file_is_being_written_is_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, editor: str
) -> None:
    """The last check happens right before the rename, after the catalog was serialised."""
    from pubflow.i18n import pofile

    path = tmp_path / "de.po"
    seed_catalog(path, "Hello")
    real_dump = pofile.dump_catalog
    dumps: list[int] = []

    def dump_then_translator_saves(po: polib.POFile) -> str:
        text = real_dump(po)
        dumps.append(1)
        if len(dumps) == 1:  # the save lands while our new file is being written
            with _translator_save(path):
                pass
        return text

    monkeypatch.setattr(pofile, "dump_catalog", dump_then_translator_saves)

    def add_entry(po: polib.POFile) -> None:
        po.append(polib.POEntry(msgid="New", msgstr=""))

    if editor == "update":
        _, written = update_catalog(path, add_entry)
        assert written and len(dumps) == 2  # merged again on top of the save
        entries = {entry.msgid: entry.msgstr for entry in read_catalog(path)}
        assert entries == {"Hello": "Hallo", "Translator note": "Notiz", "New": ""}
    else:
        with pytest.raises(CatalogError, match="changed on disk"):
            with edit_catalog(path) as po:
                add_entry(po)
        entries = {entry.msgid: entry.msgstr for entry in read_catalog(path)}
        assert entries == {"Hello": "Hallo", "Translator note": "Notiz"}  # the save won
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temp file left



class _translator_save:  # noqa: N801 - reads like the action it simulates
    """Rewrite the file as an editor would, without pubflow's lock (editors take none)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        po = polib.pofile(self.path.read_text(encoding="utf-8"))
        po[0].msgstr = "Hallo"
        po.append(polib.POEntry(msgid="Translator note", msgstr="Notiz"))
        self.path.write_text(str(po), encoding="utf-8")

    def __exit__(self, *exc: object) -> None:
        return None


def test_lock_is_released_after_use(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "de.po"
    with catalog_lock(path, timeout=1):
        assert lock_path(path).exists()
    with catalog_lock(path, timeout=0.1):  # released: can be taken again at once
        pass


def test_two_concurrent_sync_runs_end_like_one(tmp_path: Path) -> None:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    write_article(
        Article(
            slug="relief-guide",
            lang="en",
            title="Achieving Relief",
            summary="How ketamine therapy can help.",
            intro=("Ketamine works differently.",),
            tips=(Tip("Find a clinic", ("Look for accredited clinics.",)),),
            date=dt.date(2026, 1, 1),
        ),
        tmp_path / "content" / "articles",
    )
    code = f"""
        from pathlib import Path
        from pubflow.config import load_settings
        from pubflow.i18n.sync import sync_catalogs
        sync_catalogs(load_settings(Path({str(tmp_path)!r})), ["de", "fr"], compile=False)
    """
    processes = [run_python(code) for _ in range(2)]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    settings = load_settings(tmp_path)
    once = {locale: po_path(settings, locale, "relief-guide").read_bytes() for locale in ("de", "fr")}
    report = sync_catalogs(settings, ["de", "fr"], compile=False)
    assert report.written == []
    assert {locale: po_path(settings, locale, "relief-guide").read_bytes() for locale in once} == once
    assert len(read_catalog(po_path(settings, "de", "relief-guide"))) == 5
