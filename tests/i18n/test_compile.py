"""Compiling catalogs: only reviewed, valid entries reach the .mo; only changed catalogs compile."""

from __future__ import annotations

import gettext
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pubflow.config import Settings, load_settings
from pubflow.errors import ConfigError
from pubflow.i18n.compile import check_catalogs, compile_catalogs, ensure_compiled
from pubflow.i18n.runtime import compiled_paths, load_translations
from pubflow.i18n.states import State

DE_PLURAL = "nplurals=2; plural=(n != 1);"
AR_PLURAL = (
    "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
    "n%100>=11 ? 4 : 5);"
)


def header(locale: str, plural: str) -> str:
    return (
        'msgid ""\nmsgstr ""\n'
        f'"Language: {locale}\\n"\n'
        '"MIME-Version: 1.0\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Content-Transfer-Encoding: 8bit\\n"\n'
        f'"Plural-Forms: {plural}\\n"\n'
    )


# 3 reviewed, 2 machine, 1 stale, 4 missing, 1 invalid, 1 obsolete.
ENTRIES = """
msgid "Hello"
msgstr "Hallo"

msgctxt "button"
msgid "Open"
msgstr "Öffnen"

#, python-format
msgid "%(count)d file"
msgid_plural "%(count)d files"
msgstr[0] "%(count)d Datei"
msgstr[1] "%(count)d Dateien"

# machine-translated: google 2026-11-25
#, fuzzy
msgid "Good morning"
msgstr "Guten Morgen"

# machine-translated: pseudo 2026-11-25
#, fuzzy, python-brace-format
msgid "Read more about {topic}"
msgstr "Mehr über {topic} lesen"

#, fuzzy
#| msgid "Old title"
msgid "New title"
msgstr "Alter Titel"

msgid "Missing one"
msgstr ""

msgid "Missing two"
msgstr ""

#, fuzzy
msgid "Missing fuzzy"
msgstr ""

msgid "apple"
msgid_plural "apples"
msgstr[0] ""
msgstr[1] ""

#, python-format
msgid "Hello %(name)s"
msgstr "Hallo"

#~ msgid "Gone"
#~ msgstr "Weg"
"""

POT = header("", "nplurals=INTEGER; plural=EXPRESSION;").replace(
    '"Language: \\n"\n', ""
) + "\n" + "\n".join(
    f'msgid "{text}"\nmsgstr ""\n' for text in ("Hello", "Good morning", "New title")
)


def make_project(root: Path, locales: tuple[str, ...] = ("de", "ar", "pt_BR")) -> Settings:
    listed = ", ".join(f'"{code}"' for code in locales)
    (root / "pyproject.toml").write_text(
        f'[tool.pubflow]\nsource_locale = "en"\nlocales = [{listed}]\n', encoding="utf-8"
    )
    write_po(root, "de", "messages", header("de", DE_PLURAL) + ENTRIES)
    (root / "locales" / "messages.pot").write_text(POT, encoding="utf-8")
    return load_settings(root)


def write_po(root: Path, locale: str, domain: str, text: str) -> Path:
    path = root / "locales" / locale / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_mo(path: Path) -> gettext.GNUTranslations:
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_project(tmp_path)


def test_mo_holds_only_reviewed_valid_entries(settings: Settings) -> None:
    report = compile_catalogs(settings, ["de"])
    mo = load_mo(compiled_paths(settings, "de", "messages").mo)
    assert mo.gettext("Hello") == "Hallo"
    assert mo.pgettext("button", "Open") == "Öffnen"
    assert mo.ngettext("%(count)d file", "%(count)d files", 1) == "%(count)d Datei"
    assert mo.ngettext("%(count)d file", "%(count)d files", 5) == "%(count)d Dateien"
    # machine, stale, missing and invalid entries are not in the .mo: the source comes back
    for msgid in ("Good morning", "Read more about {topic}", "New title", "Missing one",
                  "Hello %(name)s", "Gone"):
        assert mo.gettext(msgid) == msgid
    assert mo.info()["language"] == "de"
    assert "charset=UTF-8" in mo.info()["content-type"]
    (result,) = report.results
    assert result.status == "compiled"
    assert result.counts == {
        State.REVIEWED: 3, State.MACHINE: 2, State.STALE: 1, State.MISSING: 4, State.INVALID: 1,
    }


