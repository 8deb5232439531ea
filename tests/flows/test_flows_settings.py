"""flows.common.settings: loaded once per configuration, yet never stale and never shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows import common


def _project(root: Path, workers: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[tool.pubflow]\nworkers = {workers}\n", encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("PUBFLOW_"):
            monkeypatch.delenv(name)
    root = _project(tmp_path / "project", workers=3)
    monkeypatch.setenv("PUBFLOW_ROOT", str(root))
    return root


def test_repeated_calls_load_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[Path] = []
    real = common.load_settings

    def counting(root: Path, **overrides: object) -> common.Settings:
        loads.append(root)
        return real(root, **overrides)

    monkeypatch.setattr(common, "load_settings", counting)
    first, second = common.settings(), common.settings()
    assert first.workers == second.workers == 3
    assert len(loads) <= 1  # zero when an earlier test loaded the same configuration
    common.settings(publish_policy="machine")
    assert len(loads) <= 2 and common.settings(publish_policy="machine").publish_policy == "machine"


def test_each_caller_gets_its_own_copy(project: Path) -> None:
    mine = common.settings()
    mine.workers = 7
    assert common.settings().workers == 3


def test_an_edited_pyproject_or_environment_is_read_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert common.settings().workers == 3
    # Another size, so the stat differs even within one mtime tick.
    (project / "pyproject.toml").write_text("[tool.pubflow]\nworkers =  12\n", encoding="utf-8")
    assert common.settings().workers == 12
    monkeypatch.setenv("PUBFLOW_WORKERS", "5")
    assert common.settings().workers == 5
    other = _project(project.parent / "other", workers=2)
    monkeypatch.delenv("PUBFLOW_WORKERS")
    monkeypatch.setenv("PUBFLOW_ROOT", str(other))
    assert common.settings().workers == 2


def test_a_mistyped_variable_is_named_when_a_flow_loads_settings(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PUBFLOW_WORKER", "9")  # meant PUBFLOW_WORKERS: ignored, but named
    assert common.settings().workers == 3
    assert "PUBFLOW_WORKER is not a setting (did you mean PUBFLOW_WORKERS?)" in capsys.readouterr().err
