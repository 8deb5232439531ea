"""End to end on a real Prefect server: served deployments, a process work pool, the run form.

Starts ``prefect server start`` on a free loopback port (project-local PREFECT_HOME, analytics
off), then drives it only through its REST API, like the UI does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows_support import REPO, copy_project, free_port

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent
SLUG = "achieving-relief-with-ketamine-therapy"


def start(argv: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(  # noqa: S603
        argv, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the whole process group (serve and workers fork flow-run processes)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue


class Server:
    def __init__(self, api: str, env: dict[str, str], logs: Path) -> None:
        self.api = api
        self.env = env
        self.logs = logs
        # Idle connections are dropped after 2 s, before uvicorn's 5 s keep-alive timeout on the
        # server side: a request never goes out on a connection the server is closing.
        self.http = httpx.Client(
            base_url=api, timeout=30, limits=httpx.Limits(keepalive_expiry=2.0)
        )

    def wait_for(self, predicate: Any, what: str, timeout: float = 240) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            time.sleep(1)
        logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in self.logs.glob("*.log"))
        raise AssertionError(f"timed out waiting for {what}\n{logs}")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Like the Prefect client: retry 503, which SQLite-backed servers answer under load."""
        for attempt in range(10):
            response = self.http.request(method, url, **kwargs)
            if response.status_code != 503:
                return response
            time.sleep(0.5 * (attempt + 1))
        return response

    def deployment(self, flow_name: str, name: str) -> dict[str, Any] | None:
        response = self.request("GET", f"/deployments/name/{flow_name}/{name}")
        return response.json() if response.status_code == 200 else None

    def run(self, deployment_id: str, parameters: dict[str, Any]) -> dict[str, Any]:
        created = self.request(
            "POST", f"/deployments/{deployment_id}/create_flow_run", json={"parameters": parameters}
        )
        assert created.status_code == 201, created.text
        run_id = created.json()["id"]

        def finished() -> dict[str, Any] | None:
            run = self.request("GET", f"/flow_runs/{run_id}").json()
            return run if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED") else None

        return self.wait_for(finished, f"flow run {run_id}")

    def artifacts(self, flow_run_id: str) -> list[dict[str, Any]]:
        response = self.request(
            "POST",
            "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}
        )
        return list(response.json())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("prefect-home")
    logs = tmp_path_factory.mktemp("logs")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
    }
    process = start(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port),
         "--analytics-off"],
        env, logs / "server.log", home,
    )
    instance = Server(api, env, logs)
    try:
        instance.wait_for(
            lambda: _healthy(instance.http), "the Prefect server to answer /api/health", 120
        )
        yield instance
    finally:
        stop(process)


def _healthy(client: httpx.Client) -> bool:
    try:
        return client.get("/health").status_code == 200
    except httpx.HTTPError:
        return False


