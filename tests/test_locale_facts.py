"""Autonyms and text directions are kept in the build's cache: a build that re-renders one
language does not load every other language's CLDR data for its language switchers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import babel
import pytest

from pubflow import locales


@pytest.fixture
def fresh_facts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As in a new process: no autonym or direction known yet."""
    monkeypatch.setattr(locales, "_known", {"names": {}, "directions": {}})
    monkeypatch.setattr(locales, "_files", {})
    yield


def _babel_must_not_be_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(code: str) -> None:
        raise AssertionError(f"CLDR data of {code} loaded")

    monkeypatch.setattr(locales, "babel_locale", refuse)


def test_saved_facts_answer_without_cldr(
    fresh_facts: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache" / locales.LOCALE_FACTS_NAME
    computed = {code: (locales.display_name(code), locales.text_direction(code)) for code in ("de", "ar", "pt_BR")}
    assert computed == {"de": ("Deutsch", "ltr"), "ar": ("العربية", "rtl"), "pt_BR": ("Português (Brasil)", "ltr")}
    locales.save_locale_facts(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["babel"] == babel.__version__ and saved["names"]["ar"] == "العربية"

    # A new process: the file answers, Babel is never asked.
    monkeypatch.setattr(locales, "_known", {"names": {}, "directions": {}})
    monkeypatch.setattr(locales, "_files", {})
    locales.load_locale_facts(path)
    _babel_must_not_be_asked(monkeypatch)
    assert {code: (locales.display_name(code), locales.text_direction(code)) for code in computed} == computed
    # Nothing new learned: the file is not written again.
    before = path.stat().st_mtime_ns
    locales.save_locale_facts(path)
    assert path.stat().st_mtime_ns == before


@pytest.mark.parametrize(
    "content",
    [
        "{ not json",
        json.dumps({"format": 1, "babel": "0.0.1", "names": {"de": "Falsch"}, "directions": {}}),
        json.dumps({"format": 999, "babel": babel.__version__, "names": {"de": "Falsch"}}),
        json.dumps(["de", "Falsch"]),
        json.dumps({"format": 1, "babel": babel.__version__, "names": {"de": 7}, "directions": []}),
    ],
)
def test_a_damaged_or_foreign_file_is_ignored_and_rewritten(fresh_facts: None, tmp_path: Path, content: str) -> None:
    path = tmp_path / locales.LOCALE_FACTS_NAME
    path.write_text(content, encoding="utf-8")
    locales.load_locale_facts(path)
    assert locales.display_name("de") == "Deutsch"
    locales.save_locale_facts(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["babel"] == babel.__version__ and saved["names"] == {"de": "Deutsch"}

