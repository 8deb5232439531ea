"""Figure 7: machine pre-fill of the corpus against the local LibreTranslate test server.

A copy of the corpus has every catalog of a few locales emptied; pre-fill runs through
deep-translator's real ``LibreTranslator`` against ``tests/i18n/machine/libre_server.py`` on
127.0.0.1, which counts the requests it answers. Identical source texts must be sent once per
language pair, so strings filled per request should be at least the corpus's repetition (source
strings per distinct string). A second run over freshly emptied catalogs must be served by the
translation memory: zero requests.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pubflow.config import load_settings
from pubflow.i18n.machine.prefill import prefill_catalogs
from pubflow.i18n.pofile import list_domains, po_path, read_catalog, write_catalog

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "i18n" / "machine"))

from libre_server import LibreTestServer  # noqa: E402


@dataclass
class PrefillRun:
    seconds: float
    requests: int  # counted by the server
    filled: int
    failed: int


@dataclass
class PrefillResult:
    strings: int  # entries to fill, over every domain and locale
    distinct: int  # distinct (locale, text) pairs among them
    first: PrefillRun
    second: PrefillRun

    @property
    def repetition(self) -> float:
        return self.strings / self.distinct if self.distinct else 0.0

    @property
    def dedupe(self) -> float:
        return self.first.filled / self.first.requests if self.first.requests else float("inf")


def _empty_catalogs(root: Path, locales: list[str]) -> tuple[int, int]:
    """Clear every msgstr of ``locales``; returns (entries, distinct (locale, msgid))."""
    settings = load_settings(root)
    texts: Counter[tuple[str, str]] = Counter()
    for locale in locales:
        for domain in list_domains(settings):
            path = po_path(settings, locale, domain)
            po = read_catalog(path)
            for entry in po:
                if entry.obsolete or not entry.msgid:
                    continue
                entry.msgstr = ""
                entry.msgstr_plural = {i: "" for i in entry.msgstr_plural} if entry.msgid_plural else {}
                texts[(locale, entry.msgid)] += 1
                if entry.msgid_plural:
                    texts[(locale, entry.msgid_plural)] += 1
            write_catalog(po, path)
    return sum(texts.values()), len(texts)


def _run(root: Path, locales: list[str], server: LibreTestServer) -> PrefillRun:
    settings = load_settings(
        root, mt_requests_per_second=2000.0, mt_concurrency=8, mt_timeout=30.0, mt_retries=2
    )
    before = server.state.count
    start = time.perf_counter()
    report = prefill_catalogs(settings, locales, "libre", base_url=server.url)
    seconds = time.perf_counter() - start
    if report.halted:
        raise RuntimeError(f"pre-fill halted: {report.halted}")
    return PrefillRun(seconds, server.state.count - before, report.filled, report.failed)


def measure(corpus_root: Path, work: Path, locales: list[str]) -> PrefillResult:
    """Empty ``locales`` in a copy of the corpus, pre-fill twice (memory kept), count requests."""
    root = work / "prefill"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(corpus_root, root, ignore=shutil.ignore_patterns("build", "dist", "var"))
    strings, distinct = _empty_catalogs(root, locales)
    pristine = work / "prefill-locales"
    shutil.rmtree(pristine, ignore_errors=True)
    shutil.copytree(root / "locales", pristine)
    with LibreTestServer() as server:
        first = _run(root, locales, server)
        # Fresh, empty catalogs again: only the translation memory may fill them now.
        shutil.rmtree(root / "locales")
        shutil.copytree(pristine, root / "locales")
        second = _run(root, locales, server)
    return PrefillResult(strings, distinct, first, second)
