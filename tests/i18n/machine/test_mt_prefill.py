"""Pre-fill rules that need no HTTP: plural forms, races with a translator, locale choice."""

from __future__ import annotations

from pathlib import Path

from mt_support import DOMAINS, MtProject, write_project
from libre_server import LibreTestServer

from pubflow.i18n.machine.client import ClientOptions
from pubflow.i18n.machine.prefill import prefill_catalogs
from pubflow.i18n.pofile import read_catalog, write_catalog

OPTIONS = ClientOptions(timeout=1, concurrency=1, requests_per_second=10_000, retries=0)


def test_arabic_plural_forms_get_singular_only_where_n_is_one(tmp_path: Path, libre: LibreTestServer) -> None:
    project = write_project(tmp_path, ("ar",), {"guide": [{"msgid": "%(num)d file", "msgid_plural": "%(num)d files"}]})
    report = prefill_catalogs(project.settings(), ["ar"], "libre", base_url=libre.url)
    assert report.ok
    forms = project.entry("ar", "guide", "%(num)d file").msgstr_plural
    assert forms == {0: "AR: %(num)d FILES", 1: "AR: %(num)d FILE", **{i: "AR: %(num)d FILES" for i in range(2, 6)}}


def test_an_entry_a_translator_filled_meanwhile_is_not_overwritten(mt_project: MtProject) -> None:
    path = mt_project.path("de", "guide")
    saved = False

    def translator(source: str, target: str):
        def translate(text: str) -> str:
            nonlocal saved
            if not saved:  # a translator saves in Poedit while we are on the network
                po = read_catalog(path)
                for entry in po:
                    if entry.msgid == "Read more":
                        entry.msgstr = "Weiterlesen"
                write_catalog(po, path)
                saved = True
            return f"MT {text}"

        return translate

    report = prefill_catalogs(
        mt_project.settings(), ["de"], "google", translator_for=translator, options=OPTIONS
    )
    entry = mt_project.entry("de", "guide", "Read more")
    assert entry.msgstr == "Weiterlesen" and not entry.fuzzy
    assert report.locales["de"].skipped["filled by someone else meanwhile"] == 1
    assert mt_project.entry("de", "guide", "Hello %(name)s, welcome!").msgstr == "MT Hello %(name)s, welcome!"


def test_default_locales_are_the_configured_ones_except_the_pseudo_locale(tmp_path: Path) -> None:
    project = write_project(tmp_path, ("de", "fr", "en_XA"), DOMAINS)
    seen: set[str] = set()

    def translator(source: str, target: str):
        seen.add(target)
        return lambda text: f"MT {text}"

    report = prefill_catalogs(project.settings(), None, "google", translator_for=translator, options=OPTIONS)
    assert set(report.locales) == {"de", "fr"} and seen == {"de", "fr"}
    pseudo = prefill_catalogs(project.settings(), None, "pseudo")
    assert set(pseudo.locales) == {"en_XA"} and pseudo.filled == 8


def test_domain_filter(mt_project: MtProject) -> None:
    report = prefill_catalogs(
        mt_project.settings(), ["de"], "google", domains=["messages"],
        translator_for=lambda s, t: (lambda text: f"MT {text}"), options=OPTIONS,
    )  # fmt: skip
    assert report.filled == 2
    assert mt_project.entry("de", "guide", "Read more").msgstr == ""


def test_a_suggestion_that_adds_a_placeholder_to_a_ui_string_is_refused(tmp_path: Path) -> None:
    # Every UI string (domain messages) is %-formatted when a page shows it: an added
    # %(secret)s would fail there. Article text is shown as written, so there it passes.
    import polib

    from pubflow.config import load_settings
    from pubflow.i18n.machine import prefill

    settings = load_settings(tmp_path)
    entry = polib.POEntry(msgid="Read the tip", msgstr="")
    for domain, refused in (("messages", True), ("an-article", False)):
        candidate = prefill._Candidate("de", domain, tmp_path / f"{domain}.po", entry, 0, frozenset())
        reason = prefill._check(settings, candidate, "Lies den Tipp %(secret)s", {})
        assert (reason is not None and "placeholders" in reason) == refused, (domain, reason)
