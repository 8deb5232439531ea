"""Statistics on hand-made catalogs with known counts, read from the .po files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubflow.config import Settings, load_settings
from pubflow.errors import CatalogError
from pubflow.i18n.compile import compile_catalogs
from pubflow.i18n.stats import STATS_KEYS, StatsRow, catalog_stats

HEADER = (
    'msgid ""\nmsgstr ""\n"Language: {locale}\\n"\n'
    '"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
)

# 3 reviewed, 2 machine, 1 stale, 4 missing, 1 invalid, 1 obsolete (not counted).
KNOWN = """
msgid "One"
msgstr "Eins"

msgctxt "menu"
msgid "Two"
msgstr "Zwei"

msgid "file"
msgid_plural "files"
msgstr[0] "Datei"
msgstr[1] "Dateien"

# machine-translated: google 2026-11-25
#, fuzzy
msgid "Machine one"
msgstr "Maschine eins"

# machine-translated: deepl 2026-11-25
#, fuzzy
msgid "Machine two"
msgstr "Maschine zwei"

#, fuzzy
#| msgid "Old"
msgid "Stale"
msgstr "Alt"

msgid "Missing one"
msgstr ""

msgid "Missing two"
msgstr ""

#, fuzzy
msgid "Missing three"
msgstr ""

msgid "apple"
msgid_plural "apples"
msgstr[0] ""
msgstr[1] ""

msgid "Visit https://example.org/help"
msgstr "Besuchen Sie https://evil.example/"

