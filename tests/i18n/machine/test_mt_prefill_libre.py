"""Pre-fill end to end through deep-translator's real LibreTranslator against a local server."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from mt_support import DISTINCT_TEXTS, DOMAINS, EMPTY_IN_GUIDE, MtProject, write_project
from libre_server import LibreTestServer, refused_url

from pubflow.i18n.machine.prefill import prefill_catalogs
from pubflow.i18n.states import State, entry_state

DAY = date(2026, 11, 25)
UNTOUCHABLE = ("Cancel", "Old wording changed", "Suggested already")


def run(project: MtProject, server_url: str, **settings: object):
    return prefill_catalogs(
        project.settings(**settings), ["de", "fr"], "libre", base_url=server_url, today=DAY
    )


def test_happy_path_fills_empty_entries_marked_and_intact(
    mt_project: MtProject, libre: LibreTestServer
) -> None:
    before = {
        msgid: str(mt_project.entry("de", "guide", msgid)) for msgid in UNTOUCHABLE
    }
    report = run(mt_project, libre.url)

    assert report.ok and report.halted is None
    assert report.locales["de"].filled == report.locales["fr"].filled == EMPTY_IN_GUIDE + 2
    assert report.locales["de"].skipped == {"reviewed": 1, "stale (fuzzy)": 1, "machine (already filled)": 1}
    # One request per distinct text and language, counted at the server.
    assert libre.state.count == report.requests == 2 * DISTINCT_TEXTS
    # Placeholders, markup and URLs never reached the engine.
    for sent in libre.state.texts():
        assert "%(" not in sent and "<a" not in sent and "https://" not in sent and "{list}" not in sent

    hello = mt_project.entry("de", "guide", "Hello %(name)s, welcome!")
    assert hello.msgstr == "DE: HELLO %(name)s, WELCOME!"
    assert hello.fuzzy and "machine-translated: libre 2026-11-25" in hello.tcomment
    assert entry_state(hello, locale="de") is State.MACHINE
    link = mt_project.entry("fr", "guide", 'Read <a href="https://example.org/docs">the guide</a> before you start.')
    assert link.msgstr == 'FR: READ <a href="https://example.org/docs">THE GUIDE</a> BEFORE YOU START.'
    assert mt_project.entry("de", "guide", "Next step: ").msgstr == "DE: NEXT STEP: "  # edge kept
    plural = mt_project.entry("de", "guide", "%(num)d file")
    assert plural.msgstr_plural == {0: "DE: %(num)d FILE", 1: "DE: %(num)d FILES"}
    assert mt_project.entry("de", "messages", "Subscribe to {list}").msgstr == "DE: SUBSCRIBE TO {list}"

    # Reviewed, stale, machine and obsolete entries: byte for byte the same.
    for msgid, text in before.items():
        assert str(mt_project.entry("de", "guide", msgid)) == text
    catalog = mt_project.path("de", "guide").read_text(encoding="utf-8")
    assert '#~ msgstr "OBSOLETE text"' in catalog


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_filled_catalogs_pass_msgfmt_check(mt_project: MtProject, libre: LibreTestServer) -> None:
    run(mt_project, libre.url)
    for path in mt_project.snapshot():
        result = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr


def test_identical_strings_across_domains_are_sent_once(mt_project: MtProject, libre: LibreTestServer) -> None:
    run(mt_project, libre.url)
    assert libre.state.texts().count("Read more") == 2  # once for de, once for fr
    assert mt_project.entry("de", "messages", "Read more").msgstr == "DE: READ MORE"
    assert mt_project.entry("de", "guide", "Read more").msgstr == "DE: READ MORE"


def test_second_run_sends_nothing_and_memory_serves_fresh_catalogs(
    tmp_path: Path, libre: LibreTestServer
) -> None:
    project = write_project(tmp_path / "one", ("de", "fr"), DOMAINS)
    first = run(project, libre.url, translation_memory=tmp_path / "tm.sqlite3")
    assert first.requests == libre.state.count == 2 * DISTINCT_TEXTS

    again = run(project, libre.url, translation_memory=tmp_path / "tm.sqlite3")
    assert again.requests == 0 and libre.state.count == 2 * DISTINCT_TEXTS
    assert again.filled == 0 and again.ok

    # Unchanged catalogs elsewhere (e.g. a fresh clone) sharing the memory: zero requests too.
    other = write_project(tmp_path / "two", ("de", "fr"), DOMAINS)
    third = run(other, libre.url, translation_memory=tmp_path / "tm.sqlite3")
    assert libre.state.count == 2 * DISTINCT_TEXTS
    assert third.filled == first.filled and third.locales["de"].from_memory == third.locales["de"].filled
    assert other.entry("de", "guide", "Hello %(name)s, welcome!").msgstr == "DE: HELLO %(name)s, WELCOME!"


def test_429_then_success(mt_project: MtProject, libre: LibreTestServer) -> None:
    libre.state.script = ["429", "429"]
    report = run(mt_project, libre.url)
    assert report.ok and report.filled == 2 * (EMPTY_IN_GUIDE + 2)
    assert report.retries == 2
    assert libre.state.count == 2 * DISTINCT_TEXTS + 2


def test_retry_after_is_waited_out_exactly_by_every_thread(
    mt_project: MtProject, libre: LibreTestServer
) -> None:
    import time

    libre.state.script = ["429"]
    libre.state.retry_after = "1"
    start = time.monotonic()
    # Backoff would retry after at most 0.05 s; the server said 1 s.
    report = run(mt_project, libre.url, mt_backoff=0.05, mt_concurrency=4)
    elapsed = time.monotonic() - start
    assert report.ok and report.retries == 1
    assert libre.state.count == 2 * DISTINCT_TEXTS + 1
    assert elapsed >= 1.0


def test_a_long_retry_after_halts_the_run_saying_when(mt_project: MtProject, libre: LibreTestServer) -> None:
    snapshot = mt_project.snapshot()
    libre.state.default = "429"
    libre.state.retry_after = "3600"
    report = run(mt_project, libre.url, mt_concurrency=1)
    assert not report.ok and report.filled == 0
    assert report.halted == (
        "rate limited by the backend (HTTP 429); the backend asks to wait 60 min: run it again then"
    )
    assert libre.state.count == 1  # asked once, told to come back in an hour, stopped
    assert mt_project.snapshot() == snapshot


def test_persistent_500_leaves_entries_empty_and_says_why(mt_project: MtProject, libre: LibreTestServer) -> None:
    libre.state.default = "500"
    snapshot = mt_project.snapshot()
    report = run(mt_project, libre.url, mt_concurrency=1)
    assert report.filled == 0 and not report.ok
    assert report.failed == 2 * (EMPTY_IN_GUIDE + 2)
    assert report.halted is not None and "HTTP 500" in report.halted
    reasons = report.locales["de"].reasons
    assert any("server error from the backend (HTTP 500)" in reason for reason in reasons)
    assert mt_project.snapshot() == snapshot  # nothing written
    # It gave up after 3 texts × 3 attempts instead of retrying every text.
    assert libre.state.count == 9


def test_hanging_server_times_out(mt_project: MtProject, libre: LibreTestServer) -> None:
    libre.state.default = "hang"
    report = run(mt_project, libre.url, mt_timeout=0.2, mt_retries=1)
    assert report.filled == 0 and not report.ok
    assert report.halted == "no answer within 0.2s (timeout), after 2 attempts"
    assert all(f.reason.endswith("(timeout), after 2 attempts") or f.reason.startswith("not sent")
               for f in report.locales["de"].failures)


def test_connection_refused(mt_project: MtProject) -> None:
    snapshot = mt_project.snapshot()
    report = run(mt_project, refused_url(), mt_retries=1)
    assert report.filled == 0 and report.failed == 2 * (EMPTY_IN_GUIDE + 2)
    assert report.halted is not None and report.halted.startswith("cannot reach the backend")
    assert mt_project.snapshot() == snapshot


def test_malformed_json(mt_project: MtProject, libre: LibreTestServer) -> None:
    libre.state.default = "malformed"
    report = run(mt_project, libre.url)
    assert report.filled == 0
    assert set(report.locales["de"].reasons) == {"malformed response from the backend (not the JSON expected)"}
    assert libre.state.count == 2 * DISTINCT_TEXTS  # not retried


def test_injected_script_is_rejected_by_the_markup_check(mt_project: MtProject, libre: LibreTestServer) -> None:
    libre.state.default = "script"
    report = run(mt_project, libre.url)
    assert report.filled == 0 and report.failed == 2 * (EMPTY_IN_GUIDE + 2)
    assert all(reason.startswith("failed check markup:") for reason in report.locales["de"].reasons)
    for path, data in mt_project.snapshot().items():
        assert b"<script>" not in data, path


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("drop-tokens", "placeholder, markup or URL damaged: lost"),
        ("echo", "the backend returned the source text unchanged"),
        ("empty", "the backend returned an empty translation"),
    ],
)
def test_bad_results_are_thrown_away(
    mt_project: MtProject, libre: LibreTestServer, behaviour: str, reason: str
) -> None:
    libre.state.default = behaviour
    report = run(mt_project, libre.url)
    failures = [f for item in report.locales.values() for f in item.failures]
    assert any(f.reason.startswith(reason) for f in failures)
    hello = mt_project.entry("de", "guide", "Hello %(name)s, welcome!")
    assert hello.msgstr == "" and not hello.fuzzy


def test_truncated_result_is_thrown_away(tmp_path: Path, libre: LibreTestServer) -> None:
    long_text = "Ketamine therapy works best with preparation, support and a clear plan for aftercare."
    project = write_project(tmp_path, ("de",), {"guide": [{"msgid": long_text}, {"msgid": "Short"}]})
    libre.state.default = "truncate"
    report = prefill_catalogs(project.settings(), ["de"], "libre", base_url=libre.url)
    assert [f.reason for f in report.locales["de"].failures] == ["looks truncated (10 letters for 71)"]
    assert project.entry("de", "guide", "Short").msgstr == "DE: SHORT"  # short strings are not judged
    assert project.entry("de", "guide", long_text).msgstr == ""


def test_long_text_is_split_under_the_limit_and_joined(tmp_path: Path, libre: LibreTestServer) -> None:
    paragraph = " ".join(f"Sentence {n} is about the long text." for n in range(200))
    assert len(paragraph) > 5000
    project = write_project(tmp_path, ("de",), {"guide": [{"msgid": paragraph}]})
    report = prefill_catalogs(project.settings(), ["de"], "libre", base_url=libre.url)
    assert report.ok and libre.state.count == 2
    assert all(len(text) <= 4999 for text in libre.state.texts())
    pieces = sorted(libre.state.texts(), key=paragraph.index)
    assert " ".join(pieces) == paragraph  # cut at a sentence end, the space kept out
    expected = " ".join(f"DE: {piece.upper()}" for piece in pieces)
    assert project.entry("de", "guide", paragraph).msgstr == expected


def test_concurrency_is_bounded_at_the_server(
    mt_project: MtProject, libre: LibreTestServer
) -> None:
    libre.state.default = "slow"
    libre.state.slow_seconds = 0.05
    report = run(mt_project, libre.url, mt_concurrency=2)
    assert report.ok
    assert libre.state.peak_in_flight <= 2