def test_machine_mo_holds_valid_machine_suggestions_only(settings: Settings) -> None:
    compile_catalogs(settings, ["de"])
    machine = load_mo(compiled_paths(settings, "de", "messages").machine_mo)
    assert machine.gettext("Good morning") == "Guten Morgen"
    assert machine.gettext("Read more about {topic}") == "Mehr über {topic} lesen"
    assert machine.gettext("Hello") == "Hello"  # reviewed entries live in the main .mo
    assert machine.gettext("New title") == "New title"


def test_machine_mo_exists_only_while_there_are_machine_suggestions(settings: Settings) -> None:
    paths = compiled_paths(settings, "de", "messages")
    compile_catalogs(settings, ["de"])
    assert paths.machine_mo.is_file()
    paths.machine_mo.unlink()  # lost: the same catalog compiles again to bring it back
    again = compile_catalogs(settings, ["de"])
    assert [r.status for r in again.results] == ["compiled"]
    assert again.written == [paths.machine_mo]
    po = settings.locales_path / "de" / "LC_MESSAGES" / "messages.po"
    # A translator reviews both suggestions (drops their fuzzy flags).
    reviewed = po.read_text().replace(
        "2026-11-25\n#, fuzzy\n", "2026-11-25\n"
    ).replace("#, fuzzy, python-brace-format", "#, python-brace-format")
    assert reviewed.count("fuzzy") == po.read_text().count("fuzzy") - 2
    po.write_text(reviewed)
    report = compile_catalogs(settings, ["de"])
    assert report.results[0].counts[State.MACHINE] == 0
    assert paths.machine_mo in report.written and not paths.machine_mo.exists()
    assert [r.status for r in compile_catalogs(settings, ["de"]).results] == ["unchanged"]
    reader = load_translations(settings, "de", "messages", policy="machine")
    assert reader.gettext("Good morning").text == "Guten Morgen"  # reviewed now
    assert reader.gettext("Hello").text == "Hallo"


def test_invalid_entries_are_reported_with_file_and_line(settings: Settings) -> None:
    report = compile_catalogs(settings, ["de"])
    po_text = (settings.locales_path / "de" / "LC_MESSAGES" / "messages.po").read_text()
    lines = po_text.splitlines()
    # the entry starts at its "#, python-format" line, just above its msgid (1-based numbers)
    line = lines.index('msgid "Hello %(name)s"')
    assert lines[line - 1] == "#, python-format"
    errors = [d for d in report.diagnostics if d.is_error]
    assert [d.check for d in errors] == ["placeholders"]
    assert errors[0].format().startswith(f"locales/de/LC_MESSAGES/messages.po:{line}: error: placeholders:")
    assert report.has_errors


def test_sidecar_lists_stale_and_invalid_msgids_and_counts(settings: Settings) -> None:
    compile_catalogs(settings, ["de"])
    data = json.loads(compiled_paths(settings, "de", "messages").states.read_text())
    assert data["stale"] == ["New title"]
    assert data["invalid"] == ["Hello %(name)s"]
    assert data["counts"] == {"reviewed": 3, "machine": 2, "stale": 1, "missing": 4, "invalid": 1}


def test_mo_is_read_by_gnu_msgunfmt(settings: Settings) -> None:
    assert shutil.which("msgunfmt"), "GNU gettext is required (.ci/run installs it)"
    compile_catalogs(settings, ["de"])
    result = subprocess.run(
        ["msgunfmt", str(compiled_paths(settings, "de", "messages").mo)],
        capture_output=True, text=True, check=True,
    )
    assert 'msgctxt "button"\nmsgid "Open"\nmsgstr "Öffnen"' in result.stdout
    assert 'msgstr "Hallo"' in result.stdout
    assert "Guten Morgen" not in result.stdout
    assert "Alter Titel" not in result.stdout


def test_second_run_writes_nothing(settings: Settings) -> None:
    first = compile_catalogs(settings)
    assert first.written
    paths = compiled_paths(settings, "de", "messages")
    before = {path: path.stat().st_mtime_ns for path in paths.all()}
    second = compile_catalogs(settings)
    assert second.written == []
    assert [r.status for r in second.results if r.locale == "de"] == ["unchanged"]
    assert {path: path.stat().st_mtime_ns for path in paths.all()} == before
    # the left-out entry is still reported on an unchanged run
    assert [d.check for d in second.diagnostics if d.is_error] == ["placeholders"]


def test_force_recompiles_but_rewrites_no_equal_file(settings: Settings) -> None:
    compile_catalogs(settings)
    forced = compile_catalogs(settings, ["de"], force=True)
    assert [r.status for r in forced.results] == ["compiled"]
    assert forced.written == []


