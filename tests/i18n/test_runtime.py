"""Runtime lookups: what a page shows for each state of an entry, under each publish policy."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pubflow.config import Settings, load_settings
from pubflow.errors import CatalogError, ConfigError
from pubflow.i18n.compile import compile_catalogs
from pubflow.i18n.runtime import (
    Lookup,
    compiled_paths,
    compiled_state_counts,
    coverage,
    load_translations,
)
from pubflow.i18n.states import State

PLURALS = {
    "de": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
    "n%100>=11 ? 4 : 5);",
}


def header(locale: str) -> str:
    return (
        'msgid ""\nmsgstr ""\n'
        f'"Language: {locale}\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n'
        f'"Plural-Forms: {PLURALS[locale]}\\n"\n\n'
    )


DE = """
msgid "Hello"
msgstr "Hallo"

msgctxt "button"
msgid "Open"
msgstr "Öffnen"

# machine-translated: google 2026-11-25
#, fuzzy
msgid "Good morning"
msgstr "Guten Morgen"

#, fuzzy
#| msgid "Old title"
msgid "New title"
msgstr "Alter Titel"

#, python-format
msgid "Hello %(name)s"
msgstr "Hallo"

msgid "Missing"
msgstr ""

msgid "file"
msgid_plural "files"
msgstr[0] "Datei"
msgstr[1] "Dateien"

# machine-translated: google 2026-11-25
#, fuzzy
msgid "page"
msgid_plural "pages"
msgstr[0] "Seite"
msgstr[1] "Seiten"

