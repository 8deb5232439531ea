"""`pubflow build site` and `pubflow preview` from the command line."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polib
import pytest
from typer.testing import CliRunner

from pubflow.cli import app
from pubflow.config import Settings, load_settings
from pubflow.errors import ConfigError
from pubflow.render.preview import Preview
from pubflow.runlock import project_run_lock
from render_site_data import MORNINGS

runner = CliRunner()


def test_build_site_builds_and_reports(site_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(site_project)
    result = runner.invoke(app, ["build", "site"])
    assert result.exit_code == 0, result.output
    assert "pt_BR: 1 article(s)" in result.output
    assert "en_XA: 2 article(s) (QA only" in result.output
    assert "skipped es: calm-mornings not published" in result.output
    assert (site_project / "dist" / "site" / "de" / "calm-mornings" / "index.html").is_file()
    again = runner.invoke(app, ["build", "site", "--locale", "de"])
    assert again.exit_code == 0 and "0 files written" in again.output


def test_build_site_errors_are_one_line(site_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(site_project)
    result = runner.invoke(app, ["build", "site", "--locale", "xx"])
    assert result.exit_code == 2
    assert "locale 'xx' is not configured" in result.output and "Traceback" not in result.output
    (site_project / "templates" / "site" / "article.html").write_text("{% if %}")
    broken = runner.invoke(app, ["build", "site"])
    assert broken.exit_code == 2 and "article.html:1" in broken.output


def test_strict_build_fails_on_refused_translations(
    site_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = site_project / "locales" / "de" / "LC_MESSAGES" / f"{MORNINGS.slug}.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    catalog.find(MORNINGS.title).msgstr = "<script>alert(1)</script>"
    catalog.save(str(path))
    monkeypatch.chdir(site_project)
    lenient = runner.invoke(app, ["build", "site"])
    assert lenient.exit_code == 0 and "warning" in lenient.output
    strict = runner.invoke(app, ["build", "site", "--strict"])
    assert strict.exit_code == 1


def test_strict_build_fails_on_a_catalog_that_cannot_be_read(
    site_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(site_project)
    assert runner.invoke(app, ["build", "site"]).exit_code == 0
    page = site_project / "dist" / "site" / "de" / MORNINGS.slug / "index.html"
    before = page.read_bytes()
    # A translator's typo: the language keeps its pages, from the last good compile.
    path = site_project / "locales" / "de" / "LC_MESSAGES" / f"{MORNINGS.slug}.po"
    path.write_text(path.read_text(encoding="utf-8") + '\nmsgid "x\n', encoding="utf-8")
    lenient = runner.invoke(app, ["build", "site"])
    assert lenient.exit_code == 0 and "catalog" in lenient.output and path.name in lenient.output
    assert "last good compile" in lenient.output
    assert page.read_bytes() == before
    strict = runner.invoke(app, ["build", "site", "--strict"])
    assert strict.exit_code == 1, strict.output
    assert page.read_bytes() == before


def test_strict_build_fails_on_another_languages_catalog(
    site_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(site_project)
    assert runner.invoke(app, ["build", "site"]).exit_code == 0
    page = site_project / "dist" / "site" / "de" / MORNINGS.slug / "index.html"
    before = page.read_bytes()
    folder = site_project / "locales"
    # The Arabic catalog copied over the German one: no Arabic on German pages.
    source = folder / "ar" / "LC_MESSAGES" / f"{MORNINGS.slug}.po"
    target = folder / "de" / "LC_MESSAGES" / f"{MORNINGS.slug}.po"
    target.write_bytes(source.read_bytes())
    lenient = runner.invoke(app, ["build", "site"])
    assert lenient.exit_code == 0 and "header says Language: ar but this is the de catalog" in lenient.output
    assert f"move it to locales/ar/LC_MESSAGES/{MORNINGS.slug}.po" in lenient.output
    assert page.read_bytes() == before
    strict = runner.invoke(app, ["build", "site", "--strict"])
    assert strict.exit_code == 1, strict.output
    assert page.read_bytes() == before


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Cache-Control"] == "no-store"
        return response.read().decode("utf-8")


@contextmanager
def _watching(preview: Preview) -> Iterator[threading.Event]:
    """``preview.watch()`` in a thread (100 ms debounce) while the block runs; the event is set
    after each rebuild."""
    rebuilt, stop = threading.Event(), threading.Event()
    watcher = threading.Thread(
        target=preview.watch, args=(stop,), kwargs={"on_rebuild": lambda r: rebuilt.set(), "debounce_ms": 100}
    )
    watcher.start()
    try:
        yield rebuilt
    finally:
        stop.set()
        watcher.join(10)
    assert not watcher.is_alive()


def _retitled(site_project: Path) -> tuple[Path, polib.POFile]:
    """The article's German catalog with a new title for it, not saved yet."""
    path = site_project / "locales" / "de" / "LC_MESSAGES" / f"{MORNINGS.slug}.po"
    catalog = polib.pofile(str(path), wrapwidth=0)
    catalog.find(MORNINGS.title).msgstr = "Ruhige Morgen: drei Tipps"
    return path, catalog


def test_preview_serves_the_site_and_rebuilds_when_a_po_changes(site_project: Path) -> None:
    logs: list[str] = []
    with Preview(load_settings(site_project), port=0, log=logs.append) as preview:
        preview.start()
        assert preview.url.startswith("http://127.0.0.1:")
        assert "<h1>Ruhige Morgen: 3 Tipps</h1>" in _get(preview.url + "de/calm-mornings/")
        assert "languages-big" in _get(preview.url)
        with _watching(preview) as rebuilt:
            path, catalog = _retitled(site_project)
            catalog.save(str(path))
            # The watcher may subscribe after the first save: save again until it reacts.
            deadline = time.monotonic() + 30
            while not rebuilt.wait(1) and time.monotonic() < deadline:
                catalog.save(str(path))
            assert rebuilt.is_set(), logs
            assert "<h1>Ruhige Morgen: drei Tipps</h1>" in _get(preview.url + "de/calm-mornings/")
    assert any("calm-mornings.po" in line for line in logs)


