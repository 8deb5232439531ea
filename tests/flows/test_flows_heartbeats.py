"""A flow run ends when its work ends: its heartbeat thread is not waited for (flows.common)."""

from __future__ import annotations

import logging
import threading

from prefect import flow_engine

from flows import common


class _Engine:
    """What Prefect's heartbeat context reads from a flow run engine."""

    heartbeat_seconds = 30
    flow_run = None
    logger = logging.getLogger("test-heartbeats")

    def __init__(self) -> None:
        self.sent = threading.Event()
        self.count = 0

    def _build_heartbeat_event_template(self) -> tuple[None, None]:
        return None, None

    def _emit_flow_run_heartbeat(self, resource: object, related: object) -> None:
        self.count += 1
        self.sent.set()


def test_flow_processes_install_the_change_once() -> None:
    # False would mean Prefect's heartbeat function changed shape: revisit end_heartbeats_without_waiting.
    assert common.end_heartbeats_without_waiting() is True
    assert common.end_heartbeats_without_waiting() is True
    wrapped = flow_engine._send_heartbeats
    assert getattr(wrapped, "ends_without_waiting", False)
    assert common.end_heartbeats_without_waiting() is True and flow_engine._send_heartbeats is wrapped


def test_a_run_end_does_not_wait_for_the_heartbeat_thread_which_still_stops() -> None:
    engine = _Engine()
    before = set(threading.enumerate())
    with flow_engine._send_heartbeats(engine):
        assert engine.sent.wait(10), "the first heartbeat goes out as the run starts"
        (thread,) = [t for t in threading.enumerate() if t not in before and t.daemon]
    # Prefect's sync engine would have joined the thread here, in the middle of its one-second
    # sleep; now the run goes on at once and the thread ends by itself.
    assert thread.is_alive()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert engine.count == 1, "no heartbeat is sent once the run has ended"
