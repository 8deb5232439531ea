"""Remote faults against real servers on 127.0.0.1: runs finish, retry within bounds, report.

Adds what the stage tests do not have yet:

* translation backend (LibreTranslate protocol, deep-translator's real client): a server that
  drops connections without answering, and a chaotic one where every request may be slow,
  hang, answer 429 or 500, drop the connection or succeed;
* SMTP: a server that refuses at the greeting (554/421), one that goes silent after the
  greeting (timeouts), and one that hangs up in the middle of DATA — then the same send
  resumed against a good server delivers each subscriber exactly one copy.
"""

from __future__ import annotations

import dataclasses
import random
import socket
import socketserver
import struct
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hardening_support import ARTICLE_SLUG, DEMO, ISSUE, REPO, make_project, python_env, translate_all
from pubflow.config import Settings, load_settings
from pubflow.deliver.deliveries import DeliveryLog
from pubflow.deliver.subscribers import SubscriberStore
from pubflow.deliver.tokens import load_list_secret
from pubflow.i18n.machine.prefill import prefill_catalogs
from pubflow.i18n.pofile import po_path, read_catalog
from pubflow.i18n.states import State, entry_state
from pubflow.i18n.sync import sync_catalogs
from pubflow.newsletter import render_newsletter

sys.path.insert(0, str(REPO / "tests" / "i18n" / "machine"))
sys.path.insert(0, str(REPO / "tests" / "deliver"))
import libre_server  # noqa: E402
from deliver_fixtures import LoopbackController, RecordingHandler  # noqa: E402

# --- translation backend ------------------------------------------------------------------------


class _FaultyHandler(libre_server._Handler):  # noqa: SLF001 — reuse the stage's fake server
    """The stage's LibreTranslate fake plus one behaviour: ``drop`` (hang up, no answer)."""

    def _answer(self, state: libre_server.LibreState, params: dict[str, str]) -> None:
        with state.lock:
            upcoming = state.script[0] if state.script else state.default
            if upcoming == "drop" and state.script:
                state.script.pop(0)
            elif upcoming == "chaos":
                upcoming = state.chaos.choice(state.chaos_menu)  # type: ignore[attr-defined]
                if upcoming != "drop":
                    state.script.insert(0, upcoming)
        if upcoming == "drop":
            # Abort the connection (RST): the client sees it reset, with no status line.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        super()._answer(state, params)


class _FaultyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: libre_server.LibreState) -> None:
        super().__init__(("127.0.0.1", 0), _FaultyHandler)
        self.state = state


@contextmanager
def faulty_backend(default: str = "ok", seed: int = 0) -> Iterator[tuple[str, libre_server.LibreState]]:
    state = libre_server.LibreState(default=default, slow_seconds=0.3)
    state.chaos = random.Random(seed)  # type: ignore[attr-defined]
    state.chaos_menu = ["ok", "ok", "ok", "slow", "429", "500", "drop", "hang"]  # type: ignore[attr-defined]
    server = _FaultyServer(state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def mt_project(root: Path, paragraphs: int = 24, **settings: Any) -> Settings:
    intro = tuple(f"Paragraph {n}: a calm walk before breakfast on day {n}." for n in range(paragraphs))
    make_project(root, locales=("de",), articles=(dataclasses.replace(DEMO, intro=intro),), issue=False)
    defaults = {"mt_timeout": 1.0, "mt_retries": 2, "mt_backoff": 0.01, "mt_concurrency": 4,
                "mt_requests_per_second": 1000.0, "translation_memory": root / "var" / "tm.sqlite3"}  # fmt: skip
    sync_catalogs(load_settings(root), compile=False)
    return load_settings(root, **{**defaults, **settings})


def _article_catalog(settings: Settings) -> Path:
    return po_path(settings, "de", ARTICLE_SLUG)


def test_dropped_connections_are_retried_then_filled(tmp_path: Path) -> None:
    settings = mt_project(tmp_path / "p", paragraphs=4)
    with faulty_backend() as (url, state):
        state.script = ["drop", "drop"]
        report = prefill_catalogs(settings, ["de"], "libre", base_url=url, domains=[ARTICLE_SLUG])
    assert report.ok and report.halted is None and report.retries == 2
    assert report.filled == len([e for e in read_catalog(_article_catalog(settings)) if not e.obsolete])


def test_a_backend_that_always_hangs_up_halts_the_run_and_writes_nothing(tmp_path: Path) -> None:
    settings = mt_project(tmp_path / "p", paragraphs=4, mt_retries=1)
    path = _article_catalog(settings)
    before = path.read_bytes()
    with faulty_backend(default="drop") as (url, state):
        state.script = ["drop"] * 1000
        report = prefill_catalogs(settings, ["de"], "libre", base_url=url, domains=[ARTICLE_SLUG])
        requests = state.count
    assert report.filled == 0 and not report.ok
    assert report.halted is not None and "cannot reach the backend" in report.halted
    assert path.read_bytes() == before
    # Bounded: the run gave up after a few texts × (1 + retries), not every text.
    assert requests <= 2 * settings.mt_concurrency * (settings.mt_retries + 1)


def run_chaos(root: Path, seed: int, paragraphs: int) -> dict[str, int]:
    settings = mt_project(root, paragraphs=paragraphs, mt_timeout=0.5)
    path = _article_catalog(settings)
    texts = {e.msgid for e in read_catalog(path) if not e.obsolete}
    with faulty_backend(default="chaos", seed=seed) as (url, state):
        report = prefill_catalogs(settings, ["de"], "libre", base_url=url, domains=[ARTICLE_SLUG])
        requests = state.count
    # Bounded: never more than (1 + retries) attempts per distinct text.
    assert requests <= len(texts) * (settings.mt_retries + 1)
    assert report.retries <= requests
    catalog = read_catalog(path)
    filled = [e for e in catalog if not e.obsolete and e.msgstr]
    for entry in filled:  # what was accepted is the backend's real answer, marked as machine
        assert entry.msgstr == libre_server.fake_translation(entry.msgid, "de"), entry.msgid
        assert entry_state(entry, locale="de") is State.MACHINE
    # Every text is either filled or reported with its reason (or the run halted and said why).
    assert report.filled == len(filled)
    assert report.filled + report.failed == len(texts)
    assert all(failure.reason for failure in report.locales["de"].failures)
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True)
    assert result.returncode == 0, result.stderr
    return {"requests": requests, "filled": report.filled, "failed": report.failed, "retries": report.retries}


