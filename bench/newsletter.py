"""Figure 6: one newsletter issue-locale (MJML render, HTML, text, .eml) vs node ``mjml`` 5.

Ours: for every (issue, locale) of the corpus, the newsletter stage's per-locale step — render
the MJML template, check it, compile it to HTML with mjml-python, render and check the plain
text part, the web archive copy and every link, build the ``.eml`` — then write the files.
The figure (:func:`time_ours`) is the in-memory part, like node's side, which reads its
documents before its clock starts and writes nothing; :func:`measure_ours` also times the
writing (on a fresh folder here: some 1 ms per new file and its fsync, 5 files per locale).
It is the mean per issue-locale over all of them, after the warm-up node gets too
(:data:`WARM_UP` documents) plus one document per language (loading a language's CLDR data
is a once-per-process cost, like node's ``require``). The web archive copy is extra work
node's side does not do (a second render, MJML check and compile, and its link check: about
a third of our time); it stays in the figure.

Node: ``mjml`` 5 installed with npm into a cache folder, compiling the very MJML documents our
build wrote (``dist/newsletter/<issue>/<locale>/email.mjml``), in process, after a warm-up; the
figure is the mean per document. Only the compile is timed, not node's start-up.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pubflow.config import Settings
from pubflow.fsutil import atomic_write_bytes
from pubflow.ingest.newsletter import load_issue
from pubflow.newsletter import build as newsletter_build
from pubflow.newsletter.checks import errors_of
from pubflow.render.publishing import plan_publication

NODE = shutil.which("node")
WARM_UP = 5
"""Documents each side handles before the clock starts (node: JIT and require caches)."""
NPM = shutil.which("npm")

_NODE_SCRIPT = r"""
const mjml2html = require('mjml');
const fs = require('fs');
const files = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const rounds = parseInt(process.argv[3], 10);
const WARM_UP = parseInt(process.argv[4], 10);
const docs = files.map((f) => fs.readFileSync(f, 'utf8'));
async function compile(doc) {
  let result = mjml2html(doc, { validationLevel: 'soft' });
  if (result && typeof result.then === 'function') result = await result;  // mjml 5 is async
  if (!result.html || result.html.length < 1000) throw new Error('empty output');
  return result.html.length;
}
(async () => {
  for (const doc of docs.slice(0, WARM_UP)) await compile(doc);  // warm-up (JIT, require caches)
  const perRound = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (const doc of docs) await compile(doc);
    perRound.push(Number(process.hrtime.bigint() - start) / 1e9 / docs.length);
  }
  const version = require('mjml/package.json').version;
  console.log(JSON.stringify({ per_compile_s: perRound, version, documents: docs.length }));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def issue_locales(settings: Settings) -> list[tuple[str, str]]:
    """(issue, locale) of every built email, from the newsletter manifests."""
    found = []
    for manifest in sorted((settings.dist_path / "newsletter").glob("*/manifest.json")):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        for locale, entry in sorted(data.get("locales", {}).items()):
            if isinstance(entry, dict) and entry.get("status") == "built":
                found.append((manifest.parent.name, locale))
    return found


@dataclass(frozen=True)
class OursTimes:
    """Mean seconds per issue-locale of our side, split where node's side stops."""

    build_s: float  # render, check, compile, text part, web copy, .eml: all in memory
    write_s: float  # writing its five files, atomically, as the build does


def measure_ours(settings: Settings, sets: list[tuple[str, str]], out_root: Path) -> OursTimes:
    """Build every (issue, locale) of ``sets`` (files under ``out_root``), timing both halves."""
    issues = list(dict.fromkeys(issue for issue, _ in sets))
    loaded = {issue: load_issue(settings.newsletters_path, settings.articles_path, issue) for issue in issues}
    plans = {
        issue: plan_publication(
            settings, list(dict.fromkeys([item.article.article.slug, *item.related_articles]))
        )
        for issue, item in loaded.items()
    }
    clock = time.perf_counter

    def build(issue: str, locale: str, out: Path) -> tuple[float, float]:
        start = clock()
        rendered = newsletter_build._render_locale(
            settings, loaded[issue], plans[issue], locale, out / "site", out / issue
        )
        if errors_of(rendered.findings):
            raise RuntimeError(f"newsletter {issue}/{locale} failed its checks")
        built = clock()
        for path, data in rendered.outputs.values():
            atomic_write_bytes(path, data, durable=False)  # as the build writes dist/
        return built - start, clock() - built

    # Warm up as node's side does (templates compiled, caches filled) and once per language:
    # a process loads each language's CLDR data once (some 15 ms), a cost a real build pays
    # once, not per issue-locale. Written elsewhere, so that every timed set writes afresh.
    first_of_each_locale = {locale: (issue, locale) for issue, locale in reversed(sets)}
    for issue, locale in [*sets[:WARM_UP], *first_of_each_locale.values()]:
        build(issue, locale, out_root / "warm-up")
    timings = [build(issue, locale, out_root) for issue, locale in sets]
    return OursTimes(
        sum(built for built, _ in timings) / len(sets), sum(written for _, written in timings) / len(sets)
    )


def time_ours(settings: Settings, sets: list[tuple[str, str]], out_root: Path) -> float:
    """Mean seconds per issue-locale of the in-memory work, the figure set against node's compile.

    (Node's side reads its documents before its clock starts and writes nothing; writing our
    files is timed apart by :func:`measure_ours`, and the figure's note reports it.)
    """
    return measure_ours(settings, sets, out_root).build_s


def ensure_mjml(cache: Path, version: str = "5") -> Path:
    """``node_modules`` with ``mjml@5`` under ``cache`` (installed with npm on first use)."""
    marker = cache / "node_modules" / "mjml" / "package.json"
    if marker.is_file() and json.loads(marker.read_text())["version"].startswith(f"{version}."):
        return cache
    if NPM is None:
        raise RuntimeError("npm is not installed")
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [NPM, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(cache), f"mjml@{version}"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return cache


def time_node(cache: Path, documents: list[Path], rounds: int) -> dict[str, object]:
    """node mjml's in-process compile time per document (one value per round)."""
    script = cache / "bench-mjml.js"
    script.write_text(_NODE_SCRIPT, encoding="utf-8")
    listing = cache / "documents.json"
    listing.write_text(json.dumps([str(p) for p in documents]), encoding="utf-8")
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(script), str(listing), str(rounds), str(WARM_UP)],
        cwd=cache,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
