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
    """As in a new process: no autonym, direction or plural header known yet."""
    monkeypatch.setattr(locales, "_known", {kind: {} for kind in locales._FACT_KINDS})
    monkeypatch.setattr(locales, "_files", {})
    locales.plural_forms_header.cache_clear()
    yield
    locales.plural_forms_header.cache_clear()


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
    monkeypatch.setattr(locales, "_known", {kind: {} for kind in locales._FACT_KINDS})
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
        json.dumps({"format": locales._FACTS_FORMAT, "babel": babel.__version__, "names": {"de": 7}, "directions": []}),
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



def test_derived_plural_headers_are_kept_and_a_malformed_one_is_never_trusted(
    fresh_facts: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    path = tmp_path / locales.LOCALE_FACTS_NAME
    # German is not in gettext's table here: its header is derived with babel.messages.
    derived = locales.plural_forms_header("de")
    assert derived == "nplurals=2; plural=(n != 1);"
    locales.save_locale_facts(path)
    assert json.loads(path.read_text(encoding="utf-8"))["plurals"] == {"de": derived}

    # A new process with the file: the header without importing babel.messages (~12 ms).
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pubflow import locales\n"
        f"locales.load_locale_facts(Path({str(path)!r}))\n"
        "print(locales.plural_forms_header('de'), 'babel.messages' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"{derived} False"

    # A header goes into every catalog: one of another shape in the file is derived again.
    data = json.loads(path.read_text(encoding="utf-8"))
    data["plurals"]["de"] = "nplurals=2; plural=(n != 1); X-Injected: yes"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(locales, "_known", {kind: {} for kind in locales._FACT_KINDS})
    locales.plural_forms_header.cache_clear()
    locales.load_locale_facts(path)
    assert locales.plural_forms_header("de") == derived
