"""A build with nothing to render never loads the template engine or the readers.

The stages' modules import Jinja2, lxml and the newsletter tracer only where they render or
parse: a no-op rebuild spends its time checking state, not importing (figure 3 of `make bench`).
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "jinja2",
    "lxml.etree",
    "lxml.html",
    "babel.dates",
    "rapidfuzz",
    "pubflow.render.environment",
    # Only a catalog write locks; only a changed article needs YAML; only a newsletter that
    # renders builds content and emails.
    "filelock",
    "yaml",
    "email.policy",
    "pubflow.newsletter.content",
    "pubflow.newsletter.export",
    "pubflow.newsletter.mjml_check",
    "pubflow.newsletter.plaintext",
    "pubflow.newsletter.links",
    # Only a catalog that changed is checked and compiled.
    "pubflow.i18n.checks",
    "pubflow.i18n.compile",
    # Only work for worker processes forks them.
    "concurrent.futures.process",
)


def _loaded_after(imports: str, names: tuple[str, ...]) -> str:
    """Which of ``names`` a fresh interpreter has loaded after ``import <imports>``."""
    code = f"import sys\nimport {imports}\nprint(sorted(name for name in {names!r} if name in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_stage_modules_import_without_the_template_engine() -> None:
    stages = "pubflow.ingest, pubflow.render.site, pubflow.newsletter.build, pubflow.i18n.sync"
    assert _loaded_after(stages, HEAVY) == "[]"


def test_flow_modules_import_without_the_translation_clients() -> None:
    # Only a pre-fill talks to a translation service; a flow process should not pay for the
    # clients' imports (deep-translator, requests) up front.
    flows = "flows.publish, flows.catalogs, flows.site, flows.newsletter, flows.ingest"
    clients = ("pubflow.i18n.machine.prefill", "pubflow.i18n.machine.client", "deep_translator")
    assert _loaded_after(flows, clients) == "[]"


def test_a_rebuild_with_nothing_changed_loads_no_checker_and_no_template_engine(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    project = tmp_path / "project"
    for name in ("content", "locales", "templates"):
        shutil.copytree(repo / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "babel.cfg"):
        shutil.copy(repo / name, project / name)
    # bench.pipeline.library_build: the stages in make publish's order, without Prefect.
    build = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bench.pipeline import library_build\n"
        f"library_build(Path({str(project)!r}))\n"
        f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n"
    )
    first = subprocess.run(
        [sys.executable, "-c", build], capture_output=True, text=True, check=True, cwd=repo, timeout=300
    )
    assert "jinja2" in first.stdout  # the first build renders: the probe sees imports
    again = subprocess.run(
        [sys.executable, "-c", build], capture_output=True, text=True, check=True, cwd=repo, timeout=300
    )
    assert again.stdout.strip().splitlines()[-1] == "[]"
    # A translator's save: that catalog is merged (it is in step with its template, so nothing
    # is matched) and compiled; the fuzzy matcher is not loaded.
    import polib

    catalog_path = project / "locales" / "de" / "LC_MESSAGES" / "messages.po"
    catalog = polib.pofile(str(catalog_path), wrapwidth=0)
    entry = next(e for e in catalog if e.msgstr and not e.obsolete)
    entry.msgstr += " (edited)"
    catalog.save(str(catalog_path))
    saved = subprocess.run(
        [sys.executable, "-c", build], capture_output=True, text=True, check=True, cwd=repo, timeout=300
    )
    loaded = saved.stdout.strip().splitlines()[-1]
    assert "pubflow.i18n.compile" in loaded and "rapidfuzz" not in loaded


def test_the_command_line_starts_without_the_clients_servers_and_renderer_it_may_not_use() -> None:
    # Every `pubflow` command imports every command's module (Typer registers them all): the
    # translation clients, the unsubscribe web app and the site renderer load only in the
    # commands that use them, not in a translator's `pubflow check` (~160 ms of its start).
    unused = (
        "requests", "deep_translator", "uvicorn", "starlette",
        "pubflow.i18n.machine.prefill", "pubflow.deliver.unsubscribe", "jinja2",
    )
    assert _loaded_after("pubflow.cli", unused) == "[]"