def test_a_chaotic_backend_run_finishes_bounded_and_reports(tmp_path: Path) -> None:
    numbers = run_chaos(tmp_path / "chaos", seed=4, paragraphs=16)
    print(f"\nchaotic backend: {numbers}")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_chaotic_backend_soak(tmp_path: Path) -> None:
    total: Counter[str] = Counter()
    for seed in range(8):
        total.update(run_chaos(tmp_path / f"chaos-{seed}", seed=seed, paragraphs=40))
    print(f"\nchaotic backend (soak, 8 runs): {dict(total)}")


# --- SMTP -------------------------------------------------------------------------------------------


class _ScriptedSmtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to fail on purpose: refuse, fall silent, or hang up mid-DATA."""

    server: _ScriptedSmtpServer

    def handle(self) -> None:
        mode = self.server.mode
        self.server.connections += 1
        if mode in ("greeting-554", "greeting-421"):
            code = mode[-3:]
            self.wfile.write(f"{code} 4.3.2 scripted: no service\r\n".encode())
            return
        self.wfile.write(b"220 scripted ESMTP\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-scripted\r\n250 8BITMIME\r\n")
            elif verb == b"MAIL" and mode == "silent":
                self.server.release.wait(10)  # the client's timeout fires first
                return
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP", b"HELO"):
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                self.rfile.read(600)  # part of the message, then the line goes dead
                self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.server.dropped += 1
                return
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 no\r\n")


class _ScriptedSmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _ScriptedSmtp)
        self.mode = mode
        self.connections = 0
        self.dropped = 0
        self.release = threading.Event()


@contextmanager
def scripted_smtp(mode: str) -> Iterator[_ScriptedSmtpServer]:
    server = _ScriptedSmtpServer(mode)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


PEOPLE = [(f"reader{n}@example.org", "de" if n % 2 else "en") for n in range(6)]


@pytest.fixture(scope="module")
def built_issue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("smtp-faults")
    settings = make_project(root, locales=("de",))
    sync_catalogs(settings)
    translate_all(settings, "de")
    sync_catalogs(settings)
    render_newsletter(settings, ISSUE)
    load_list_secret(settings)
    return root


def _send(root: Path, port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    env = python_env(
        root, PUBFLOW_SMTP_HOST="127.0.0.1", PUBFLOW_SMTP_PORT=str(port), PUBFLOW_SMTP_SECURITY="none",
        PUBFLOW_SEND_RATE="1000", PUBFLOW_SMTP_BACKOFF="0.01", PUBFLOW_SMTP_RETRIES="1",
        PUBFLOW_SMTP_TIMEOUT="0.5",
    )  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "pubflow", "send", ISSUE, "--confirm", *extra],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("mode", ["greeting-554", "greeting-421", "silent", "drop-mid-data"])
def test_a_failing_smtp_server_stops_the_send_cleanly_and_a_resume_delivers_once(
    built_issue: Path, tmp_path: Path, mode: str
) -> None:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(built_issue, root)
    settings = load_settings(root)
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        for address, locale in PEOPLE:
            store.add(address, locale)

    with scripted_smtp(mode) as bad:
        failed = _send(root, bad.server_address[1])
    assert failed.returncode in (1, 2), failed.stdout + failed.stderr
    assert "Traceback" not in failed.stderr
    print(f"\n{mode}: {failed.stderr.strip().splitlines()[-1]}")
    assert "run the same command again to resume" in failed.stderr, failed.stderr
    assert bad.connections >= 1
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        ids = {s.email: s.id for s in store.iter()}
        rows = DeliveryLog(store.conn).for_issue(ISSUE)
        assert all(row.state != "sent" for row in rows.values())
        # Bounded retries: no recipient was tried more than 1 + PUBFLOW_SMTP_RETRIES times.
        assert all(row.attempts <= 2 for row in rows.values())
        unconfirmed = [email for email, sid in ids.items() if sid in rows and rows[sid].unconfirmed]

    handler = RecordingHandler()
    good = LoopbackController(handler)
    good.start()
    try:
        resumed = _send(root, good.port)
        assert resumed.returncode in (0, 1), resumed.stdout + resumed.stderr
        if unconfirmed:
            # The bad server's log shows it never accepted them: the operator resends.
            assert f"{len(unconfirmed)} unconfirmed" in resumed.stdout
            final = _send(root, good.port, "--resend-unconfirmed")
            assert final.returncode == 0, final.stdout + final.stderr
    finally:
        good.stop()
    copies = Counter(rcpt for item in handler.received for rcpt in item.rcpt_tos)
    assert copies == Counter(address for address, _ in PEOPLE)