@contextmanager
def _publish_running(settings: Settings) -> Iterator[threading.Event]:
    """A publish holding the project run lock (in another thread) until the event is set."""
    holding, done = threading.Event(), threading.Event()

    def publish() -> None:
        with project_run_lock(settings, "publish flow run 'crimson-fox'", wait=0):
            holding.set()
            done.wait(60)

    holder = threading.Thread(target=publish)
    holder.start()
    try:
        assert holding.wait(10)
        yield done
    finally:
        done.set()
        holder.join(10)


def test_a_preview_rebuild_queues_behind_a_running_publish(site_project: Path) -> None:
    settings = load_settings(site_project)
    logs: list[str] = []
    with (
        Preview(settings, port=0, log=logs.append) as preview,
        _publish_running(settings) as finish,
        _watching(preview) as rebuilt,
    ):
        path, catalog = _retitled(site_project)
        deadline = time.monotonic() + 30
        while not any("waiting for" in line for line in logs) and time.monotonic() < deadline:
            catalog.save(str(path))  # until the watcher, subscribed by now, reacts
            time.sleep(0.5)
        assert any("waiting for publish flow run 'crimson-fox'" in line for line in logs), logs
        time.sleep(0.5)
        assert not rebuilt.is_set() and not (settings.dist_path / "site").exists()
        finish.set()  # the publish ends: the queued rebuild runs
        assert rebuilt.wait(30), logs
        page = settings.dist_path / "site" / "de" / "calm-mornings" / "index.html"
        assert "<h1>Ruhige Morgen: drei Tipps</h1>" in page.read_text("utf-8")


def test_the_preview_serves_at_once_while_its_first_build_waits_for_a_publish(site_project: Path) -> None:
    settings = load_settings(site_project)
    logs: list[str] = []
    with Preview(settings, port=0, log=logs.append) as preview, _publish_running(settings) as finish:
        starter = threading.Thread(target=preview.start)
        starter.start()
        deadline = time.monotonic() + 30
        while not any("waiting for" in line for line in logs) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any("waiting for publish flow run 'crimson-fox'" in line for line in logs), logs
        # `make serve` waits for this URL: it answers while the build waits (nothing built yet).
        with urllib.request.urlopen(preview.url, timeout=10) as response:
            assert response.status == 200
        assert preview.builds == 0
        finish.set()
        starter.join(60)
        assert not starter.is_alive() and preview.builds == 1
        assert "<h1>Ruhige Morgen: 3 Tipps</h1>" in _get(preview.url + "de/calm-mornings/")


def test_a_preview_rebuild_still_blocked_after_its_queue_time_is_reported(site_project: Path) -> None:
    settings = load_settings(site_project)
    logs: list[str] = []
    preview = Preview(settings, port=0, log=logs.append, queue_seconds=0.3)
    with _publish_running(settings):
        assert preview.build() is None
    assert preview.builds == 0 and not (settings.dist_path / "site").exists()
    assert logs[0].startswith("waiting for publish flow run 'crimson-fox'")
    assert logs[1].startswith("rebuild skipped: publish flow run 'crimson-fox' (pid ")
    assert "still running after 0.3 s; save again once it is done" in logs[1]
    assert preview.build() is not None and preview.builds == 1  # free again: builds


def test_preview_reports_a_busy_port(site_project: Path) -> None:
    settings = load_settings(site_project)
    with Preview(settings, port=0, log=lambda _: None) as first:
        first.start()
        port = int(first.url.rsplit(":", 1)[1].strip("/"))
        second = Preview(settings, port=port, log=lambda _: None)
        with pytest.raises(ConfigError, match="cannot serve") as error:
            second.start()
        assert "--port" in (error.value.hint or "")


def test_the_preview_command_says_what_a_broken_save_did(site_project: Path) -> None:
    """A translator saves a .po with a typo: the preview log names the file and line (the
    page keeps its last good text), as `build site` would."""
    import os
    import signal
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBFLOW_")}
    env["PUBFLOW_ROOT"] = str(site_project)
    process = subprocess.Popen(
        [sys.executable, "-m", "pubflow", "preview", "--port", "0", "--locale", "de"],
        cwd=site_project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler),
    )  # fmt: skip
    seen: list[str] = []
    try:
        assert process.stdout is not None and process.stderr is not None
        deadline = time.monotonic() + 60
        while "Serving" not in process.stdout.readline():
            assert time.monotonic() < deadline and process.poll() is None, "preview did not start"
        errors = process.stderr
        threading.Thread(target=lambda: seen.extend(iter(errors.readline, "")), daemon=True).start()
        path = site_project / "locales" / "de" / "LC_MESSAGES" / f"{MORNINGS.slug}.po"
        broken = path.read_text(encoding="utf-8") + '\nmsgid "unclosed\n'
        shown = f"locales/de/LC_MESSAGES/{MORNINGS.slug}.po:{broken.count(chr(10))}: error: catalog:"
        # Saved again until a rebuild reports it: the watcher starts just after "Serving".
        while not any(shown in line for line in seen):
            assert time.monotonic() < deadline, seen
            path.write_text(broken, encoding="utf-8")
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
