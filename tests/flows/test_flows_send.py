"""The send flow: a dry run by default, a real send only with confirm, and never twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from pubflow.config import load_settings
from pubflow.deliver.subscribers import SubscriberStore
from pubflow.newsletter.build import render_newsletter


class Inbox:
    """An aiosmtpd handler that records the recipients of every accepted message."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


class LoopbackController(Controller):
    """aiosmtpd on 127.0.0.1 on a port the OS picks (no race for a "free" port)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def inbox(flow_project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    handler = Inbox()
    controller = LoopbackController(handler, hostname="127.0.0.1", port=0)
    controller.start()
    port = controller.port
    for key, value in {
        "PUBFLOW_SMTP_PORT": str(port),
        "PUBFLOW_SEND_RATE": "500",
        "PUBFLOW_UNSUBSCRIBE_SECRET": "flow-test-secret-0123456789",
    }.items():
        monkeypatch.setenv(key, value)
    try:
        yield handler
    finally:
        controller.stop()


def test_send_flow_dry_run_then_confirm_then_nothing_new(flow_project: Path, inbox: Inbox) -> None:
    from flows.deliver import send_newsletter_flow

    settings = load_settings(flow_project)
    report = render_newsletter(settings, "2026-12")
    assert report.ok
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        store.add("ana@example.org", "en")
        store.add("ben@example.org", "de")  # de falls back to en if not published

    dry = send_newsletter_flow(issue="2026-12", return_state=True)
    assert dry.is_completed(), dry.message
    assert dry.result()["dry_run"] is True
    assert sum(dry.result()["would_send"].values()) == 2
    assert inbox.recipients == []

    sent = send_newsletter_flow(issue="2026-12", confirm=True, return_state=True)
    assert sent.is_completed(), sent.message
    assert sent.result()["sent"] == 2
    assert sorted(inbox.recipients) == ["ana@example.org", "ben@example.org"]

    again = send_newsletter_flow(issue="2026-12", confirm=True, return_state=True)
    assert again.is_completed(), again.message
    assert again.result()["sent"] == 0
    assert len(inbox.recipients) == 2  # exactly once


def test_send_flow_for_an_unbuilt_issue_says_what_to_do(flow_project: Path, inbox: Inbox) -> None:
    from flows.deliver import send_newsletter_flow

    state = send_newsletter_flow(issue="2099-01", confirm=True, return_state=True)
    assert state.is_failed()
    assert "Send newsletter failed" in state.message
    assert inbox.recipients == []