def test_changed_po_is_recompiled(settings: Settings) -> None:
    compile_catalogs(settings, ["de"])
    po = settings.locales_path / "de" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgid "Missing one"\nmsgstr ""', 'msgid "Missing one"\nmsgstr "Fehlt eins"'))
    newer = po.stat().st_mtime_ns + 2_000_000_000
    os.utime(po, ns=(newer, newer))
    report = compile_catalogs(settings, ["de"])
    assert [r.status for r in report.results] == ["compiled"]
    paths = compiled_paths(settings, "de", "messages")
    assert paths.mo in report.written
    assert paths.machine_mo not in report.written  # same machine entries, same bytes
    assert load_mo(paths.mo).gettext("Missing one") == "Fehlt eins"
    assert report.results[0].counts[State.REVIEWED] == 4


def test_missing_mo_is_recompiled(settings: Settings) -> None:
    compile_catalogs(settings, ["de"])
    paths = compiled_paths(settings, "de", "messages")
    paths.mo.unlink()
    report = ensure_compiled(settings, ["de"])
    assert report.written == [paths.mo]
    assert load_mo(paths.mo).gettext("Hello") == "Hallo"


def test_unreadable_catalog_is_reported_and_keeps_its_last_good_compile_while_the_rest_compiles(
    settings: Settings,
) -> None:
    root = settings.root
    write_po(root, "ar", "messages", header("ar", AR_PLURAL) + '\nmsgid "Hello"\nmsgstr "مرحبا"\n')
    compile_catalogs(settings)
    ar = compiled_paths(settings, "ar", "messages")
    assert ar.mo.exists()
    broken = header("ar", AR_PLURAL) + '\nmsgid "Hello"\nmsgstr "مرحبا"\nthis is not po\n'
    po = write_po(root, "ar", "messages", broken)
    report = compile_catalogs(settings)
    statuses = {r.locale: r.status for r in report.results}
    assert statuses == {"de": "unchanged", "ar": "failed", "pt_BR": "unchanged"}
    (catalog_error,) = [d for d in report.diagnostics if d.check == "catalog"]
    assert catalog_error.is_error
    assert str(catalog_error.path) == "locales/ar/LC_MESSAGES/messages.po"
    assert catalog_error.line == po.read_text().splitlines().index("this is not po") + 1
    # A typo does not take the language off the site: the last good compile stays, and
    # the error says so.
    assert load_mo(ar.mo).gettext("Hello") == "مرحبا" and ar.states.exists()
    assert "last good compile is used until it is fixed" in (catalog_error.message + catalog_error.format())
    assert compiled_paths(settings, "de", "messages").mo.exists()
    # reported again on the next run (nothing cached for a catalog that cannot be read)
    again = compile_catalogs(settings)
    assert [d.check for d in again.diagnostics if d.check == "catalog"] == ["catalog"]


def test_another_languages_catalog_is_refused_and_keeps_the_last_good_compile(
    settings: Settings,
) -> None:
    compile_catalogs(settings, ["de"])
    de = compiled_paths(settings, "de", "messages")
    # The French catalog copied over the German one: French must not go out as German.
    po = write_po(settings.root, "de", "messages", header("fr", DE_PLURAL) + '\nmsgid "Hello"\nmsgstr "Bonjour"\n')
    report = compile_catalogs(settings, ["de"])
    assert [r.status for r in report.results] == ["failed"]
    assert report.failed and [r.domain for r in report.failed] == ["messages"]
    (error,) = report.diagnostics
    assert error.check == "catalog" and error.is_error
    assert str(error.path) == "locales/de/LC_MESSAGES/messages.po"
    assert error.line == po.read_text().splitlines().index('"Language: fr\\n"') + 1
    assert "header says Language: fr but this is the de catalog" in error.message
    assert "move it to locales/fr/LC_MESSAGES/messages.po or fix the Language header if it really is de" in error.message
    assert "last good compile" in error.message
    assert load_mo(de.mo).gettext("Hello") == "Hallo"
    # Reported again on the next run, not taken for compiled.
    assert [r.status for r in compile_catalogs(settings, ["de"]).results] == ["failed"]


@pytest.mark.parametrize("language", ["de_DE", "de-AT", "DE"])
def test_a_region_of_the_same_language_compiles(settings: Settings, language: str) -> None:
    write_po(settings.root, "de", "messages", header(language, DE_PLURAL) + '\nmsgid "Hello"\nmsgstr "Hallo"\n')
    report = compile_catalogs(settings, ["de"])
    assert [r.status for r in report.results] == ["compiled"]
    assert not [d for d in report.diagnostics if d.is_error]
    assert load_mo(compiled_paths(settings, "de", "messages").mo).gettext("Hello") == "Hallo"


