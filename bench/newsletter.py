"""Figure 6: one newsletter issue-locale (MJML render, HTML, text, .eml) vs node ``mjml`` 5.

Ours: for every (issue, locale) of the corpus, the newsletter stage's per-locale step — render
the MJML template, check it, compile it to HTML with mjml-python, render and check the plain
text part, the web archive copy and every link, build the ``.eml`` — and write the files. The
figure is the mean per issue-locale over all of them.

Node: ``mjml`` 5 installed with npm into a cache folder, compiling the very MJML documents our
build wrote (``dist/newsletter/<issue>/<locale>/email.mjml``), in process, after a warm-up; the
figure is the mean per document. Only the compile is timed, not node's start-up.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

from pubflow.config import Settings
from pubflow.fsutil import atomic_write_bytes
from pubflow.ingest.newsletter import load_issue
from pubflow.newsletter import build as newsletter_build
from pubflow.newsletter.checks import errors_of
from pubflow.render.publishing import plan_publication

NODE = shutil.which("node")
NPM = shutil.which("npm")

_NODE_SCRIPT = r"""
const mjml2html = require('mjml');
const fs = require('fs');
const files = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const rounds = parseInt(process.argv[3], 10);
const docs = files.map((f) => fs.readFileSync(f, 'utf8'));
async function compile(doc) {
  let result = mjml2html(doc, { validationLevel: 'soft' });
  if (result && typeof result.then === 'function') result = await result;  // mjml 5 is async
  if (!result.html || result.html.length < 1000) throw new Error('empty output');
  return result.html.length;
}
(async () => {
  for (const doc of docs.slice(0, 5)) await compile(doc);  // warm-up (JIT, require caches)
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


def time_ours(settings: Settings, sets: list[tuple[str, str]], out_root: Path) -> float:
    """Mean seconds per issue-locale: render + check + HTML + text + .eml + writing the files."""
    loaded = {issue: load_issue(settings.newsletters_path, settings.articles_path, issue) for issue, _ in sets}
    plans = {
        issue: plan_publication(
            settings, list(dict.fromkeys([item.article.article.slug, *item.related_articles]))
        )
        for issue, item in loaded.items()
    }
    start = time.perf_counter()
    for issue, locale in sets:
        rendered = newsletter_build._render_locale(
            settings, loaded[issue], plans[issue], locale, out_root / "site", out_root / issue
        )
        if errors_of(rendered.findings):
            raise RuntimeError(f"newsletter {issue}/{locale} failed its checks")
        for path, data in rendered.outputs.values():
            atomic_write_bytes(path, data)
    return (time.perf_counter() - start) / len(sets)


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
        [NODE, str(script), str(listing), str(rounds)],
        cwd=cache,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
