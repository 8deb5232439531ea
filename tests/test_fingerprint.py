"""File hashes trusted by stat only when safe, output checks, and state files."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

import pubflow.fingerprint as fingerprint
from pubflow.fingerprint import (
    RACY_NS,
    UNREADABLE,
    FileHashes,
    finish_output_records,
    output_intact,
    output_record,
    read_state,
    write_state,
)

HOUR = 3600 * 10**9


def _age(path: Path, ns: int = HOUR) -> None:
    """Move a file's mtime into the past (as if written long before the state was saved)."""
    stamp = path.stat().st_mtime_ns - ns
    os.utime(path, ns=(stamp, stamp))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _told(path: Path, data: bytes) -> tuple[str, int, int, int, str]:
    """What a worker tells of ``path`` holding ``data``: path, size, mtime, inode and hash."""
    status = path.stat()
    return (str(path), len(data), status.st_mtime_ns, status.st_ino, _sha(data))


def test_a_recorded_hash_is_reused_while_the_stat_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "a.po"
    path.write_bytes(b"one")
    _age(path)
    first = FileHashes(tmp_path)
    assert first.sha256(path) == _sha(b"one") and first.hashed == 1
    records = first.records(fingerprint.now_ns())
    assert records == {"": {"a.po": [3, path.stat().st_mtime_ns, path.stat().st_ino, _sha(b"one")]}}

    again = FileHashes(tmp_path, records)
    assert again.sha256(path) == _sha(b"one") and again.hashed == 0  # known by its stat
    path.write_bytes(b"two")  # new size and mtime: hashed again
    assert again.sha256(path) == _sha(b"two") and again.hashed == 1


def test_a_hash_computed_earlier_in_the_process_is_reused_while_the_stat_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fingerprint, "_SEEN", {})
    old, recent = tmp_path / "old.po", tmp_path / "recent.po"
    old.write_bytes(b"one")
    _age(old)
    recent.write_bytes(b"new")
    first = FileHashes(tmp_path)  # one stage of a build, no state file
    assert first.sha256(old) == _sha(b"one") and first.sha256(recent) == _sha(b"new")
    second = FileHashes(tmp_path)  # the next stage, no state file either
    assert second.sha256(old) == _sha(b"one") and second.hashed == 0
    # Just written: a same-size rewrite within the clock tick would keep the stat.
    assert second.sha256(recent) == _sha(b"new") and second.hashed == 1
    old.write_bytes(b"two")  # a new mtime: hashed again
    assert FileHashes(tmp_path).sha256(old) == _sha(b"two")


def test_files_a_worker_wrote_are_known_without_reading_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fingerprint, "_SEEN", {})
    path = tmp_path / "de.mo"
    path.write_bytes(b"compiled")
    told = fingerprint.written_file(path, b"compiled")
    assert told == _told(path, b"compiled")
    assert fingerprint.written_file(path, b"other bytes") is None  # not what is on disk
    assert fingerprint.written_file(tmp_path / "missing", b"") is None
    fingerprint.remember_written_files([told])
    hashes = FileHashes(tmp_path)
    # Trusted although just written (it is this build's own output), so not read.
    assert hashes.sha256(path) == _sha(b"compiled") and hashes.hashed == 0
    assert hashes.tree(tmp_path) == {"de.mo": _sha(b"compiled")} and hashes.hashed == 0
    # Saved records still leave out what is racy.
    assert hashes.records(path.stat().st_mtime_ns + RACY_NS // 2) == {}
    path.write_bytes(b"changed!")  # a new mtime: hashed again
    assert FileHashes(tmp_path).sha256(path) == _sha(b"changed!")


def test_files_a_worker_read_are_known_only_when_their_stat_can_vouch_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fingerprint, "_SEEN", {})
    old, recent = tmp_path / "old.po", tmp_path / "recent.po"
    old.write_bytes(b"catalog")
    _age(old)
    recent.write_bytes(b"just saved")
    soon = time.time_ns() + 10**10  # modified "now" however slowly this test runs
    os.utime(recent, ns=(soon, soon))
    data, told = fingerprint.read_known(old)
    assert data == b"catalog"
    assert told == _told(old, b"catalog")
    # Saved moments ago: a same-size rewrite within the clock tick would keep this stat.
    assert fingerprint.read_known(recent) == (b"just saved", None)
    with pytest.raises(FileNotFoundError):
        fingerprint.read_known(tmp_path / "missing.po")
    fingerprint.remember_written_files([told])
    hashes = FileHashes(tmp_path)
    assert hashes.sha256(old) == _sha(b"catalog") and hashes.hashed == 0
    assert hashes.sha256(recent) == _sha(b"just saved") and hashes.hashed == 1
    old.write_bytes(b"edited")  # a new stat: hashed again
    assert FileHashes(tmp_path).sha256(old) == _sha(b"edited")


