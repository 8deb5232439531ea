"""Flow parameters reach the server as Prefect would send them, without importing FastAPI."""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flows_support import REPO
from prefect import Flow

from flows.common import PlainParametersFlow, flow

FLOW_MODULES = ("catalogs", "deliver", "ingest", "newsletter", "publish", "serve", "site")


class _Colour(enum.Enum):
    RED = "red"


@flow(name="parameters-probe")
def _probe(values: dict[str, Any]) -> dict[str, Any]:
    return values


def test_every_flow_is_made_by_our_decorator() -> None:
    found = 0
    for name in FLOW_MODULES:
        module = importlib.import_module(f"flows.{name}")
        for value in vars(module).values():
            if isinstance(value, Flow):
                assert isinstance(value, PlainParametersFlow), f"flows.{name}: {value.name}"
                found += 1
    assert found >= 8


@pytest.mark.parametrize(
    "parameters",
    [
        {"articles": [], "locales": ["de", "pt_BR"], "prefill": "none", "policy": "default", "newsletters": True},
        {"count": 3, "ratio": 0.5, "missing": None, "nested": {"a": [1, {"b": "c"}], "d": []}},
        {},
    ],
)
def test_plain_parameters_are_sent_as_prefect_would_send_them(parameters: dict[str, Any]) -> None:
    from flows.publish import publish

    assert publish.serialize_parameters(parameters) == Flow.serialize_parameters(publish, parameters)


@pytest.mark.parametrize(
    "value",
    [("de", "fr"), dt.date(2026, 12, 3), Path("content/sources"), _Colour.RED, {1: "not a str key"}, ["ok", ("x",)]],
)
def test_other_values_go_through_prefects_encoder(value: object) -> None:
    parameters = {"plain": ["de"], "other": value}
    ours = _probe.serialize_parameters(parameters)
    assert ours == Flow.serialize_parameters(_probe, parameters)
    assert ours["other"] != value or isinstance(value, dict)  # converted (tuple → list, date → str, …)


def test_a_flow_run_with_parameters_loads_no_fastapi() -> None:
    code = (
        "import sys\n"
        "from flows.publish import publish\n"
        "sent = publish.serialize_parameters({'locales': ['de'], 'prefill': 'none', 'newsletters': False})\n"
        "assert sent == {'locales': ['de'], 'prefill': 'none', 'newsletters': False}, sent\n"
        "print('fastapi' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "False"


def test_the_server_stores_the_parameters_of_a_run(prefect_harness: None) -> None:
    from prefect.client.orchestration import get_client

    values = {"locales": ["de", "ar"], "deep": {"n": 2, "off": None}}
    state = _probe(values, return_state=True)
    assert state.is_completed()
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.parameters == {"values": values}
