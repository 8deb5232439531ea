"""Load: publishing a 20-article corpus while a translator checks in a loop; the unsubscribe app
under a bounded load from a local async client.

Only correctness is asserted (no errors, valid outputs, every answer right); the timings are
printed for the README (p50/p99 at 50 concurrent requests).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import httpx
import pytest

from hardening_support import (
    DEMO,
    Timer,
    assert_inert_html,
    make_project,
    python_env,
    spawn_python,
    translate_all,
)
from pubflow.config import Settings
from pubflow.deliver.subscribers import SubscriberStore
from pubflow.deliver.tokens import TokenSigner, load_list_secret
from pubflow.i18n.machine.prefill import prefill_catalogs
from pubflow.i18n.runtime import clear_cache
from pubflow.i18n.sync import sync_catalogs
from pubflow.ingest import ingest
from pubflow.ingest.canonical import dump_article
from pubflow.locales import PSEUDO_LOCALE
from pubflow.model import FaqEntry, RelatedArticle, Tip
from pubflow.render.site import render_site

WORDS = "calm quiet morning evening walk tea garden rest sleep plan habit focus breath light".split()

CHECK_LOOP = """
    import subprocess, sys, time
    from pathlib import Path

    stop = Path(sys.argv[1])
    runs = 0
    print("ready", flush=True)
    while not stop.exists():  # a translator re-checking after every save
        result = subprocess.run([sys.executable, "-m", "pubflow", "check"], capture_output=True, text=True)
        runs += 1
        if result.returncode != 0 or "Traceback" in result.stderr:
            print(f"FAILED {result.returncode} {result.stdout[-500:]} {result.stderr[-500:]}", flush=True)
        print(f"ran {runs}", flush=True)
"""


def corpus_sources(folder: Path, count: int) -> list[Path]:
    """``count`` Markdown sources in the canonical format, related to each other."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20)
    slugs = [f"calm-habit-{n:02d}" for n in range(count)]
    paths = []
    for n, slug in enumerate(slugs):
        def sentence(index: int) -> str:
            return " ".join(rng.choice(WORDS) for _ in range(8)).capitalize() + f" ({slug} {index})."

        article = dataclasses.replace(
            DEMO,
            slug=slug,
            title=f"Calm Habit {n}: 3 Tips",
            summary=sentence(0),
            date=dt.date(2027, 1, 1) + dt.timedelta(days=n),
            intro=tuple(sentence(i) for i in range(1, 4)),
            tips=tuple(Tip(f"Tip {i} of Habit {n}", (sentence(10 + i), sentence(20 + i))) for i in range(3)),
            faq=(FaqEntry(f"Does habit {n} help?", (sentence(30),)),),
            conclusion=(sentence(40),),
            related=tuple(RelatedArticle(f"Calm Habit {m}: 3 Tips", slugs[m]) for m in (n - 1, (n + 1) % count) if m >= 0),
        )  # fmt: skip
        path = folder / f"{slug}.md"
        path.write_text(dump_article(article), encoding="utf-8")
        paths.append(path)
    return paths


def publish(settings: Settings, sources: list[Path]) -> None:
    """What `make publish` does on the library path: ingest → sync → pseudo pre-fill → site."""
    ingest(sources, settings.articles_path, date=dt.date(2027, 1, 1), lang="en", keep_edited=True)
    sync_catalogs(settings)
    prefill_catalogs(settings, [PSEUDO_LOCALE], "pseudo")
    sync_catalogs(settings)
    clear_cache()
    render_site(settings)