def test_served_publish_deployment_runs_from_the_api(server: Server, tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    env = {**server.env, "PUBFLOW_ROOT": str(root), "PYTHONPATH": str(root)}
    serving = start(
        [sys.executable, str(root / "flows" / "serve.py"), "--limit", "2"],
        env, server.logs / "serve.log", root,
    )
    try:
        # serve() registers the deployments one after another: wait for the last of them.
        server.wait_for(
            lambda: server.deployment("refresh-locale", "refresh-locale"), "every deployment"
        )
        deployment = server.deployment("publish", "publish")
        assert deployment is not None
        locales = deployment["parameter_openapi_schema"]["properties"]["locales"]
        assert locales["type"] == "array"
        assert locales["items"]["enum"] == ["en", "de", "es", "fr", "ar", "pt_BR", "en_XA"]
        for flow_name, name in [
            ("build-newsletter", "build-newsletter"),
            ("send-newsletter", "send-newsletter"),
            ("sync-catalogs", "sync-catalogs"),
            ("machine-prefill", "machine-prefill"),
        ]:
            assert server.deployment(flow_name, name), f"{flow_name}/{name} is not served"
        newsletter = server.deployment("build-newsletter", "build-newsletter")
        assert newsletter["schedules"][0]["schedule"]["timezone"] == "Europe/Berlin"
        send = server.deployment("send-newsletter", "send-newsletter")
        assert send["parameter_openapi_schema"]["properties"]["confirm"]["default"] is False

        run = server.run(deployment["id"], {"locales": ["en", "de", "ar", "en_XA"]})
        assert run["state"]["type"] == "COMPLETED", run["state"]
        for locale in ("en", "de", "ar", "en_XA"):
            assert (root / "dist" / "site" / locale / SLUG / "index.html").is_file()
        assert (root / "dist" / "newsletter" / "2026-12" / "de" / "email.eml").is_file()
        keys = {a["key"] for a in server.artifacts(run["id"]) if a["key"]}
        assert {"publish-summary", "site-summary", "translation-coverage"} <= keys
        _screenshot_run_form(server, deployment["id"])

        # A translator saves the German catalog: the watcher starts refresh-locale for de.
        catalog = root / "locales" / "de" / "LC_MESSAGES" / f"{SLUG}.po"
        catalog.write_text(
            catalog.read_text(encoding="utf-8").replace("3 Tipps", "drei Tipps", 1), encoding="utf-8"
        )
        refresh = server.deployment("refresh-locale", "refresh-locale")
        assert refresh is not None

        def refreshed() -> dict[str, Any] | None:
            runs = server.request(
                "POST", "/flow_runs/filter",
                json={"deployments": {"id": {"any_": [refresh["id"]]}}},
            ).json()
            done = [r for r in runs if r["state"]["type"] == "COMPLETED"]
            return done[0] if done else None

        run = server.wait_for(refreshed, "the refresh-locale run after a .po save")
        assert run["parameters"] == {"locale": "de"}
        page = root / "dist" / "site" / "de" / SLUG / "index.html"
        assert "drei Tipps" in page.read_text(encoding="utf-8")
    finally:
        stop(serving)


def _screenshot_run_form(server: Server, deployment_id: str) -> None:
    """The custom run form a marketer fills in, saved for review under build/screenshots/."""
    from playwright.sync_api import sync_playwright

    ui = server.api.removesuffix("/api")
    shots = REPO / "build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{ui}/deployments/deployment/{deployment_id}/run", wait_until="networkidle")
            page.get_by_text("locales", exact=False).first.wait_for(timeout=30_000)
            page.screenshot(path=str(shots / "prefect-publish-run-form.png"), full_page=True)
            assert "Languages to update and build" in page.content()
        finally:
            browser.close()


def test_publish_through_a_process_work_pool_and_a_worker(server: Server, tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    env = {**server.env, "PUBFLOW_ROOT": str(root), "PYTHONPATH": str(root)}
    created = subprocess.run(  # noqa: S603
        [str(BIN / "prefect"), "work-pool", "create", "pubflow-e2e", "--type", "process",
         "--overwrite"],
        env=env, cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    deploy = subprocess.run(  # noqa: S603
        [sys.executable, "-c",
         "from flows.publish import publish\n"
         f"publish.from_source(source={str(root)!r}, entrypoint='flows/publish.py:publish')"
         ".deploy(name='publish-pool', work_pool_name='pubflow-e2e', build=False, push=False,"
         " print_next_steps=False)"],
        env=env, cwd=root, capture_output=True, text=True, timeout=120,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    worker = start(
        [str(BIN / "prefect"), "worker", "start", "--pool", "pubflow-e2e", "--type", "process",
         "--limit", "1"],
        env, server.logs / "worker.log", root,
    )
    try:
        deployment = server.wait_for(
            lambda: server.deployment("publish", "publish-pool"), "the pool deployment"
        )
        run = server.run(deployment["id"], {"locales": ["en", "fr"], "newsletters": False})
        assert run["state"]["type"] == "COMPLETED", run["state"]
        assert (root / "dist" / "site" / "fr" / SLUG / "index.html").is_file()
    finally:
        stop(worker)
