"""Three ``publish`` flow runs at once on one real Prefect server: one works, the others wait or
are refused — no lost catalog entry, no corrupt output, a clear message to the loser.

Each run is its own process against ``prefect server start`` (``PREFECT_API_URL``), as when a
marketer starts publish twice from the UI while a scheduled one runs. The processes import
everything first, then the test releases the first and, once it holds the project run lock,
the two others together:

* the impatient one (``PUBFLOW_RUN_LOCK_WAIT=1``) ends Failed; its state message — what the UI
  shows — is one line naming the holder's flow run, pid and start time, with no traceback;
* the patient one (``PUBFLOW_RUN_LOCK_WAIT=600``) queues and ends Completed, its first step
  starting only after the holder's last step ended;
* afterwards ``dist/`` and ``build/`` hold no temp file, every page, feed, email and manifest
  parses, and every ``.po`` parses (msgfmt agrees) and holds every entry and translation it held.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import html5lib
import lxml.html
import polib
import pytest

from flows_support import copy_project
from test_flows_e2e_server import Server, stop

PUBLISHER = """
    import json, sys
    import flows.publish
    from flows.publish import publish

    if sys.argv[1] == "pause":
        # A long publish, made long on purpose: after building the site (holding the lock, with
        # dist/ half updated) it waits for the test's word before building the newsletters.
        build_newsletter = flows.publish.run_newsletter_builds

        def paused(*args, **kwargs):
            print("paused", flush=True)
            sys.stdin.readline()
            return build_newsletter(*args, **kwargs)

        flows.publish.run_newsletter_builds = paused
    print("ready", flush=True)
    sys.stdin.readline()  # go
    state = publish(locales=["en", "de"], return_state=True)
    print(json.dumps({"id": str(state.state_details.flow_run_id), "type": state.type.value}), flush=True)
