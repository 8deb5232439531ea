"""Option values the command line refuses before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pubflow.cli import app


@pytest.mark.parametrize("option", ["--prefect-port", "--preview-port", "--unsubscribe-port"])
@pytest.mark.parametrize("value", ["-5", "0", "70000"])
def test_serve_refuses_ports_out_of_range(
    project: Path, monkeypatch: pytest.MonkeyPatch, option: str, value: str
) -> None:
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["serve", option, value])
    assert result.exit_code == 2
    assert "Invalid value" in result.output and option in result.output


def test_version_prints_the_installed_version_and_needs_no_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib.metadata import version

    monkeypatch.chdir(tmp_path)  # not a project: --version still answers
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"pubflow {version('pubflow')}\n"


def test_a_file_in_the_way_of_an_output_folder_is_one_line_not_a_traceback(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    (project / "build").mkdir(exist_ok=True)
    (project / "build" / "locales").write_text("not a folder")  # where compiled catalogs go
    result = CliRunner().invoke(app, ["build", "site"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{project / 'build' / 'locales'}" in result.stderr
    assert "check the folders on this path" in result.stderr