def test_locale_without_po_gets_counts_from_the_template(settings: Settings) -> None:
    report = compile_catalogs(settings, ["pt_BR"])
    (result,) = report.results
    assert result.status == "template-only"
    assert result.counts[State.MISSING] == 3
    paths = compiled_paths(settings, "pt_BR", "messages")
    assert paths.states.exists() and not paths.mo.exists()


def test_coverage_counts_the_template_entries_a_catalog_lacks(settings: Settings) -> None:
    # The template holds 3 entries (Hello, Good morning, New title).
    write_po(settings.root, "de", "messages", header("de", DE_PLURAL))  # cut down to its header
    (result,) = compile_catalogs(settings, ["de"]).results
    assert result.counts == {state: 0 for state in State} | {State.MISSING: 3}
    # `msgattrib --translated` of a half-translated catalog: 1 of 3 reviewed, not 1 of 1.
    write_po(settings.root, "de", "messages", header("de", DE_PLURAL) + '\nmsgid "Hello"\nmsgstr "Hallo"\n')
    (result,) = compile_catalogs(settings, ["de"]).results
    assert (result.counts[State.REVIEWED], result.counts[State.MISSING]) == (1, 2)
    sidecar = json.loads(compiled_paths(settings, "de", "messages").states.read_text())
    assert sidecar["counts"]["missing"] == 2
    # The template grows (no sync yet): the unchanged catalog is counted again.
    pot = settings.locales_path / "messages.pot"
    pot.write_text(pot.read_text() + '\nmsgid "Added"\nmsgstr ""\n', encoding="utf-8")
    (result,) = compile_catalogs(settings, ["de"]).results
    assert result.status == "compiled" and result.counts[State.MISSING] == 3
    assert [r.status for r in compile_catalogs(settings, ["de"]).results] == ["unchanged"]