#~ msgid "Obsolete"
#~ msgstr "Veraltet"
"""


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    write(tmp_path, "pyproject.toml", '[tool.pubflow]\nlocales = ["de", "fr", "pt_BR"]\n')
    write(tmp_path, "locales/de/LC_MESSAGES/messages.po", HEADER.format(locale="de") + KNOWN)
    pot = HEADER.format(locale="") + 'msgid "One"\nmsgstr ""\n\nmsgctxt "menu"\nmsgid "Two"\nmsgstr ""\n'
    write(tmp_path, "locales/messages.pot", pot)
    return load_settings(tmp_path)


def test_known_counts(settings: Settings) -> None:
    (row,) = catalog_stats(settings, ["de"])
    assert row == StatsRow("de", "messages", reviewed=3, machine=2, stale=1, missing=4, invalid=1)
    assert row.total == 11
    assert row.percent_reviewed == pytest.approx(27.3)


def test_fuzzy_never_counts_as_translated(settings: Settings) -> None:
    (row,) = catalog_stats(settings, ["de"])
    # polib and pybabel call 3 of these "translated" only when fuzzy is ignored; we count reviewed
    assert row.reviewed == 3
    assert row.machine + row.stale == 3


def test_rows_for_every_target_locale_and_domain(settings: Settings) -> None:
    rows = catalog_stats(settings)
    assert [(r.locale, r.domain) for r in rows] == [
        ("de", "messages"), ("fr", "messages"), ("pt_BR", "messages"),
    ]
    # no fr catalog yet: every template entry is missing
    assert rows[1] == StatsRow("fr", "messages", missing=2)
    assert rows[1].percent_reviewed == 0.0


def test_json_row_has_exactly_the_documented_keys(settings: Settings) -> None:
    (row,) = catalog_stats(settings, ["de"])
    data = row.as_dict()
    assert tuple(data) == STATS_KEYS == (
        "locale", "domain", "reviewed", "machine", "stale", "missing", "invalid", "total",
        "percent_reviewed",
    )
    assert data["total"] == 11 and data["percent_reviewed"] == 27.3


def test_empty_catalog_is_complete() -> None:
    assert StatsRow("de", "empty").percent_reviewed == 100.0


def test_stats_read_the_po_not_the_compiled_files(settings: Settings) -> None:
    compile_catalogs(settings)
    po = settings.locales_path / "de" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgid "Missing one"\nmsgstr ""', 'msgid "Missing one"\nmsgstr "Fehlt"'))
    (row,) = catalog_stats(settings, ["de"])
    assert (row.reviewed, row.missing) == (4, 3)


def test_template_entries_a_catalog_lacks_count_as_missing_as_the_build_counts_them(
    settings: Settings,
) -> None:
    # Cut down to its header: nothing of the template's two entries is translated.
    write(settings.root, "locales/de/LC_MESSAGES/messages.po", HEADER.format(locale="de"))
    counted = catalog_stats(settings, ["de"])  # from the file (nothing compiled)
    assert counted == [StatsRow("de", "messages", missing=2)]
    compile_catalogs(settings, ["de"])
    assert catalog_stats(settings, ["de"]) == counted  # from the compile's counts
    # Only its translated entries (msgattrib --translated): 1 of 2, not 1 of 1.
    write(settings.root, "locales/de/LC_MESSAGES/messages.po", HEADER.format(locale="de") + 'msgid "One"\nmsgstr "Eins"\n')
    assert catalog_stats(settings, ["de"]) == [StatsRow("de", "messages", reviewed=1, missing=1)]
    compile_catalogs(settings, ["de"])
    assert catalog_stats(settings, ["de"]) == [StatsRow("de", "messages", reviewed=1, missing=1)]


def test_unreadable_catalog_raises_with_file_and_line(settings: Settings) -> None:
    text = HEADER.format(locale="de") + 'msgid "A"\nnonsense\n'
    write(settings.root, "locales/de/LC_MESSAGES/messages.po", text)
    with pytest.raises(CatalogError) as caught:
        catalog_stats(settings, ["de"])
    assert caught.value.path is not None and caught.value.path.name == "messages.po"
    assert caught.value.line == text.splitlines().index("nonsense") + 1


def test_unknown_explicit_domain_is_an_error(settings: Settings) -> None:
    with pytest.raises(CatalogError, match="typo"):
        catalog_stats(settings, ["de"], ["typo"])


def test_counts_from_a_fresh_compile_equal_counting_the_file(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from pubflow.i18n import stats as stats_module

    counted = catalog_stats(settings)  # nothing compiled yet: every file is parsed and checked
    compile_catalogs(settings)
    parsed: list[str] = []
    original = stats_module.read_catalog
    monkeypatch.setattr(stats_module, "read_catalog", lambda path: parsed.append(path.name) or original(path))
    assert catalog_stats(settings) == counted
    assert "messages.po" not in parsed  # the compiled counts were used for the .po


def test_counts_of_a_catalog_hashed_in_this_process_come_from_its_sidecar_alone(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import os

    from pubflow.fingerprint import FileHashes
    from pubflow.i18n.compile import compiled_counts
    from pubflow.i18n.runtime import compiled_paths

    compile_catalogs(settings)
    po = settings.locales_path / "de" / "LC_MESSAGES" / "messages.po"
    old = po.stat().st_mtime_ns - 10**10  # written long ago: its stat can be trusted
    os.utime(po, ns=(old, old))
    hashes = FileHashes(settings.root)
    hashes.sha256(po)  # the sync hashed it
    expected = compiled_counts(settings, "de", "messages")
    reads: list[Path] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    assert compiled_counts(settings, "de", "messages", FileHashes(settings.root)) == expected
    assert po not in reads
    # Another compiler's sidecar (other code): its fingerprint decides, from the catalog's bytes.
    states = compiled_paths(settings, "de", "messages").states
    sidecar = json.loads(states.read_text("utf-8"))
    states.write_text(json.dumps({**sidecar, "code": "another pubflow"}), "utf-8")
    assert compiled_counts(settings, "de", "messages", FileHashes(settings.root)) == expected
    assert po in reads
    # An edited catalog: its hash differs, nothing recorded applies.
    states.write_text(json.dumps(sidecar), "utf-8")
    po.write_text(po.read_text("utf-8").replace('msgstr "Eins"', 'msgstr "Eins!"'), "utf-8")
    assert compiled_counts(settings, "de", "messages", FileHashes(settings.root)) is None


def test_coverage_by_locale_sums_each_language_and_names_its_domains_below_the_threshold() -> None:
    from pubflow.i18n.stats import StatsRow, coverage_by_locale

    rows = [
        StatsRow("de", "messages", reviewed=10),
        StatsRow("de", "guide", reviewed=2, machine=3, missing=5),  # 20 % reviewed
        StatsRow("ar", "messages", reviewed=4, stale=1, invalid=1, missing=4),  # 40 %
        *[StatsRow("ar", f"article-{n}", missing=1) for n in range(7)],  # 0 % each
    ]
    de, ar = coverage_by_locale(rows, 50.0)
    assert de == {
        "locale": "de", "reviewed": 12, "machine": 3, "stale": 0, "missing": 5, "invalid": 0,
        "total": 20, "percent_reviewed": 60.0, "domains": 2, "below_threshold": "guide",
    }
    assert (ar["total"], ar["reviewed"], ar["domains"]) == (17, 4, 8)
    assert ar["below_threshold"] == "article-0, article-1, article-2, article-3, article-4 (+3 more)"
    assert coverage_by_locale(rows, 10.0)[0]["below_threshold"] == "none"
    assert coverage_by_locale([], 50.0) == []