def test_publishing_a_corpus_while_a_translator_checks_in_a_loop(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    settings = make_project(root, locales=("de", "fr", "ar", PSEUDO_LOCALE), articles=(), issue=False)
    sources = corpus_sources(root / "content" / "sources", 20)
    publish(settings, sources)  # the first publish; then the translators start working
    translate_all(settings, "de")
    stop = tmp_path / "stop"
    checker = spawn_python(CHECK_LOOP, root, str(stop))
    assert checker.stdout is not None and checker.stdout.readline().strip() == b"ready"
    started = time.monotonic()
    try:
        # A publish with new translations and a reworded article while the checks run.
        text = sources[3].read_text("utf-8").replace("Tip 0 of Habit 3", "First Tip of Habit 3")
        sources[3].write_text(text, "utf-8")
        publish(settings, sources)
    finally:
        stop.touch()
        out, err = checker.communicate(timeout=120)
    elapsed = time.monotonic() - started
    lines = out.decode().splitlines()
    failures = [line for line in lines if line.startswith("FAILED")]
    runs = sum(1 for line in lines if line.startswith("ran "))
    assert not failures, failures[:3]
    assert runs >= 1 and not err.strip(), err

    site = settings.dist_path / "site"
    pages = sorted(site.rglob("index.html"))
    for page in pages:
        assert_inert_html(page.read_text("utf-8"), page)
    for xml in sorted(site.rglob("*.xml")):
        ElementTree.fromstring(xml.read_bytes())
    german = sorted((site / "de").glob("*/index.html"))
    assert len(german) == 20 and all("DE·" in page.read_text("utf-8") for page in german)
    print(f"\nload: 2 publishes of 20 articles in 4 locales, {len(pages)} pages; "
          f"`pubflow check` ran {runs} times meanwhile ({elapsed:.1f} s), 0 errors")  # fmt: skip


# --- the unsubscribe app ----------------------------------------------------------------------------

SERVER = """
    import asyncio, sys
    from pathlib import Path
    import uvicorn
    from pubflow.config import load_settings
    from pubflow.deliver.unsubscribe import create_app

    app = create_app(load_settings(Path(sys.argv[1])))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           access_log=False, lifespan="off"))

    async def main():
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        print(server.servers[0].sockets[0].getsockname()[1], flush=True)
        await task

    asyncio.run(main())
"""


def _subscribers(settings: Settings, count: int) -> list[tuple[str, str]]:
    """(email, token) of ``count`` active subscribers."""
    signer = TokenSigner(load_list_secret(settings).key)
    people = []
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        for n in range(count):
            subscriber = store.add(f"reader{n:05d}@example.org", "de" if n % 2 else "en")
            people.append((subscriber.email, signer.sign(subscriber.id, "2027-01", subscriber.secret)))
    return people


async def _hammer(base: str, plan: list[tuple[str, str, int]], concurrency: int) -> Timer:
    # The client lets an idle connection go after 2 s, before uvicorn's 5 s keep-alive timeout:
    # with both at 5 s (httpx's default), a connection the server is closing for idleness could be
    # picked for the next request, which then fails with ReadError: the classic keep-alive race,
    # seen in CI when a loaded machine left a pooled connection idle for 5 s. Well-behaved clients
    # (and proxies in front of the app) keep their idle timeout below the server's.
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=2.0
    )
    timer = Timer([])
    queue: asyncio.Queue[tuple[str, str, int]] = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    problems: list[str] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            method, path, expected = queue.get_nowait()
            start = time.perf_counter()
            if method == "POST":
                response = await client.post(path, data={"List-Unsubscribe": "One-Click"})
            else:
                response = await client.get(path)
            timer.samples.append(time.perf_counter() - start)
            if response.status_code != expected:
                problems.append(f"{method} {path}: {response.status_code} (wanted {expected})")

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    assert not problems, problems[:5]
    return timer


def run_unsubscribe_load(root: Path, requests: int, concurrency: int = 50) -> dict[str, float]:
    settings = make_project(root, locales=("de",), issue=False)
    people = _subscribers(settings, max(200, requests // 20))
    rng = random.Random(requests)
    leaving = people[: requests // 20]  # one in twenty requests is someone's one-click
    plan: list[tuple[str, str, int]] = [("POST", f"/unsubscribe/{token}", 200) for _, token in leaving]
    while len(plan) < requests:
        roll = rng.random()
        _, token = rng.choice(people)
        if roll < 0.75:
            plan.append(("GET", f"/unsubscribe/{token}", 200))
        elif roll < 0.9:
            plan.append(("GET", f"/unsubscribe/{token[:-2]}xx", 403))
        else:
            plan.append(("GET", "/healthz", 200))
    rng.shuffle(plan)

    # The server's log goes to a file, not to a pipe nobody reads while the load runs: a full pipe
    # would stall the server, and the log is what explains a failure.
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(SERVER), str(root)],
            cwd=root, env=python_env(root), stdout=subprocess.PIPE, stderr=log,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline())
            started = time.perf_counter()
            try:
                timer = asyncio.run(_hammer(f"http://127.0.0.1:{port}", plan, concurrency))
            except httpx.HTTPError as exc:
                state = "still running" if server.poll() is None else f"exited {server.returncode}"
                log_text = log_path.read_text("utf-8", "replace")[-3000:]
                message = f"{exc!r}; the server is {state}; its log:\n{log_text}"
                raise AssertionError(message) from exc
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.communicate(timeout=30)
    err = log_path.read_bytes()
    assert b"Traceback" not in err and b"ERROR" not in err, err[-2000:]
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        status = {s.email: s.status for s in store.iter()}
    assert all(status[email] == "unsubscribed" for email, _ in leaving)
    assert sum(1 for value in status.values() if value == "unsubscribed") == len(leaving)
    figures = {
        "requests": len(timer.samples),
        "p50_ms": timer.percentile(0.50) * 1000,
        "p99_ms": timer.percentile(0.99) * 1000,
        "per_second": len(timer.samples) / elapsed,
    }
    print(
        f"\nunsubscribe app: {figures['requests']} requests at {concurrency} concurrent, "
        f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
        f"{figures['per_second']:.0f} req/s, 0 errors"
    )
    return figures


def test_the_unsubscribe_app_under_load(tmp_path: Path) -> None:
    run_unsubscribe_load(tmp_path / "unsubscribe", requests=1_000)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_unsubscribe_app_under_load_soak(tmp_path: Path) -> None:
    run_unsubscribe_load(tmp_path / "unsubscribe", requests=10_000)