msgid "apple"
msgid_plural "apples"
msgstr[0] ""
msgstr[1] ""
"""

AR_FORMS = ["لا ملفات", "ملف واحد", "ملفان", "ملفات قليلة", "ملفات كثيرة", "ملفات"]
AR = 'msgid "file"\nmsgid_plural "files"\n' + "".join(
    f'msgstr[{index}] "{text}"\n' for index, text in enumerate(AR_FORMS)
)


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_project(root: Path, *, source: str = "en", policy: str = "reviewed") -> Settings:
    write(
        root,
        "pyproject.toml",
        f'[tool.pubflow]\nsource_locale = "{source}"\nlocales = ["de", "ar", "pt_BR"]\n'
        f'publish_policy = "{policy}"\n',
    )
    write(root, "locales/de/LC_MESSAGES/messages.po", header("de") + DE)
    write(root, "locales/ar/LC_MESSAGES/messages.po", header("ar") + AR)
    settings = load_settings(root)
    compile_catalogs(settings)
    return settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_project(tmp_path)


def test_reviewed_entry_shows_the_translation(settings: Settings) -> None:
    found = load_translations(settings, "de", "messages").gettext("Hello")
    assert found == Lookup("Hallo", State.REVIEWED, "de")
    assert not found.fallback
    assert str(found) == "Hallo"


@pytest.mark.parametrize("policy", ["reviewed", "machine"])
def test_sidecar_counts_equal_the_loaded_catalog_counts(settings: Settings, policy: str) -> None:
    for locale in ("de", "ar"):
        loaded = load_translations(settings, locale, "messages", policy=policy).state_counts()  # type: ignore[arg-type]
        assert compiled_state_counts(settings, locale, "messages") == loaded
        assert sum(loaded.values()) > 0
    assert set(compiled_state_counts(settings, "en", "messages").values()) == {0}


def test_sidecar_counts_are_read_once_while_the_sidecar_keeps_its_stat(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orjson

    import pubflow.i18n.runtime as runtime

    monkeypatch.setattr(runtime, "_KNOWN_COUNTS", {})
    read: list[Path] = []
    real_read = runtime._read_states
    monkeypatch.setattr(runtime, "_read_states", lambda path: read.append(path) or real_read(path))
    sidecar = compiled_paths(settings, "de", "messages").states
    stamp = sidecar.stat().st_mtime_ns - 3600 * 10**9  # compiled long ago
    os.utime(sidecar, ns=(stamp, stamp))
    first = compiled_state_counts(settings, "de", "messages")
    assert compiled_state_counts(settings, "de", "messages") == first and read == [sidecar]
    # Rewritten (a recompile): read again, whatever it now says.
    data = orjson.loads(sidecar.read_bytes())
    data["counts"] = {"reviewed": 7}
    sidecar.write_bytes(orjson.dumps(data))
    soon = time.time_ns() + 10**10  # modified "now" however slowly this test runs
    os.utime(sidecar, ns=(soon, soon))
    assert compiled_state_counts(settings, "de", "messages")[State.REVIEWED] == 7 and len(read) == 2
    # Just written: not trusted by its stat (a same-size rewrite within the clock tick).
    assert compiled_state_counts(settings, "de", "messages")[State.REVIEWED] == 7 and len(read) == 3
    # Counts a compile tells (its own output) are trusted while the stat holds.
    status = sidecar.stat()
    told = (str(sidecar), status.st_size, status.st_mtime_ns, status.st_ino, "sha")
    runtime.remember_compiled_counts([(told, {State.REVIEWED: 5, State.MISSING: 1}, "po-sha")])
    counts = compiled_state_counts(settings, "de", "messages")
    assert counts[State.REVIEWED] == 5 and counts[State.MISSING] == 1 and len(read) == 3
    counts[State.REVIEWED] = 0  # a caller's copy
    assert compiled_state_counts(settings, "de", "messages")[State.REVIEWED] == 5


def test_context_selects_the_entry(settings: Settings) -> None:
    de = load_translations(settings, "de", "messages")
    assert de.gettext("Open", context="button") == Lookup("Öffnen", State.REVIEWED, "de")
    assert de.gettext("Open") == Lookup("Open", State.MISSING, "en")


def test_machine_entry_under_the_reviewed_policy_shows_the_source_as_missing(
    settings: Settings,
) -> None:
    found = load_translations(settings, "de", "messages", policy="reviewed").gettext("Good morning")
    assert found == Lookup("Good morning", State.MISSING, "en")
    assert found.fallback


def test_machine_entry_under_the_machine_policy_shows_the_suggestion(settings: Settings) -> None:
    found = load_translations(settings, "de", "messages", policy="machine").gettext("Good morning")
    assert found == Lookup("Guten Morgen", State.MACHINE, "de")
    assert not found.fallback


@pytest.mark.parametrize("policy", ["reviewed", "machine"])
def test_stale_invalid_and_missing_entries_show_the_source(settings: Settings, policy: str) -> None:
    de = load_translations(settings, "de", "messages", policy=policy)  # type: ignore[arg-type]
    assert de.gettext("New title") == Lookup("New title", State.STALE, "en")
    assert de.gettext("Hello %(name)s") == Lookup("Hello %(name)s", State.INVALID, "en")
    assert de.gettext("Missing") == Lookup("Missing", State.MISSING, "en")
    assert de.gettext("never extracted") == Lookup("never extracted", State.MISSING, "en")
    assert all(de.gettext(m).fallback for m in ("New title", "Hello %(name)s", "Missing"))


def test_default_policy_comes_from_the_settings(tmp_path: Path) -> None:
    settings = make_project(tmp_path, policy="machine")
    de = load_translations(settings, "de", "messages")
    assert de.policy == "machine"
    assert de.gettext("Good morning").state is State.MACHINE


def test_plural_lookups_per_state(settings: Settings) -> None:
    reviewed = load_translations(settings, "de", "messages", policy="reviewed")
    assert reviewed.ngettext("file", "files", 1) == Lookup("Datei", State.REVIEWED, "de")
    assert reviewed.ngettext("file", "files", 3) == Lookup("Dateien", State.REVIEWED, "de")
    assert reviewed.ngettext("page", "pages", 3) == Lookup("pages", State.MISSING, "en")
    machine = load_translations(settings, "de", "messages", policy="machine")
    assert machine.ngettext("page", "pages", 1) == Lookup("Seite", State.MACHINE, "de")
    # untranslated plurals use the source language's rule (English: 1 → singular, 0 → plural)
    assert reviewed.ngettext("apple", "apples", 1) == Lookup("apple", State.MISSING, "en")
    assert reviewed.ngettext("apple", "apples", 0) == Lookup("apples", State.MISSING, "en")


def test_arabic_has_six_plural_forms(settings: Settings) -> None:
    ar = load_translations(settings, "ar", "messages")
    shown = [ar.ngettext("file", "files", n).text for n in (0, 1, 2, 3, 11, 100)]
    assert shown == AR_FORMS
    assert ar.ngettext("file", "files", 104).text == AR_FORMS[3]  # 104 % 100 = 4: "few"
    assert ar.ngettext("file", "files", 1).lang == "ar"
    # a message Arabic lacks falls back with English's rule, marked as English
    assert ar.ngettext("page", "pages", 2) == Lookup("pages", State.MISSING, "en")


def test_fallback_plural_uses_a_french_source_rule(tmp_path: Path) -> None:
    settings = make_project(tmp_path, source="fr")
    de = load_translations(settings, "de", "messages")
    assert de.ngettext("pomme", "pommes", 0) == Lookup("pomme", State.MISSING, "fr")
    assert de.ngettext("pomme", "pommes", 2) == Lookup("pommes", State.MISSING, "fr")
    fr = load_translations(settings, "fr", "messages")
    assert fr.ngettext("pomme", "pommes", 0) == Lookup("pomme", State.REVIEWED, "fr")
    assert fr.ngettext("pomme", "pommes", 2) == Lookup("pommes", State.REVIEWED, "fr")


def test_source_locale_shows_the_source_as_reviewed(settings: Settings) -> None:
    en = load_translations(settings, "en", "messages")
    assert en.gettext("Hello") == Lookup("Hello", State.REVIEWED, "en")
    assert en.ngettext("file", "files", 1) == Lookup("file", State.REVIEWED, "en")
    assert en.ngettext("file", "files", 2) == Lookup("files", State.REVIEWED, "en")
    assert not en.gettext("Hello").fallback
    assert en.state_counts() == {state: 0 for state in State}


def test_state_counts_are_the_catalog_states(settings: Settings) -> None:
    counts = load_translations(settings, "de", "messages").state_counts()
    assert counts == {
        State.REVIEWED: 3, State.MACHINE: 2, State.STALE: 1, State.MISSING: 2, State.INVALID: 1,
    }


def test_never_compiled_catalog_falls_back_to_the_source(settings: Settings) -> None:
    pt = load_translations(settings, "pt_BR", "messages")
    assert pt.gettext("Hello") == Lookup("Hello", State.MISSING, "en")
    assert pt.state_counts() == {state: 0 for state in State}


def test_loaded_translations_are_cached_until_a_recompile(settings: Settings) -> None:
    first = load_translations(settings, "de", "messages")
    assert load_translations(settings, "de", "messages") is first
    po = settings.locales_path / "de" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgid "Missing"\nmsgstr ""', 'msgid "Missing"\nmsgstr "Fehlt"'))
    compile_catalogs(settings, ["de"])
    again = load_translations(settings, "de", "messages")
    assert again is not first
    assert again.gettext("Missing") == Lookup("Fehlt", State.REVIEWED, "de")


def test_policies_are_cached_separately(settings: Settings) -> None:
    reviewed = load_translations(settings, "de", "messages", policy="reviewed")
    machine = load_translations(settings, "de", "messages", policy="machine")
    assert reviewed is not machine
    assert reviewed.gettext("Good morning").state is State.MISSING
    assert machine.gettext("Good morning").state is State.MACHINE


def test_coverage_is_the_reviewed_share(settings: Settings, tmp_path: Path) -> None:
    assert coverage(settings, "de", ["messages"]) == pytest.approx(100 * 3 / 9)
    assert coverage(settings, "ar", ["messages"]) == 100.0
    assert coverage(settings, "en", ["messages", "anything"]) == 100.0
    assert coverage(settings, "de", []) == 100.0
    # weighted by entries across domains
    write(tmp_path, "locales/de/LC_MESSAGES/extra.po", header("de") + 'msgid "A"\nmsgstr ""\n')
    compile_catalogs(settings, ["de"])
    assert coverage(settings, "de", ["messages", "extra"]) == pytest.approx(100 * 3 / 10)
    # a domain never compiled for the locale claims nothing
    assert coverage(settings, "pt_BR", ["messages"]) == 0.0


def test_bad_arguments_are_user_errors(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="not configured"):
        load_translations(settings, "it", "messages")
    with pytest.raises(ConfigError, match="policy"):
        load_translations(settings, "de", "messages", policy="everything")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        load_translations(settings, "de", "../../etc/passwd")


def test_damaged_compiled_file_is_a_catalog_error(settings: Settings) -> None:
    mo = compiled_paths(settings, "de", "messages").mo
    mo.write_bytes(b"not a mo file at all")
    with pytest.raises(CatalogError) as caught:
        load_translations(settings, "de", "messages")
    assert caught.value.path == mo
    assert "pubflow catalogs update" in (caught.value.hint or "")


def test_compiled_file_with_an_unusable_plural_rule_is_a_catalog_error(settings: Settings) -> None:
    from pubflow.i18n.mo import mo_bytes

    mo = compiled_paths(settings, "de", "messages").mo
    mo.write_bytes(mo_bytes({"Plural-Forms": "nplurals=2; plural=(n ! 1;"}, []))
    with pytest.raises(CatalogError, match="cannot read compiled catalog") as caught:
        load_translations(settings, "de", "messages")
    assert caught.value.path == mo


def test_shown_digest_follows_only_the_messages_asked_about() -> None:
    from pubflow.i18n.runtime import Translations

    def catalog(reviewed: dict[object, str], plural=lambda n: int(n != 1), **kwargs: object) -> Translations:  # type: ignore[no-untyped-def]
        return Translations("de", "messages", "reviewed", "en", _reviewed=reviewed, _plural=plural, **kwargs)

    base = {"Hello": "Hallo", "Bye": "Tschüss", "menu\x04Open": "Öffnen", ("Day", 0): "Tag", ("Day", 1): "Tage"}
    keys = [("Hello", None, False), ("Open", "menu", False), ("Day", None, True)]
    digest = catalog(base).shown_digest(keys)
    assert catalog(dict(base)).shown_digest(list(reversed(keys))) == digest  # order does not count
    assert catalog({**base, "Bye": "Ciao"}).shown_digest(keys) == digest  # not asked about
    for changed in (
        {**base, "Hello": "Servus"},
        {**base, "menu\x04Open": "Auf"},
        {**base, ("Day", 1): "Täge"},
        {key: value for key, value in base.items() if key != "Hello"},  # now missing: source text
    ):
        assert catalog(changed).shown_digest(keys) != digest
    # Another plural rule picks other forms for some counts.
    assert catalog(base, plural=lambda n: int(n > 1)).shown_digest(keys) != digest
    # Another state of a message with no translation (stale instead of missing).
    missing = {key: value for key, value in base.items() if key != "Hello"}
    assert catalog(missing, _stale_keys=frozenset({"Hello"})).shown_digest(keys) != catalog(
        missing
    ).shown_digest(keys)


def test_shown_digest_tells_plural_rules_apart_beyond_the_counts_it_tries() -> None:
    from pubflow.i18n.runtime import Translations, _plural_rule

    forms = {("Day", 0): "Tag", ("Day", 1): "Tage"}
    keys = [("Day", None, True)]
    usual = _plural_rule("nplurals=2; plural=(n != 1);")
    odd = _plural_rule("nplurals=2; plural=(n != 1 && n != 1000);")  # differs at 1000 only
    assert [usual(n) for n in range(201)] == [odd(n) for n in range(201)]

    def digest(rule: object) -> str:
        return Translations("de", "messages", "reviewed", "en", _reviewed=forms, _plural=rule).shown_digest(keys)  # type: ignore[arg-type]

    assert digest(usual) != digest(odd)
    assert digest(usual) == digest(_plural_rule("nplurals=2; plural=(n != 1);"))
