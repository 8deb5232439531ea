"""Fixtures for delivery tests: a real SMTP server on loopback and settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from deliver_fixtures import LoopbackController, RecordingHandler

from pubflow.config import Settings, load_settings


@pytest.fixture
def smtp_server() -> Iterator[tuple[LoopbackController, RecordingHandler]]:
    handler = RecordingHandler()
    controller = LoopbackController(handler)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture
def deliver_env(
    project: Path,
    smtp_server: tuple[LoopbackController, RecordingHandler],
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """PUBFLOW_* variables for a fast, local send (also used by subprocesses)."""
    controller, _ = smtp_server
    env = {
        "PUBFLOW_ROOT": str(project),
        "PUBFLOW_SMTP_HOST": "127.0.0.1",
        "PUBFLOW_SMTP_PORT": str(controller.port),
        "PUBFLOW_SMTP_SECURITY": "none",
        "PUBFLOW_SEND_RATE": "500",
        "PUBFLOW_SMTP_BACKOFF": "0.01",
        "PUBFLOW_SMTP_RETRIES": "4",
        "PUBFLOW_SMTP_TIMEOUT": "10",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(project)
    return env


@pytest.fixture
def settings(project: Path, deliver_env: dict[str, str]) -> Settings:
    return load_settings(project)
