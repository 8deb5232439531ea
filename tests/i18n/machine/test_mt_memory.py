from __future__ import annotations

from pathlib import Path

import pytest

from pubflow.errors import TranslationError
from pubflow.i18n.machine.memory import TranslationMemory


def test_store_and_find_by_backend_pair_and_text(tmp_path: Path) -> None:
    path = tmp_path / "var" / "tm.sqlite3"
    with TranslationMemory(path) as memory:
        assert memory.put_many([(("libre", "en", "de", "Hello"), "Hallo")]) == 1
    with TranslationMemory(path) as memory:  # persisted
        assert memory.get(("libre", "en", "de", "Hello")) == "Hallo"
        assert memory.get(("libre", "en", "fr", "Hello")) is None
        assert memory.get(("google", "en", "de", "Hello")) is None
        memory.put_many([(("libre", "en", "de", "Hello"), "Servus")])
        assert memory.get(("libre", "en", "de", "Hello")) == "Servus"
        assert len(memory) == 1


def test_a_file_that_is_not_a_memory_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "tm.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(TranslationError) as caught:
        TranslationMemory(path)
    assert str(path) in str(caught.value)
    assert "cache" in str(caught.value)
    assert path.read_bytes().startswith(b"this is not a database")  # nothing lost
