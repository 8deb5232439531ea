"""Sync skips catalogs whose last merge changed nothing, and only those (build/catalog-sync.json)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from pubflow.config import load_settings
from pubflow.i18n import sync as sync_module
from pubflow.i18n.pofile import edit_catalog, po_path, read_catalog
from pubflow.i18n.states import State
from pubflow.i18n.sync import SYNC_STATE_NAME, sync_catalogs
from pubflow.ingest.canonical import write_article
from pubflow.model import Article, Tip

REPO = Path(__file__).resolve().parents[2]


def make_project(root: Path, intro: str = "Ketamine works differently from other antidepressants.") -> Path:
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copy(REPO / "babel.cfg", root / "babel.cfg")
    (root / "templates" / "site").mkdir(parents=True, exist_ok=True)
    (root / "templates" / "site" / "page.html").write_text('<a>{{ _("Read more") }}</a>\n', encoding="utf-8")
    write_article(
        Article(
            slug="relief-guide",
            lang="en",
            title="Achieving Relief",
            summary="How ketamine therapy can help.",
            intro=(intro,),
            tips=(Tip("Find a clinic", ("Look for accredited clinics near you.",)),),
            date=dt.date(2026, 1, 1),
        ),
        root / "content" / "articles",
    )
    return root


@pytest.fixture
def merges(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every real merge sync performs, as (locale, msgid of the template's first entry)."""
    monkeypatch.setenv("PUBFLOW_WORKERS", "1")  # merges counted in this process, not in workers
    seen: list[tuple[str, str]] = []
    original = sync_module.merge_catalog

    def counting(po, pot, locale, **options):  # type: ignore[no-untyped-def]
        seen.append((locale, pot[0].msgid if len(pot) else ""))
        return original(po, pot, locale, **options)

    monkeypatch.setattr(sync_module, "merge_catalog", counting)
    return seen


def forget_whole_sync(root: Path) -> None:
    """Drop the whole-sync shortcut (build/incremental/sync.json): these tests are about the
    per-catalog state beneath it."""
    (root / "build" / "incremental" / "sync.json").unlink(missing_ok=True)


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted((root / "locales").rglob("*.po*"))}


def test_a_settled_catalog_is_not_merged_again_and_reports_the_same(
    tmp_path: Path, merges: list[tuple[str, str]]
) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, compile=False)  # creates every catalog (written: not settled yet)
    second = sync_catalogs(settings, compile=False)  # merges, changes nothing: settled
    catalogs = len(second.catalogs)
    merges.clear()
    before = snapshot(tmp_path)
    third = sync_catalogs(settings, compile=False)
    assert merges == []
    assert snapshot(tmp_path) == before
    assert [(u.locale, u.domain, u.total, u.unchanged, u.added, u.fuzzy, u.written) for u in third.catalogs] == [
        (u.locale, u.domain, u.total, u.unchanged, u.added, u.fuzzy, u.written) for u in second.catalogs
    ]
    assert len(third.catalogs) == catalogs and (tmp_path / "build" / SYNC_STATE_NAME).is_file()


def test_a_translators_save_is_merged_again(tmp_path: Path, merges: list[tuple[str, str]]) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, compile=False)
    sync_catalogs(settings, compile=False)
    path = po_path(settings, "de", "relief-guide")
    with edit_catalog(path) as po:
        po.find("Achieving Relief").msgstr = "Linderung erreichen"
        # A stray entry the template does not have: a real merge makes it obsolete.
        po.append(type(po[0])(msgid="Leftover", msgstr="Rest"))
    merges.clear()
    report = sync_catalogs(settings, compile=False)
    assert [locale for locale, _ in merges] == ["de"]
    update = next(u for u in report.catalogs if (u.locale, u.domain) == ("de", "relief-guide"))
    assert update.obsoleted == 1 and update.written
    merged = read_catalog(path)
    assert merged.find("Achieving Relief").msgstr == "Linderung erreichen"
    assert merged.find("Leftover", include_obsolete_entries=True).obsolete


def test_a_changed_source_is_merged_into_every_locale(tmp_path: Path, merges: list[tuple[str, str]]) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, compile=False)
    sync_catalogs(settings, compile=False)
    make_project(tmp_path, intro="A brand new introduction about something else entirely.")
    merges.clear()
    report = sync_catalogs(settings, compile=False)
    targets = [c for c in settings.locales if c != settings.source_locale]
    assert sorted(locale for locale, _ in merges) == sorted(targets)  # only the article's domain
    for locale in targets:
        assert read_catalog(po_path(settings, locale, "relief-guide")).find(
            "A brand new introduction about something else entirely."
        )
    assert all(u.domain == "messages" or u.added == 1 for u in report.catalogs)