"""


def _catalogs(root: Path) -> dict[str, tuple[set[tuple[str | None, str, bool]], set[str]]]:
    """Per ``.po``: its entries (context, msgid, obsolete?) and every non-empty translation."""
    found = {}
    for path in sorted((root / "locales").rglob("*.po")):
        catalog = polib.pofile(str(path), wrapwidth=0)
        entries = {(e.msgctxt, e.msgid, e.obsolete) for e in catalog}
        texts = {e.msgstr for e in catalog if e.msgstr} | {
            text for e in catalog for text in e.msgstr_plural.values() if text
        }
        found[path.relative_to(root).as_posix()] = (entries, texts)
    return found


def _publisher(
    root: Path, server: Server, name: str, wait: str, *, pause: bool = False
) -> subprocess.Popen[bytes]:
    env = {
        **server.env,
        "PUBFLOW_ROOT": str(root),
        "PYTHONPATH": str(root),
        "PUBFLOW_RUN_LOCK_WAIT": wait,
    }
    log = (server.logs / f"{name}.log").open("ab")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", textwrap.dedent(PUBLISHER), "pause" if pause else "run"],
        env=env, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == b"ready", (name, line, (server.logs / f"{name}.log").read_text()[-3000:])
    return process


def _go(process: subprocess.Popen[bytes], *, last: bool = True) -> None:
    assert process.stdin is not None
    process.stdin.write(b"\n")
    process.stdin.flush()
    if last:
        process.stdin.close()


def _outcome(process: subprocess.Popen[bytes], server: Server) -> dict[str, Any]:
    """The flow run as the server (and so the UI) has it, after the process ended."""
    assert process.stdout is not None
    out = process.stdout.read()
    process.wait(timeout=60)
    reported = json.loads(out.decode().strip().splitlines()[-1])
    return server.request("GET", f"/flow_runs/{reported['id']}").json()  # type: ignore[no-any-return]


def _task_runs(server: Server, flow_run_id: str) -> list[dict[str, Any]]:
    response = server.request(
        "POST", "/task_runs/filter", json={"flow_runs": {"id": {"any_": [flow_run_id]}}}
    )
    return list(response.json())


PUBLISH_TASKS = {"ingest sources", "sync catalogs", "build site", "build newsletter", "translation coverage"}


def _finished_task_runs(server: Server, flow_run_id: str) -> list[dict[str, Any]]:
    """The run's task runs once the server has recorded every one as finished.

    Task run states reach the server as events, which it records a moment later: a flow
    process can have exited (its events sent) before its task runs show their end times.
    """

    def recorded() -> list[dict[str, Any]] | None:
        runs = _task_runs(server, flow_run_id)
        names = {run["name"].rsplit("-", 1)[0] for run in runs}
        done = all(run.get("end_time") and (run.get("state") or {}).get("type") == "COMPLETED" for run in runs)
        return runs if names >= PUBLISH_TASKS and done else None

    return server.wait_for(recorded, f"the task runs of flow run {flow_run_id} to be recorded", 60)  # type: ignore[no-any-return]


def _check_outputs(root: Path) -> int:
    """Every output parses; no temp file anywhere in dist/ or build/. Returns files checked."""
    checked = 0
    leftovers = [p for folder in ("dist", "build") for p in (root / folder).rglob(".*.tmp")]
    assert leftovers == [], leftovers
    strict = html5lib.HTMLParser(strict=True)
    for path in sorted((root / "dist").rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".html" and "site" == path.relative_to(root / "dist").parts[0]:
            strict.parse(data.decode("utf-8"))
        elif path.suffix == ".html":  # MJML output: conditional comments, not strict HTML5
            assert lxml.html.fromstring(data).find(".//body") is not None, path
        elif path.suffix in (".xml", ".mjml"):
            ElementTree.fromstring(data) if path.suffix == ".xml" else lxml.html.fromstring(data)
        elif path.suffix == ".json":
            json.loads(data)
        elif path.suffix == ".eml":
            message = email.message_from_bytes(data, policy=email.policy.default)
            assert message["Subject"] and message.get_body(("plain",)) is not None, path
        elif path.suffix == ".txt":
            data.decode("utf-8")
        checked += 1
    return checked


@pytest.fixture
def server(prefect_harness: None, tmp_path: Path) -> Server:
    """The session's Prefect server (the harness runs the real API app under uvicorn on a port),
    for client processes of its own: one more ``prefect server start`` would cost 10–30 s."""
    from prefect.settings import PREFECT_API_URL

    api = str(PREFECT_API_URL.value())
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PUBFLOW_"))},
        "PREFECT_API_URL": api,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    return Server(api, env, logs)


def test_two_publish_runs_at_once_one_refused_clearly_one_queued(server: Server, tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    since = dt.datetime.now(dt.timezone.utc).isoformat()  # the session's server saw other runs
    before = _catalogs(root)
    holder = _publisher(root, server, "publish-first", "0", pause=True)
    impatient = _publisher(root, server, "publish-impatient", "1")
    patient = _publisher(root, server, "publish-patient", "600")
    try:
        _go(holder, last=False)
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"paused"
        recorded = json.loads((root / "build" / "run.lock.json").read_text(encoding="utf-8"))
        assert recorded["pid"] == holder.pid
        _go(impatient)
        _go(patient)
        refused = _outcome(impatient, server)

        def waiting() -> list[dict[str, Any]] | None:
            """Both the first and the patient run are Running (the patient one in the lock)."""
            runs = server.request(
                "POST", "/flow_runs/filter",
                json={
                    "flows": {"name": {"any_": ["publish"]}},
                    "flow_runs": {
                        "state": {"type": {"any_": ["RUNNING"]}},
                        "start_time": {"after_": since},
                    },
                },
            ).json()
            return runs if len(runs) == 2 else None

        server.wait_for(waiting, "the patient publish to be running, waiting for the lock", 120)
        assert patient.poll() is None
        _go(holder)  # the first publish goes on: newsletters, coverage, done
        first, queued = _outcome(holder, server), _outcome(patient, server)
    finally:
        for process in (holder, impatient, patient):
            if process.poll() is None:
                stop(process)

    assert first["state"]["type"] == "COMPLETED", first["state"]
    assert queued["state"]["type"] == "COMPLETED", queued["state"]
    assert refused["state"]["type"] == "FAILED", refused["state"]
    message = refused["state"]["message"]
    assert recorded["job"] == f"publish flow run {first['name']!r}"
    for part in (
        "Publish failed:",
        f"the project is busy: publish flow run {first['name']!r}",
        f"pid {holder.pid} on {recorded['host']}",
        f"started {recorded['started'][:10]}",
        "(waited 1 s)",
        "wait for it to finish",
    ):
        assert part in message, (part, message)
    assert "Traceback" not in message and "\n" not in message
    # The refused run did nothing: no task ran.
    assert _task_runs(server, refused["id"]) == []
    # The queued run overlapped the first, yet its work began only after the first's ended.
    first_tasks = _finished_task_runs(server, first["id"])
    queued_tasks = _finished_task_runs(server, queued["id"])
    assert queued["start_time"] < first["end_time"]
    assert min(t["start_time"] for t in queued_tasks) >= max(t["end_time"] for t in first_tasks)

    assert _check_outputs(root) >= 15
    for built in ("site/de/index.html", "site/sitemap.xml", "newsletter/2026-12/de/email.eml"):
        assert (root / "dist" / built).is_file(), built
    after = _catalogs(root)
    for name, (entries, texts) in before.items():
        now_entries, now_texts = after[name]
        assert {(c, m) for c, m, _ in entries} <= {(c, m) for c, m, _ in now_entries}, name
        assert texts <= now_texts, f"{name} lost translations"
        result = subprocess.run(  # noqa: S603
            ["msgfmt", "--check", "-o", "/dev/null", str(root / name)], capture_output=True
        )
        assert result.returncode == 0, (name, result.stderr)
    print(f"\nconcurrent publish: refused in {_seconds(refused)} s; message: {message}")


def _seconds(run: dict[str, Any]) -> float:
    return round(run.get("total_run_time") or 0.0, 1)
