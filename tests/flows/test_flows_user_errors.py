"""A flow started from the command line stops on a user's error with one line, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from flows_support import REPO


def _run(code: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PUBFLOW_")}
    return subprocess.run(
        [sys.executable, *code], capture_output=True, text=True, cwd=REPO, env={**clean, **env}, timeout=120
    )


def test_a_bad_setting_stops_make_publish_with_one_line() -> None:
    done = _run(["-m", "flows.publish"], PUBFLOW_WORKERS="many")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "pubflow: error:" in done.stderr and "PUBFLOW_WORKERS" in done.stderr


def test_a_flow_failure_is_one_line_and_other_errors_keep_their_traceback() -> None:
    failure = _run(["-c", "import flows.common as c; raise c.FlowFailure('fix the named file and run again')"])
    assert failure.returncode == 1
    assert failure.stderr.strip() == "pubflow: error: fix the named file and run again"
    bug = _run(["-c", "import flows.common; raise KeyError('bug')"])
    assert "Traceback" in bug.stderr and "KeyError" in bug.stderr


def test_a_broken_pyproject_stops_make_publish_with_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Prefect itself reads the current folder's pyproject.toml as it is imported.
    (tmp_path / "pyproject.toml").write_text('[tool.pubflow]\nsource_locale = "en"\nlocales = ["de"\n')
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PUBFLOW_")}
    done = subprocess.run(
        [sys.executable, "-m", "flows.publish"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**clean, "PYTHONPATH": os.pathsep.join([str(REPO), clean.get("PYTHONPATH", "")])},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{tmp_path / 'pyproject.toml'}:" in done.stderr and "fix the TOML syntax" in done.stderr