def test_a_recently_modified_file_is_not_trusted_by_its_stat(tmp_path: Path) -> None:
    path = tmp_path / "a.po"
    path.write_bytes(b"one")
    hashes = FileHashes(tmp_path)
    hashes.sha256(path)
    # Saved within the racy window of the file's mtime: a same-size rewrite in the same clock
    # tick would keep the stat, so the record is left out and the file is hashed next time.
    assert hashes.records(path.stat().st_mtime_ns + RACY_NS // 2) == {}
    assert hashes.records(path.stat().st_mtime_ns + 2 * RACY_NS) != {}


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    hashes = FileHashes(tmp_path)
    assert hashes.sha256(tmp_path / "nothing") is None
    (tmp_path / "folder").mkdir()
    assert hashes.sha256(tmp_path / "folder") == UNREADABLE


def test_tree_skips_temp_files_and_filters_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "de" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "de" / "LC_MESSAGES" / "messages.po").write_bytes(b"po")
    (tmp_path / "de" / "LC_MESSAGES" / ".messages.po.abcd1234.tmp").write_bytes(b"half")
    (tmp_path / "messages.pot").write_bytes(b"pot")
    (tmp_path / "notes.txt").write_bytes(b"x")
    found = FileHashes(tmp_path).tree(tmp_path, (".po", ".pot"))
    assert found == {"de/LC_MESSAGES/messages.po": _sha(b"po"), "messages.pot": _sha(b"pot")}


@pytest.mark.parametrize("change", ["none", "deleted", "longer", "same size"])
def test_output_intact(tmp_path: Path, change: str) -> None:
    path = tmp_path / "index.html"
    path.write_bytes(b"<p>page</p>")
    record = output_record(path, b"<p>page</p>")
    finish_output_records([record], path.stat().st_mtime_ns + 2 * RACY_NS)
    assert "stat" in record
    if change == "deleted":
        path.unlink()
    elif change == "longer":
        path.write_bytes(b"<p>page</p>!")
    elif change == "same size":
        path.write_bytes(b"<p>PAGE</p>")
    assert output_intact(path, record) is (change == "none")


def test_an_output_without_a_trusted_stat_is_checked_by_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    path.write_bytes(b"<p>page</p>")
    record = output_record(path, b"<p>page</p>")
    finish_output_records([record], path.stat().st_mtime_ns)  # saved right after: racy
    assert "stat" not in record
    assert output_intact(path, record)
    assert "stat" in record  # confirmed by its hash: its stat is trusted from now on


def test_states_are_only_trusted_from_the_same_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    write_state(path, "site", {"groups": {"de": 1}})
    loaded = read_state(path, "site")
    assert loaded["groups"] == {"de": 1}
    assert read_state(path, "newsletter") == {}
    stamp = path.stat().st_mtime_ns
    assert write_state(path, "site", {"groups": {"de": 1}}, loaded) is False  # unchanged: no write
    assert path.stat().st_mtime_ns == stamp
    monkeypatch.setattr(fingerprint, "code_fingerprint", lambda: "another pubflow")
    assert read_state(path, "site") == {}
    path.write_text("[1, 2", "utf-8")
    assert read_state(path, "site") == {}


def test_worker_count_and_servers_do_not_change_the_fingerprint(tmp_path: Path) -> None:
    from pubflow.config import load_settings
    from pubflow.fingerprint import settings_fingerprint

    base = load_settings(tmp_path)
    key = settings_fingerprint(base)
    assert settings_fingerprint(base.copy(workers=3)) == key
    assert settings_fingerprint(base.copy(preview_port=9000)) == key
    assert settings_fingerprint(base.copy(site_name="Other")) != key


def test_digest_is_order_free_for_mappings_and_reads_non_json_values_as_text() -> None:
    import datetime as dt
    import enum
    from pathlib import Path

    from pubflow.fingerprint import digest

    class Kind(enum.StrEnum):
        PAGE = "page"

    assert digest({"b": 1, "a": [1, (2, 3)]}) == digest({"a": [1, [2, 3]], "b": 1})
    assert digest(Path("/site/de")) == digest("/site/de")
    assert digest(Kind.PAGE) == digest("page")
    assert digest(dt.date(2026, 12, 1)) == digest("2026-12-01")
    assert digest({1: "x"}) == digest({"1": "x"})  # keys become text, as in JSON
    assert digest(2**70) == digest(2**70) != digest(2**70 + 1)  # beyond 64 bits: still exact
    assert len({digest("a", "b"), digest("ab"), digest(["a", "b"]), digest("a", ["b"])}) == 4
    assert digest("é") != digest("e") and digest(None) != digest("None")