@pytest.mark.parametrize("damage", ["delete", "garbage", "other-format"])
def test_a_missing_or_damaged_state_means_real_merges(
    tmp_path: Path, merges: list[tuple[str, str]], damage: str
) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, compile=False)
    sync_catalogs(settings, compile=False)
    state = tmp_path / "build" / SYNC_STATE_NAME
    if damage == "delete":
        state.unlink()
    elif damage == "garbage":
        state.write_text("{not json", encoding="utf-8")
    else:
        state.write_text('{"format": 99, "catalogs": {}}', encoding="utf-8")
    forget_whole_sync(tmp_path)
    merges.clear()
    sync_catalogs(settings, compile=False)
    assert len(merges) == 2 * len([c for c in settings.locales if c != settings.source_locale])


def test_a_forged_state_entry_for_other_bytes_is_ignored(tmp_path: Path, merges: list[tuple[str, str]]) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, compile=False)
    sync_catalogs(settings, compile=False)
    state = tmp_path / "build" / SYNC_STATE_NAME
    text = state.read_text(encoding="utf-8")
    # Same keys, wrong hashes: as if the files had changed since the state was written.
    import json

    data = json.loads(text)
    for entry in data["catalogs"].values():
        entry["key"] = "0" * 64
    state.write_text(json.dumps(data), encoding="utf-8")
    forget_whole_sync(tmp_path)
    merges.clear()
    sync_catalogs(settings, compile=False)
    assert len(merges) == len(data["catalogs"])


def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from pubflow.i18n import compile as compile_module

    seen: list[str] = []
    original = compile_module.compile_catalogs

    def counting(settings, locales=None, domains=None, **kwargs):  # type: ignore[no-untyped-def]
        seen.extend(locales or [])
        return original(settings, locales, domains, **kwargs)

    monkeypatch.setattr(compile_module, "compile_catalogs", counting)
    return seen


def report_summary(report: object) -> tuple[object, ...]:
    return (
        report.templates,  # type: ignore[attr-defined]
        report.orphaned,  # type: ignore[attr-defined]
        [(u.locale, u.domain, u.path, u.total, u.unchanged, u.written) for u in report.catalogs],  # type: ignore[attr-defined]
        sorted((r.locale, r.domain, r.counts[State.REVIEWED]) for r in report.compiled.results),  # type: ignore[attr-defined]
        report.compiled.diagnostics,  # type: ignore[attr-defined]
    )


def test_a_sync_with_nothing_changed_anywhere_does_no_work_and_reports_the_same(
    tmp_path: Path, merges: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings)
    second = sync_catalogs(settings)  # real work (it settles every catalog)
    seen = compiles(monkeypatch)
    merges.clear()
    steps: list[str] = []
    third = sync_catalogs(settings, progress=steps.append)
    assert merges == [] and seen == [] and steps == ["nothing changed since the last sync"]
    expected = report_summary(second)
    assert report_summary(third)[:3] == (
        {domain: False for domain in expected[0]},
        expected[1],
        [(loc, dom, path, total, total, False) for loc, dom, path, total, _, _ in expected[2]],
    )
    assert report_summary(third)[3:] == expected[3:]


@pytest.mark.parametrize(
    "change", ["translator saves", "article edited", "template edited", "compiled file deleted", "settings"]
)
def test_any_change_to_what_sync_reads_or_writes_means_real_work(
    tmp_path: Path, merges: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings)
    sync_catalogs(settings)
    seen = compiles(monkeypatch)
    merges.clear()
    if change == "translator saves":
        with edit_catalog(po_path(settings, "de", "relief-guide")) as po:
            po.find("Achieving Relief").msgstr = "Linderung erreichen"
    elif change == "article edited":
        make_project(tmp_path, intro="Something else entirely.")
    elif change == "template edited":
        (tmp_path / "templates" / "site" / "page.html").write_text('<a>{{ _("Read on") }}</a>\n', encoding="utf-8")
    elif change == "compiled file deleted":
        next((tmp_path / "build" / "locales" / "fr").rglob("*.mo")).unlink()
    else:
        settings = settings.copy(coverage_threshold=10.0)
        assert seen == []
    report = sync_catalogs(settings)
    worked = bool(merges) or bool(seen)
    assert worked, f"{change}: the sync replayed an old report"
    if change == "translator saves":
        assert [r.locale for r in report.compiled.compiled] == ["de"]
    if change == "compiled file deleted":
        assert any(r.locale == "fr" for r in report.compiled.compiled)


