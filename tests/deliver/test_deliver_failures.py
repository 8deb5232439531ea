"""Sending when things go wrong: deferrals, hang-ups, refusals, crashes; nothing twice or lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from deliver_fixtures import ISSUE, RecordingHandler, add_subscribers, built_issue, hang_up
from filelock import FileLock
from typer.testing import CliRunner

from pubflow.cli import app
from pubflow.config import Settings
from pubflow.deliver.deliveries import DeliveryLog
from pubflow.deliver.send import Pacer
from pubflow.deliver.smtp import SmtpTransport, classify_reply
from pubflow.deliver.subscribers import SubscriberStore

runner = CliRunner()

NAMES = ["ana", "ben", "cleo", "dora", "emil", "fred", "gina", "hugo"]
LOCALES = ["de", "es", "en"]
LIST = [(f"{name}@example.org", LOCALES[i % 3]) for i, name in enumerate(NAMES)]
ADDRESSES = sorted(address for address, _ in LIST)


def copies(handler: RecordingHandler) -> Counter[str]:
    return Counter(rcpt for item in handler.received for rcpt in item.rcpt_tos)


def deliveries(settings: Settings) -> dict[str, Any]:
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        emails = {s.id: s.email for s in store.iter()}
        return {emails[k]: v for k, v in DeliveryLog(store.conn).for_issue(ISSUE).items()}


@pytest.fixture
def ready(settings: Settings, smtp_server: tuple) -> RecordingHandler:
    built_issue(settings)
    add_subscribers(settings, LIST)
    return smtp_server[1]


def test_deferrals_and_hang_ups_mid_batch_are_retried_within_the_run(
    settings: Settings, ready: RecordingHandler
) -> None:
    handler = ready
    rcpt_calls = 0
    data_calls = 0

    def flaky_rcpt(server: Any, address: str) -> str | None:
        nonlocal rcpt_calls
        rcpt_calls += 1
        # The third recipient meets a busy server three times in a row, three different ways.
        if rcpt_calls == 3:
            return "421 4.7.0 Too busy, closing transmission channel"
        if rcpt_calls == 4:
            return hang_up(server)
        if rcpt_calls == 5:
            return "451 4.3.0 Temporary failure, try again later"
        return None

    def flaky_data(server: Any, address: str) -> str | None:
        nonlocal data_calls
        data_calls += 1
        # The fifth message is refused for now *after* its content arrived.
        return "452 4.3.1 Insufficient system storage" if data_calls == 5 else None

    handler.rcpt_hook = flaky_rcpt
    handler.data_hook = flaky_data
    result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert result.exit_code == 0, result.output
    assert f"{len(LIST)} sent, 0 skipped (already sent), 0 failed" in result.stdout
    assert copies(handler) == Counter(ADDRESSES)
    rows = deliveries(settings)
    assert rows["cleo@example.org"].attempts == 4
    assert rows["emil@example.org"].attempts == 2
    assert {row.state for row in rows.values()} == {"sent"}


def test_a_server_that_keeps_deferring_stops_the_run_and_a_rerun_finishes(
    settings: Settings, ready: RecordingHandler
) -> None:
    handler = ready
    down = threading.Event()

    def rcpt(server: Any, address: str) -> str | None:
        if len(handler.received) >= 2:
            down.set()
        return "451 4.3.2 System not accepting network messages" if down.is_set() else None

    handler.rcpt_hook = rcpt
    result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert result.exit_code == 1
    assert "2 sent, 0 skipped (already sent), 3 failed" in result.stdout
    assert "451 4.3.2 System not accepting network messages" in result.stdout
    assert "deferred 3 recipients in a row" in result.stderr
    assert "run the same command again to resume" in result.stderr
    assert len(handler.received) == 2

    handler.rcpt_hook = None
    again = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert again.exit_code == 0, again.output
    assert f"{len(LIST) - 2} sent, 2 skipped (already sent), 0 failed" in again.stdout
    assert copies(handler) == Counter(ADDRESSES)


def _closed_port() -> int:
    """A local port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_server_stops_the_run_resumably(
    settings: Settings, ready: RecordingHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed_port = _closed_port()
    real_port = os.environ["PUBFLOW_SMTP_PORT"]
    monkeypatch.setenv("PUBFLOW_SMTP_PORT", str(closed_port))
    result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert result.exit_code == 1
    assert f"cannot reach 127.0.0.1:{closed_port}" in result.stderr
    assert "0 sent" in result.stdout
    monkeypatch.setenv("PUBFLOW_SMTP_PORT", real_port)
    again = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert again.exit_code == 0, again.output
    assert copies(ready) == Counter(ADDRESSES)


def test_permanent_refusals_fail_that_recipient_and_the_batch_goes_on(
    settings: Settings, ready: RecordingHandler
) -> None:
    handler = ready
    replies = {
        "cleo@example.org": "550 5.1.1 <cleo@example.org>: Recipient address rejected: "
        "User unknown",
        "dora@example.org": "554 5.7.1 Rejected by local policy",
    }
    handler.rcpt_hook = lambda server, address: replies.get(address)
    result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert result.exit_code == 1
    assert f"{len(LIST) - 2} sent, 0 skipped (already sent), 2 failed" in result.stdout
    assert "cleo@example.org (en): 550 5.1.1" in result.stdout
    assert "(address marked bounced)" in result.stdout
    assert "dora@example.org (de): 554 5.7.1 Rejected by local policy" in result.stdout
    assert sorted(copies(handler)) == [a for a in ADDRESSES if a not in replies]
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        cleo = store.find("cleo@example.org")
        dora = store.find("dora@example.org")
        assert cleo is not None and dora is not None
        assert cleo.status == "bounced" and "5.1.1" in (cleo.status_reason or "")
        assert dora.status == "active"

    # A re-run neither retries the refused nor resends anything.
    handler.rcpt_hook = None
    again = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert again.exit_code == 0, again.output
    assert "0 sent, 6 skipped (already sent), 0 failed" in again.stdout
    assert "1 refused earlier, skipped (--retry-failed to try again)" in again.stdout
    assert len(handler.received) == len(LIST) - 2
    dry = runner.invoke(app, ["send", ISSUE])
    assert "1 were refused earlier and are skipped (--retry-failed to try again)" in dry.stdout
    retry = runner.invoke(app, ["send", ISSUE, "--confirm", "--retry-failed"])
    assert retry.exit_code == 0, retry.output
    assert copies(handler) == Counter(a for a in ADDRESSES if a != "cleo@example.org")


def test_a_refused_sender_stops_everything_before_any_message(
    settings: Settings, ready: RecordingHandler
) -> None:
    ready.mail_hook = lambda server, sender: "553 5.7.1 Sender address not allowed"
    result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert result.exit_code == 1
    assert "the server refused the sender: 553 5.7.1" in result.stderr
    ready.mail_hook = None
    assert runner.invoke(app, ["send", ISSUE, "--confirm"]).exit_code == 0
    assert copies(ready) == Counter(ADDRESSES)


def test_someone_who_unsubscribes_during_the_batch_is_skipped(
    settings: Settings, ready: RecordingHandler
) -> None:
    def unsubscribe_hugo(server: Any, address: str) -> None:
        if address == "ana@example.org":
            with SubscriberStore.open(settings.subscribers_db_path) as store:
                hugo = store.find("hugo@example.org")
                assert hugo is not None
                store.set_status(hugo.id, "unsubscribed", "clicked while the batch ran")
        return None

    ready.data_hook = unsubscribe_hugo
    result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert result.exit_code == 0, result.output
    assert "1 unsubscribed during the send (skipped)" in result.stdout
    assert "hugo@example.org" not in copies(ready)


def test_only_one_send_at_a_time(settings: Settings, ready: RecordingHandler) -> None:
    lock = FileLock(f"{settings.subscribers_db_path}.send.lock")
    with lock:
        result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert result.exit_code == 2
    assert "another `pubflow send` is running" in result.stderr
    assert ready.received == []


def _send_process(project: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pubflow", "send", ISSUE, "--confirm"],
        cwd=project,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_killed_send_resumes_without_duplicates_or_misses(
    project: Path, settings: Settings, ready: RecordingHandler, deliver_env: dict[str, str]
) -> None:
    handler = ready
    victim: dict[str, int] = {}
    rcpt_calls = 0

    def kill_at_fourth(server: Any, address: str) -> str | None:
        nonlocal rcpt_calls
        rcpt_calls += 1
        if rcpt_calls == 4:
            # SIGKILL: no cleanup, no last commit; the row of this recipient is left pending.
            os.kill(victim["pid"], signal.SIGKILL)
            return "451 4.3.0 (never read)"
        return None

    handler.rcpt_hook = kill_at_fourth
    process = _send_process(project, deliver_env)
    victim["pid"] = process.pid
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL
    assert len(handler.received) == 3
    pending = [a for a, row in deliveries(settings).items() if row.state == "pending"]
    assert pending == ["dora@example.org"]

    handler.rcpt_hook = None
    resumed = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert resumed.exit_code == 0, resumed.output
    assert f"{len(LIST) - 3} sent, 3 skipped (already sent), 0 failed" in resumed.stdout
    assert copies(handler) == Counter(ADDRESSES)


@pytest.mark.parametrize("server_accepted", [True, False])
def test_a_send_killed_while_the_server_takes_the_message_never_sends_it_twice(
    project: Path,
    settings: Settings,
    ready: RecordingHandler,
    deliver_env: dict[str, str],
    server_accepted: bool,
) -> None:
    handler = ready
    victim: dict[str, int] = {}
    data_calls = 0

    def kill_during_data(server: Any, address: str) -> str | None:
        nonlocal data_calls
        data_calls += 1
        if data_calls == 3:
            os.kill(victim["pid"], signal.SIGKILL)
            # Accepted or not, the sender never hears the answer.
            return None if server_accepted else "451 4.3.0 (never read)"
        return None

    handler.data_hook = kill_during_data
    process = _send_process(project, deliver_env)
    victim["pid"] = process.pid
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL
    handler.data_hook = None

    resumed = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert resumed.exit_code == 1  # it finished, but one delivery is unconfirmed
    assert "1 unconfirmed" in resumed.stdout and "cleo@example.org" in resumed.stdout
    # Never twice: a message the server took before the crash is not sent again, and one it
    # did not take waits for the operator's decision.
    expected = [a for a in ADDRESSES if server_accepted or a != "cleo@example.org"]
    assert copies(handler) == Counter(expected)

    if not server_accepted:
        # The operator checked the server's log: it never arrived, so resend it.
        final = runner.invoke(app, ["send", ISSUE, "--confirm", "--resend-unconfirmed"])
        assert final.exit_code == 0, final.output
        assert "1 sent" in final.stdout
        assert copies(handler) == Counter(ADDRESSES)
        message_ids = {str(item.message["Message-ID"]) for item in handler.received}
        assert len(message_ids) == len(LIST)


def test_pacer_spaces_sends_by_the_rate() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    pacer = Pacer(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        pacer.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]
    now[0] += 10  # a long pause earns no burst beyond the next slot
    pacer.wait()
    pacer.wait()
    assert slept[-1] == 0.25 and len(slept) == 5


def test_an_interrupted_hand_over_leaves_no_message_on_the_server(
    settings: Settings, smtp_server: tuple
) -> None:
    _, handler = smtp_server
    transport = SmtpTransport(settings)

    def log_fails() -> None:
        raise RuntimeError("disk full while recording the hand-over")

    data = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhello\r\n"
    with pytest.raises(RuntimeError, match="disk full"):
        transport.send("a@example.org", "b@example.org", data, log_fails)
    # The server saw the content but never its final ".", so it kept nothing; the next send
    # opens a fresh connection.
    assert handler.received == []
    transport.send("a@example.org", "b@example.org", data)
    transport.close()
    assert [item.rcpt_tos for item in handler.received] == [["b@example.org"]]


@pytest.mark.parametrize(
    ("code", "reply", "stage", "kind", "bounce"),
    [
        (421, "4.7.0 closing", "rcpt", "connection", False),
        (450, "4.2.1 mailbox busy", "rcpt", "transient", False),
        (452, "4.3.1 out of storage", "data", "transient", False),
        (550, "5.1.1 <x@example.org>: user unknown", "rcpt", "permanent", True),
        (550, "No such user here", "rcpt", "permanent", True),
        (550, "5.7.1 message rejected as spam", "rcpt", "permanent", False),
        (553, "5.1.3 bad destination mailbox address syntax", "rcpt", "permanent", True),
        (554, "5.7.1 rejected by policy", "data", "permanent", False),
        (552, "5.3.4 message too big", "data", "permanent", False),
        (553, "5.7.1 sender not allowed", "mail", "fatal", False),
    ],
)
def test_replies_are_classified(code: int, reply: str, stage: str, kind: str, bounce: bool) -> None:
    failure = classify_reply(code, reply.encode(), stage)
    assert (failure.kind, failure.bounce) == (kind, bounce)
    assert str(code) in str(failure)


def test_a_test_copy_to_an_unreachable_server_says_it_is_retrying(
    settings: Settings, ready: RecordingHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed_port = _closed_port()
    monkeypatch.setenv("PUBFLOW_SMTP_PORT", str(closed_port))
    monkeypatch.setenv("PUBFLOW_SMTP_RETRIES", "2")
    monkeypatch.setenv("PUBFLOW_SMTP_BACKOFF", "0")
    result = runner.invoke(app, ["send", ISSUE, "--to", "editor@example.org"])
    assert result.exit_code == 2
    retries = [line for line in result.stderr.splitlines() if "retry" in line and "of 2 (smtp_retries)" in line]
    assert len(retries) == 2, result.stderr  # each one said as it happened, not a silent minute
    assert f"cannot reach 127.0.0.1:{closed_port}" in result.stderr
