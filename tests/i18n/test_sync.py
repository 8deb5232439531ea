"""Sync (extract → merge → compile), init, and the `pubflow catalogs` commands."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pubflow.cli import app
from pubflow.config import load_settings
from pubflow.errors import CatalogError
from pubflow.i18n.pofile import edit_catalog, parse_catalog, po_path, pot_path, read_catalog
from pubflow.i18n.states import State
from pubflow.i18n.sync import init_catalog, sync_catalogs
from pubflow.ingest.canonical import write_article
from pubflow.model import Article, Tip

REPO = Path(__file__).resolve().parents[2]
LOCALES = ["de", "es", "fr", "ar", "pt_BR", "en_XA"]


def article(intro: str = "Ketamine works differently from other antidepressants.") -> Article:
    return Article(
        slug="relief-guide",
        lang="en",
        title="Achieving Relief",
        summary="How ketamine therapy can help.",
        intro=(intro,),
        tips=(Tip("Find a clinic", ("Look for accredited clinics near you.",)),),
        date=dt.date(2026, 1, 1),
    )


def make_project(root: Path) -> Path:
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copy(REPO / "babel.cfg", root / "babel.cfg")
    (root / "templates" / "site").mkdir(parents=True)
    (root / "templates" / "site" / "page.html").write_text(
        '<a>{{ _("Read more") }}</a>\n{% trans count=n %}One tip{% pluralize %}{{ count }} tips{% endtrans %}\n',
        encoding="utf-8",
    )
    write_article(article(), root / "content" / "articles")
    return root


def catalog_files(root: Path) -> dict[Path, tuple[bytes, int]]:
    return {
        path: (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted((root / "locales").rglob("*"))
        if path.suffix in (".po", ".pot")
    }


def test_sync_creates_templates_and_catalogs_for_every_locale(tmp_path: Path) -> None:
    settings = load_settings(make_project(tmp_path))
    report = sync_catalogs(settings)
    assert report.templates == {"messages": True, "relief-guide": True}
    assert {(u.locale, u.domain) for u in report.catalogs} == {
        (locale, domain) for locale in LOCALES for domain in ("messages", "relief-guide")
    }
    assert all(u.created and u.written for u in report.catalogs)
    arabic = read_catalog(po_path(settings, "ar", "messages"))
    assert arabic.metadata["Language"] == "ar"
    assert sorted(next(e for e in arabic if e.msgid_plural).msgstr_plural) == [0, 1, 2, 3, 4, 5]
    assert report.compile_skipped is None and report.compiled is not None


def test_second_run_changes_no_byte_and_writes_no_file(tmp_path: Path) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings)
    before = catalog_files(tmp_path)
    report = sync_catalogs(settings)
    assert report.written == [] and not any(report.templates.values())
    assert all(not u.created and u.unchanged == u.total for u in report.catalogs)
    assert catalog_files(tmp_path) == before  # same bytes, same mtimes
    assert report.compiled.written == []


def test_a_catalog_with_nothing_new_keeps_its_editors_layout_until_something_changes(
    tmp_path: Path,
) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, ["de"], compile=False)
    path = po_path(settings, "de", "relief-guide")
    with edit_catalog(path) as po:
        for entry in po:
            entry.msgstr = f"DE: {entry.msgid} " * 6  # long enough to be wrapped
    canonical = path.read_text(encoding="utf-8")
    # An editor that does not wrap (Poedit's "preserve formatting off"): one line per string.
    unwrapped = canonical.replace('"\n"', "").replace('msgstr ""DE', 'msgstr "DE')
    assert unwrapped != canonical
    path.write_text(unwrapped, encoding="utf-8")
    assert {e.msgid: e.msgstr for e in read_catalog(path)} == {
        e.msgid: e.msgstr for e in parse_catalog(canonical.encode(), path)
    }
    report = sync_catalogs(settings, ["de"], compile=False)
    assert report.written == []  # same content: the translator's layout is left alone
    assert path.read_text(encoding="utf-8") == unwrapped
    write_article(article("A new first paragraph."), tmp_path / "content" / "articles")
    report = sync_catalogs(settings, ["de"], compile=False)
    assert path in report.written  # a real change: written in gettext's canonical layout
    assert '"\n"' in path.read_text(encoding="utf-8")


def test_translations_survive_and_changes_become_fuzzy(tmp_path: Path) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, ["de"], compile=False)
    path = po_path(settings, "de", "relief-guide")
    with edit_catalog(path) as po:
        for entry in po:
            entry.msgstr = f"DE: {entry.msgid}"
    write_article(article("Ketamine works differently from most other antidepressants."), tmp_path / "content" / "articles")
    report = sync_catalogs(settings, ["de"], compile=False)
    update = next(u for u in report.catalogs if u.domain == "relief-guide")
    assert (update.fuzzy, update.added, update.obsoleted) == (1, 0, 0)
    entries = {entry.msgid: entry for entry in read_catalog(path)}
    changed = entries["Ketamine works differently from most other antidepressants."]
    assert changed.fuzzy and changed.previous_msgid == "Ketamine works differently from other antidepressants."
    assert changed.msgstr == "DE: Ketamine works differently from other antidepressants."
    assert entries["Find a clinic"].msgstr == "DE: Find a clinic" and not entries["Find a clinic"].fuzzy


def test_removed_article_keeps_its_template_and_translations(tmp_path: Path) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, ["de"], compile=False)
    kept = po_path(settings, "de", "relief-guide").read_bytes()
    (tmp_path / "content" / "articles" / "relief-guide.md").unlink()
    report = sync_catalogs(settings, ["de"], compile=False)
    assert report.orphaned == ["relief-guide"]
    assert pot_path(settings, "relief-guide").exists()
    assert po_path(settings, "de", "relief-guide").read_bytes() == kept


def test_unknown_and_unconfigured_locales_are_clear_errors(tmp_path: Path) -> None:
    settings = load_settings(make_project(tmp_path))
    with pytest.raises(CatalogError, match="not configured") as caught:
        sync_catalogs(settings, ["it"])
    assert "pyproject.toml" in str(caught.value.path) and "locales" in (caught.value.hint or "")
    with pytest.raises(CatalogError, match="source language"):
        sync_catalogs(settings, ["en"])


def test_init_creates_a_new_language_and_refuses_to_overwrite(tmp_path: Path) -> None:
    settings = load_settings(make_project(tmp_path))
    created = init_catalog(settings, "it")
    assert sorted(p.name for p in created) == ["messages.po", "relief-guide.po"]
    catalog = read_catalog(po_path(settings, "it", "messages"))
    assert catalog.metadata["Language"] == "it" and all(e.msgstr == "" for e in catalog if not e.msgid_plural)

    with edit_catalog(po_path(settings, "it", "messages")) as po:
        po[0].msgstr = "Leggi di più"
    before = po_path(settings, "it", "messages").read_bytes()
    with pytest.raises(CatalogError) as caught:
        init_catalog(settings, "it")
    assert "already exists" in caught.value.message and "update" in (caught.value.hint or "")
    # it is not configured yet: `catalogs update --locale it` would refuse it, so the hint
    # says to configure it first (it used to send the user round in a circle).
    assert "add 'it' to `locales`" in (caught.value.hint or "")
    assert po_path(settings, "it", "messages").read_bytes() == before
    configured = settings.copy(locales=[*settings.locales, "it"])
    with pytest.raises(CatalogError) as again:
        init_catalog(configured, "it")
    assert (again.value.hint or "").startswith("use `pubflow catalogs update --locale it`")


def test_init_refuses_before_writing_anything(tmp_path: Path) -> None:
    settings = load_settings(make_project(tmp_path))
    init_catalog(settings, "it", ["messages"])
    with pytest.raises(CatalogError, match="already exists"):
        init_catalog(settings, "it")
    assert not po_path(settings, "it", "relief-guide").exists()


# CLI ------------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_update_prints_a_summary_per_locale_and_domain(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    result = runner.invoke(app, ["catalogs", "update", "--root", str(root), "--locale", "de", "-l", "fr"])
    assert result.exit_code == 0, result.output
    assert "changed→fuzzy" in result.stdout and "relief-guide" in result.stdout
    assert "4 catalog files written" in result.stdout
    again = runner.invoke(app, ["catalogs", "update", "--root", str(root), "-l", "de", "--no-compile"])
    assert again.exit_code == 0 and "already up to date" in again.stdout


def test_cli_user_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    unknown = runner.invoke(app, ["catalogs", "update", "--root", str(root), "--locale", "it"])
    assert unknown.exit_code == 2
    assert "not configured" in unknown.stderr and "Traceback" not in unknown.output
    assert len(unknown.stderr.strip().splitlines()) == 1
    assert runner.invoke(app, ["catalogs", "init", "--root", str(root), "--locale", "de"]).exit_code == 0
    again = runner.invoke(app, ["catalogs", "init", "--root", str(root), "--locale", "de"])
    assert again.exit_code == 2 and "already exists" in again.stderr


@pytest.mark.parametrize("command", [["catalogs"], ["catalogs", "update"], ["catalogs", "init"]])
def test_cli_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout and ("--locale" in result.stdout or "update" in result.stdout)


def test_workers_give_the_same_catalogs_outputs_and_report_as_one_process(tmp_path: Path) -> None:
    outputs = {}
    for workers in (1, 3):
        root = tmp_path / f"w{workers}"
        root.mkdir()
        settings = load_settings(make_project(root)).copy(workers=workers)
        steps: list[str] = []
        report = sync_catalogs(settings, progress=steps.append)
        files = {
            path.relative_to(root).as_posix(): path.read_bytes()
            for folder in ("locales", "build/locales")
            for path in sorted((root / folder).rglob("*"))
            if path.is_file() and not path.name.endswith(".lock")
        }
        summary = [(u.locale, u.domain, u.created, u.written, u.total) for u in report.catalogs]
        compiled = [(r.locale, r.domain, r.status) for r in report.compiled.results]
        # A new catalog's PO-Revision-Date is the current minute (and the sidecars hash the
        # .po bytes): compare without those lines, the two runs may straddle a minute.
        volatile = (b"PO-Revision-Date", b'"fingerprint"')
        files = {
            name: b"\n".join(line for line in data.split(b"\n") if not any(v in line for v in volatile))
            for name, data in files.items()
        }
        outputs[workers] = (files, summary, compiled, sorted(s for s in steps if s.endswith("compiled")))
    assert outputs[1] == outputs[3]
    assert len(outputs[1][0]) > 20 and len(outputs[1][3]) == len(LOCALES)


def test_the_build_process_learns_the_compiled_files_from_its_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pubflow.fingerprint as fingerprint

    monkeypatch.setattr(fingerprint, "_SEEN", {})
    read: list[str] = []
    real_hash = fingerprint.FileHashes._hash

    def recording(self: fingerprint.FileHashes, path: str) -> str:
        read.append(path)
        return real_hash(self, path)

    monkeypatch.setattr(fingerprint.FileHashes, "_hash", recording)
    settings = load_settings(make_project(tmp_path)).copy(workers=2)
    report = sync_catalogs(settings)
    compiled = [path for result in report.compiled.results for path in result.written]
    assert compiled and all(path.is_file() for path in compiled if path.suffix == ".mo")
    build = str(settings.compiled_locales_path)
    assert [path for path in read if path.startswith(build)] == []

    def before_a_cold_sync(catalogs_saved_ago_ns: int) -> None:
        shutil.rmtree(tmp_path / "build")
        for catalog in settings.locales_path.rglob("*.po"):
            stamp = time.time_ns() - catalogs_saved_ago_ns
            os.utime(catalog, ns=(stamp, stamp))
        monkeypatch.setattr(fingerprint, "_SEEN", {})
        read.clear()

    # Catalogs saved "now" (a translator's save racing the build): hashed here all the same.
    before_a_cold_sync(-(10**10))
    sync_catalogs(settings)
    assert any(path.endswith(".po") for path in read)
    # A cold build of catalogs saved long ago (a fresh clone): the workers that compiled them
    # vouch for the catalogs they read too, so this process reads none of them again.
    before_a_cold_sync(3600 * 10**9)
    import pubflow.i18n.runtime as runtime

    monkeypatch.setattr(runtime, "_KNOWN_COUNTS", {})
    again = sync_catalogs(settings)
    assert len(again.compiled.compiled) == len(report.compiled.compiled)
    assert [path for path in read if path.endswith(".po")] == []
    # Nor does it read a states sidecar to plan what to publish: the compiles told the counts.
    sidecars: list[Path] = []
    real_read_states = runtime._read_states
    monkeypatch.setattr(runtime, "_read_states", lambda path: sidecars.append(path) or real_read_states(path))
    for result in again.compiled.compiled:
        counts = runtime.compiled_state_counts(settings, result.locale, result.domain)
        assert counts == {state: result.counts.get(state, 0) for state in counts}
    assert sidecars == []


def test_statistics_after_a_sync_take_the_counts_its_workers_told_until_a_catalog_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pubflow.fingerprint as fingerprint
    import pubflow.i18n.compile as compile_module
    import pubflow.i18n.runtime as runtime
    import pubflow.i18n.stats as stats_module

    settings = load_settings(make_project(tmp_path)).copy(workers=2)
    sync_catalogs(settings)
    # A cold build of catalogs saved long ago, in a process that has seen none of them.
    shutil.rmtree(tmp_path / "build")
    long_ago = time.time_ns() - 3600 * 10**9
    for catalog in settings.locales_path.rglob("*.po"):
        os.utime(catalog, ns=(long_ago, long_ago))
    monkeypatch.setattr(fingerprint, "_SEEN", {})
    monkeypatch.setattr(runtime, "_KNOWN_COUNTS", {})
    report = sync_catalogs(settings)
    told = {(r.locale, r.domain): r.counts for r in report.compiled.results if r.status == "compiled"}
    assert len(told) >= 12

    read: list[str] = []
    real_sidecar, real_catalog = compile_module._read_sidecar, stats_module.read_catalog
    monkeypatch.setattr(compile_module, "_read_sidecar", lambda path: read.append(path.name) or real_sidecar(path))
    monkeypatch.setattr(stats_module, "read_catalog", lambda path: read.append(path.name) or real_catalog(path))
    rows = {(row.locale, row.domain): row for row in stats_module.catalog_stats(settings)}
    assert read == []  # neither a sidecar nor a catalog: the sync's workers told the counts
    for key, counts in told.items():
        assert {state.value: getattr(rows[key], state.value) for state in counts} == {
            state.value: n for state, n in counts.items()
        }
    assert rows[("de", "relief-guide")].missing > 0
    # A translator saves a catalog afterwards: its hash no longer matches what was counted.
    with edit_catalog(po_path(settings, "de", "relief-guide")) as po:
        for entry in po:
            entry.msgstr = f"DE {entry.msgid}"
    (row,) = stats_module.catalog_stats(settings, ["de"], ["relief-guide"])
    assert read == ["relief-guide.po"]  # counted from the file itself
    assert row.reviewed == row.total == rows[("de", "relief-guide")].total and row.missing == 0


def test_compiling_the_catalogs_sync_just_read_gives_the_same_files_as_reading_them_again(
    tmp_path: Path,
) -> None:
    from pubflow.i18n.compile import compile_catalogs

    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, compile=False)
    for locale in ("de", "ar"):
        with edit_catalog(po_path(settings, locale, "relief-guide")) as po:
            for entry in po:
                entry.msgstr = f"{locale}: {entry.msgid}"
    (tmp_path / "build").exists() and shutil.rmtree(tmp_path / "build")
    report = sync_catalogs(settings)  # merges change nothing: compile reuses what they read
    assert report.written == [] and len(report.compiled.compiled) >= 12
    again = compile_catalogs(settings, force=True)  # parses every file itself
    assert again.written == [] and len(again.compiled) == len(report.compiled.compiled)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_unreadable_catalog_is_left_as_it_is_and_the_others_are_merged(
    tmp_path: Path, workers: int
) -> None:
    settings = load_settings(make_project(tmp_path)).copy(workers=workers)
    sync_catalogs(settings, ["de", "fr"])
    broken = po_path(settings, "de", "relief-guide")
    damaged = broken.read_text(encoding="utf-8") + '\nmsgid "unclosed\n'
    broken.write_text(damaged, encoding="utf-8")
    write_article(article("Ketamine works differently from most other antidepressants."), tmp_path / "content" / "articles")

    report = sync_catalogs(settings, ["de", "fr"])
    (error,) = report.failed
    assert error.path == Path("locales/de/LC_MESSAGES/relief-guide.po")
    assert error.line == damaged.count("\n")  # the unclosed string's line
    assert broken.read_text(encoding="utf-8") == damaged  # left exactly as it was
    written = {(u.locale, u.domain) for u in report.catalogs if u.written}
    assert ("fr", "relief-guide") in written and ("de", "relief-guide") not in written
    failed = [r for r in report.compiled.results if r.status == "failed"]
    assert [(r.locale, r.domain) for r in failed] == [("de", "relief-guide")]
    # Not recorded as done: the next sync tries (and reports) it again.
    assert [e.path for e in sync_catalogs(settings, ["de", "fr"]).failed] == [error.path]

    result = runner.invoke(app, ["catalogs", "update", "--root", str(tmp_path), "-l", "de", "-l", "fr"])
    assert result.exit_code == 2, result.output
    assert "pubflow: error: locales/de/LC_MESSAGES/relief-guide.po:" in result.stderr
    assert "1 catalog not updated (left as they are)" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["messages (copy)", "relief-guide_old", "Relief-Guide", "relief-guide.de"])
def test_a_stray_po_file_is_skipped_by_update_and_compile(tmp_path: Path, name: str) -> None:
    from pubflow.i18n.compile import compile_catalogs

    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, ["de"])
    stray = po_path(settings, "de", "relief-guide").with_name(f"{name}.po")
    copy = po_path(settings, "de", "relief-guide").read_bytes()
    stray.write_bytes(copy)
    report = sync_catalogs(settings, ["de"])
    assert report.failed == [] and stray.read_bytes() == copy
    # What every build runs first (ensure_compiled): the stray file is no domain to compile.
    assert compile_catalogs(settings, ["de"], force=True).failed == []
    assert not list(settings.compiled_locales_path.rglob(f"{name}*"))
    result = runner.invoke(app, ["catalogs", "update", "--root", str(tmp_path), "-l", "de"])
    assert result.exit_code == 0, result.output
    assert "not a valid slug" not in result.output


def test_another_languages_catalog_is_neither_merged_nor_compiled(tmp_path: Path) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, ["de", "fr"])
    fr, de = po_path(settings, "fr", "messages"), po_path(settings, "de", "messages")
    de_mo = (settings.compiled_locales_path / "de" / "LC_MESSAGES" / "messages.mo").read_bytes()
    shutil.copy(fr, de)  # French copied over German
    copied = de.read_bytes()

    report = sync_catalogs(settings, ["de", "fr"])
    (error,) = report.failed
    assert error.path == Path("locales/de/LC_MESSAGES/messages.po")
    assert error.line == copied.decode().splitlines().index('"Language: fr\\n"') + 1
    assert "header says Language: fr but this is the de catalog" in error.message
    assert error.hint == "move it to locales/fr/LC_MESSAGES/messages.po or fix the Language header if it really is de"
    assert de.read_bytes() == copied  # not rewritten to "Language: de"
    failed = [(r.locale, r.domain) for r in report.compiled.results if r.status == "failed"]
    assert failed == [("de", "messages")]
    assert (settings.compiled_locales_path / "de" / "LC_MESSAGES" / "messages.mo").read_bytes() == de_mo
    # Never settled: every run reports it again.
    assert [e.path for e in sync_catalogs(settings, ["de", "fr"]).failed] == [error.path]

    result = runner.invoke(app, ["catalogs", "update", "--root", str(tmp_path), "-l", "de", "-l", "fr"])
    assert result.exit_code == 2, result.output
    assert "locales/de/LC_MESSAGES/messages.po:" in result.stderr and "move it to locales/fr/" in result.stderr
    assert de.read_bytes() == copied

    # Poedit's regional spelling of the same language is the same catalog: merged as usual.
    de.write_bytes(copied.replace(b'"Language: fr\\n"', b'"Language: de_DE\\n"'))
    report = sync_catalogs(settings, ["de", "fr"])
    assert report.failed == [] and b'"Language: de\\n"' in de.read_bytes()


def test_a_sync_compiles_without_comparing_catalogs_with_their_templates_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pubflow.i18n import compile as compile_module
    from pubflow.i18n.stats import catalog_stats

    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, ["de"])
    guide = po_path(settings, "de", "relief-guide")
    guide.write_text(guide.read_text(encoding="utf-8").split("\n\n", 1)[0] + "\n", encoding="utf-8")  # header only

    def no_parse(path: Path) -> None:
        raise AssertionError(f"{path} parsed: the merge has just put every template entry in")

    monkeypatch.setattr(compile_module, "_template_keys", no_parse)
    report = sync_catalogs(settings, ["de"])  # merges the template's entries back in, empty
    (result,) = [r for r in report.compiled.results if r.domain == "relief-guide"]
    assert result.counts[State.MISSING] == sum(result.counts.values()) > 0
    (row,) = catalog_stats(settings, ["de"], ["relief-guide"])
    assert row.reviewed == 0 and row.missing == row.total == sum(result.counts.values()) > 0


def test_a_catalog_linked_from_elsewhere_stays_a_link(tmp_path: Path) -> None:
    settings = load_settings(make_project(tmp_path))
    sync_catalogs(settings, ["de"], compile=False)
    path = po_path(settings, "de", "relief-guide")
    shared = tmp_path / "shared" / "relief-guide.po"
    shared.parent.mkdir()
    path.rename(shared)
    path.symlink_to(shared)
    write_article(article("Ketamine works differently from most other antidepressants."), tmp_path / "content" / "articles")
    report = sync_catalogs(settings, ["de"], compile=False)
    assert any(u.written and u.domain == "relief-guide" for u in report.catalogs)
    assert path.is_symlink() and path.resolve() == shared.resolve()
    assert "most other antidepressants" in shared.read_text(encoding="utf-8")


def test_article_text_that_looks_like_placeholders_is_marked_as_never_formatted(tmp_path: Path) -> None:
    from pubflow.i18n.checks import EntryText, check_entry

    text = "Save 100% with %(code)s or {braces}: shown as written."
    root = make_project(tmp_path)
    write_article(article(text), root / "content" / "articles")
    settings = load_settings(root)
    sync_catalogs(settings, ["de"], compile=False)
    (entry,) = [e for e in read_catalog(po_path(settings, "de", "relief-guide")) if e.msgid == text]
    assert entry.flags == ["no-python-format", "no-python-brace-format"]
    # So the checks take it as plain text: a lone % and a dropped {…} are fine, no %% asked for.
    translated = EntryText(text, "Sparen Sie 100% mit %(code)s: so wie geschrieben.", flags=tuple(entry.flags))
    assert check_entry(translated, locale="de") == []