def test_a_catalog_with_the_templates_number_of_entries_or_just_merged_parses_no_template(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pubflow.i18n import compile as compile_module

    def no_parse(path: Path) -> None:
        raise AssertionError(f"{path} parsed")

    monkeypatch.setattr(compile_module, "_template_keys", no_parse)
    entries = "".join(f'\nmsgid "{text}"\nmsgstr "x {text}"\n' for text in ("Hello", "Good morning", "New title"))
    write_po(settings.root, "de", "messages", header("de", DE_PLURAL) + entries)
    (result,) = compile_catalogs(settings, ["de"]).results
    assert result.counts[State.REVIEWED] == 3 and result.counts[State.MISSING] == 0
    # A sync has just merged it against the template: not even counted again.
    write_po(settings.root, "de", "messages", header("de", DE_PLURAL) + ENTRIES)
    (result,) = compile_catalogs(settings, ["de"], merged={"messages"}).results
    assert result.status == "compiled" and result.counts[State.MISSING] == 4


def test_arabic_plural_forms_compile_and_select(settings: Settings) -> None:
    forms = ["صفر", "واحد", "اثنان", "قليل", "كثير", "آخر"]
    body = "".join(f'msgstr[{i}] "{word}"\n' for i, word in enumerate(forms))
    write_po(settings.root, "ar", "messages",
             header("ar", AR_PLURAL) + f'\nmsgid "file"\nmsgid_plural "files"\n{body}')
    compile_catalogs(settings, ["ar"])
    mo = load_mo(compiled_paths(settings, "ar", "messages").mo)
    picked = [mo.ngettext("file", "files", n) for n in (0, 1, 2, 5, 11, 100)]
    assert picked == forms


def test_header_mistakes_are_reported_but_the_mo_header_is_right(settings: Settings) -> None:
    text = header("de", DE_PLURAL).replace('"Language: de\\n"\n', "") + '\nmsgid "Hello"\nmsgstr "Hallo"\n'
    write_po(settings.root, "de", "messages", text)
    report = compile_catalogs(settings, ["de"])
    assert [d.check for d in report.diagnostics] == ["header"]
    assert report.diagnostics[0].line == 1
    mo = load_mo(compiled_paths(settings, "de", "messages").mo)
    assert mo.info()["language"] == "de"
    assert mo.gettext("Hello") == "Hallo"


def test_mo_keeps_a_sound_plural_rule_and_replaces_a_broken_one(settings: Settings) -> None:
    entry = '\nmsgid "file"\nmsgid_plural "files"\nmsgstr[0] "Datei"\nmsgstr[1] "Dateien"\n'
    # Same forms, written the other way round: the translator's order follows their header.
    reversed_rule = header("de", "nplurals=2; plural=(n == 1 ? 0 : 1);")
    write_po(settings.root, "de", "messages", reversed_rule + entry)
    compile_catalogs(settings, ["de"])
    mo = load_mo(compiled_paths(settings, "de", "messages").mo)
    assert mo.info()["plural-forms"] == "nplurals=2; plural=(n == 1 ? 0 : 1);"
    write_po(settings.root, "de", "messages", header("de", "nplurals=2; plural=(n + 5);") + entry)
    report = compile_catalogs(settings, ["de"])
    assert [d.check for d in report.diagnostics] == ["header"]
    mo = load_mo(compiled_paths(settings, "de", "messages").mo)
    assert mo.info()["plural-forms"] == DE_PLURAL
    assert [mo.ngettext("file", "files", n) for n in (1, 2)] == ["Datei", "Dateien"]


def test_a_plural_rule_that_is_not_the_languages_is_reported_and_the_mo_has_the_right_one(
    settings: Settings,
) -> None:
    # nplurals is right, the rule is not: "1 Dateien" on every page if the .mo took it.
    wrong = header("de", "nplurals=2; plural=(n == 1);")
    entry = '\nmsgid "file"\nmsgid_plural "files"\nmsgstr[0] "Datei"\nmsgstr[1] "Dateien"\n'
    po = write_po(settings.root, "de", "messages", wrong + entry)
    report = compile_catalogs(settings, ["de"])
    (found,) = report.diagnostics
    assert found.check == "header" and found.is_error and "is not the de rule" in found.message
    assert found.line == po.read_text().splitlines().index('"Plural-Forms: nplurals=2; plural=(n == 1);\\n"') + 1
    mo = load_mo(compiled_paths(settings, "de", "messages").mo)
    assert mo.info()["plural-forms"] == DE_PLURAL
    assert [mo.ngettext("file", "files", n) for n in (0, 1, 2)] == ["Dateien", "Datei", "Dateien"]
    checked = check_catalogs(settings, ["de"])
    assert [d.line for c in checked for d in c.diagnostics if d.check == "header"] == [found.line]


def test_compiled_files_of_a_removed_domain_are_removed(settings: Settings) -> None:
    write_po(settings.root, "de", "old-article", header("de", DE_PLURAL) + '\nmsgid "A"\nmsgstr "B"\n')
    compile_catalogs(settings, ["de"])
    old = compiled_paths(settings, "de", "old-article")
    assert old.mo.exists()
    (settings.locales_path / "de" / "LC_MESSAGES" / "old-article.po").unlink()
    report = compile_catalogs(settings, ["de"])
    assert not old.mo.exists() and not old.machine_mo.exists() and not old.states.exists()
    # It had no machine suggestions, so there was no machine .mo to remove.
    assert {path.name for path in report.written} == {"old-article.mo", "old-article.states.json"}


def test_explicit_domains_and_locales_limit_the_work(settings: Settings) -> None:
    write_po(settings.root, "de", "other", header("de", DE_PLURAL) + '\nmsgid "A"\nmsgstr "B"\n')
    report = compile_catalogs(settings, ["de"], ["other"])
    assert [(r.locale, r.domain) for r in report.results] == [("de", "other")]
    assert not compiled_paths(settings, "de", "messages").mo.exists()


@pytest.mark.parametrize("domain", ["../evil", "a/b", "Messages", ""])
def test_malformed_domain_is_refused(settings: Settings, domain: str) -> None:
    with pytest.raises(ConfigError):
        compile_catalogs(settings, ["de"], [domain])


def test_unconfigured_locale_is_refused(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="not configured"):
        compile_catalogs(settings, ["it"])


def test_source_locale_has_nothing_to_compile(settings: Settings) -> None:
    assert compile_catalogs(settings, ["en"]).results == []


def test_shipped_catalogs_compile(project: Path) -> None:
    shipped = load_settings(project)
    report = compile_catalogs(shipped)
    assert report.results, "the repository ships catalogs"
    assert not report.failed, [d.format() for d in report.diagnostics]
    for result in report.with_status("compiled"):
        mo = load_mo(compiled_paths(shipped, result.locale, result.domain).mo)
        assert mo.info()["language"] == result.locale