def test_a_translators_save_reads_the_templates_back_instead_of_extracting(
    tmp_path: Path, merges: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings)
    sync_catalogs(settings)  # settles: its record says which sources made which templates
    extracted: list[int] = []
    real_extract = sync_module.extract_messages
    monkeypatch.setattr(
        sync_module, "extract_messages", lambda s, **options: extracted.append(1) or real_extract(s, **options)
    )
    templates_read: list[str] = []
    real_read = sync_module.read_catalog
    monkeypatch.setattr(
        sync_module, "read_catalog", lambda path: templates_read.append(path.name) or real_read(path)
    )
    with edit_catalog(po_path(settings, "de", "relief-guide")) as po:
        po.find("Achieving Relief").msgstr = "Linderung erreichen"
    merges.clear()
    report = sync_catalogs(settings)
    assert extracted == [] and [r.locale for r in report.compiled.compiled] == ["de"]
    assert templates_read == ["relief-guide.pot"]  # the one a merge needed, not messages.pot
    assert not any(report.templates.values())
    # A source change still extracts (and the new string reaches every catalog).
    make_project(tmp_path, intro="A new paragraph entirely.")
    report = sync_catalogs(settings)
    assert extracted == [1] and report.templates["relief-guide"]
    assert read_catalog(po_path(settings, "fr", "relief-guide")).find("A new paragraph entirely.")


def test_a_translators_save_syncs_that_language_alone_and_reports_like_a_full_sync(
    tmp_path: Path, merges: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings)
    # A catalog error in French, so the replayed report has diagnostics of its own.
    with edit_catalog(po_path(settings, "fr", "relief-guide")) as po:
        po.find("Achieving Relief").msgstr = "Soulager\nla douleur"
    sync_catalogs(settings)
    sync_catalogs(settings)  # settles and records the per-language hashes
    jobs: list[str] = []
    real_job = sync_module._sync_locale
    monkeypatch.setattr(
        sync_module, "_sync_locale", lambda inputs, locale: jobs.append(locale) or real_job(inputs, locale)
    )
    with edit_catalog(po_path(settings, "de", "relief-guide")) as po:
        po.find("Achieving Relief").msgstr = "Linderung erreichen"
    targeted = sync_catalogs(settings)
    assert jobs == ["de"]  # the other languages' files are as the last sync left them
    assert [r.locale for r in targeted.compiled.compiled] == ["de"]
    assert any("fr" in str(d.path) for d in targeted.compiled.diagnostics)
    # The same report, diagnostics in the same order, as a sync that does every language.
    (tmp_path / "build" / "incremental" / "sync.json").unlink()
    jobs.clear()
    full = sync_catalogs(settings)
    assert sorted(jobs) == sorted(settings.locales)
    assert [(u.locale, u.domain, u.total) for u in targeted.catalogs] == [
        (u.locale, u.domain, u.total) for u in full.catalogs
    ]
    assert [(r.locale, r.domain, r.counts) for r in targeted.compiled.results] == [
        (r.locale, r.domain, r.counts) for r in full.compiled.results
    ]
    assert [d.format() for d in targeted.compiled.diagnostics] == [
        d.format() for d in full.compiled.diagnostics
    ]
    # Another set of languages than the recorded one: every chosen language syncs.
    jobs.clear()
    with edit_catalog(po_path(settings, "de", "relief-guide")) as po:
        po.find("Achieving Relief").msgstr = "Linderung"
    sync_catalogs(settings, ["de", "fr"])
    assert jobs == ["de", "fr"]


def test_a_catalog_saved_while_a_sync_runs_is_compiled_by_the_next_sync(
    tmp_path: Path, merges: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import gettext

    from pubflow.i18n.runtime import compiled_paths

    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings)
    sync_catalogs(settings)  # settled
    real_run_jobs = sync_module.run_jobs

    def save_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        results = real_run_jobs(*args, **kwargs)
        # A translator's save lands after the sync read and compiled (or skipped) German.
        with edit_catalog(po_path(settings, "de", "relief-guide")) as po:
            po.find("Achieving Relief").msgstr = "Linderung, mitten im Sync gespeichert"
        return results

    monkeypatch.setattr(sync_module, "run_jobs", save_meanwhile)
    with edit_catalog(po_path(settings, "fr", "relief-guide")) as po:
        po.find("Achieving Relief").msgstr = "Trouver le soulagement"
    sync_catalogs(settings)  # works on French; German changes under it
    monkeypatch.setattr(sync_module, "run_jobs", real_run_jobs)

    report = sync_catalogs(settings)
    assert "de" in [r.locale for r in report.compiled.compiled], "the save was taken as synced"
    with compiled_paths(settings, "de", "relief-guide").mo.open("rb") as handle:
        german = gettext.GNUTranslations(handle)
    assert german.gettext("Achieving Relief") == "Linderung, mitten im Sync gespeichert"
    assert sync_catalogs(settings).compiled.compiled == []  # and then it is settled
