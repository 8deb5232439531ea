"""The build the benchmarks time: the library path, and the states it starts from.

:func:`library_build` calls the same library functions, in the same order, as the ``publish``
flow (ingest → sync + compile → site → every newsletter issue), without Prefect. It runs in a
child process (``python -m bench.pipeline ROOT``) so every run starts cold, as ``make publish``
does, and so its peak memory can be read from the parent.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pubflow.config import Settings, load_settings

GENERATED = ("build", "dist")
"""Folders a full build starts without (generated, never committed)."""


def old_outputs(root: Path) -> Path:
    """Where :func:`clean_outputs` moves a build's outputs (beside ``root``, same file system)."""
    return root.parent / f"{root.name}-old-outputs"


def clean_outputs(root: Path) -> None:
    """Back to a fresh clone: committed sources, articles, templates and catalogs; no outputs.

    The outputs are moved aside, not deleted: deleting 5,000 files right before a build made
    that build's own file creation pay for the deletion (on ext4 mounted with ``discard``, as
    here, creating 3,330 files took 2.5 s of system time instead of 0.15 s for several seconds
    after an ``rm -rf``). :func:`empty_old_outputs` deletes them once nothing is timed.
    """
    trash = old_outputs(root)
    trash.mkdir(exist_ok=True)
    for name in GENERATED:
        if (root / name).exists():
            (root / name).rename(trash / f"{name}-{time.time_ns()}")


def empty_old_outputs(root: Path) -> None:
    """Delete what :func:`clean_outputs` moved aside."""
    shutil.rmtree(old_outputs(root), ignore_errors=True)


def library_build(
    root: Path,
    on_stage: Callable[[str, float], None] | None = None,
    rendered: dict[str, int] | None = None,
) -> dict[str, float]:
    """Ingest, sync + compile, site, newsletters for the project at ``root``; seconds per stage.

    ``rendered`` gets how many site pages and newsletter issue-locales were rendered (not
    replayed as up to date)."""
    from pubflow.buildview import one_build

    stages: dict[str, float] = {}
    settings = load_settings(root)

    def timed(name: str, work: Callable[[], object]) -> None:
        start = time.perf_counter()
        work()
        stages[name] = time.perf_counter() - start
        if on_stage is not None:
            on_stage(name, stages[name])

    with one_build():  # as the publish flow runs them
        counts = _stages(settings, timed)
    if rendered is not None:
        rendered.update(counts)
    return stages


def _stages(settings: Settings, timed: Callable[[str, Callable[[], object]], None]) -> dict[str, int]:
    """The publish flow's stages, in its order, each through ``timed(name, work)``."""
    from pubflow.i18n.sync import sync_catalogs
    from pubflow.ingest import ingest
    from pubflow.newsletter.build import render_newsletters
    from pubflow.render.site import render_site

    sources = sorted(path for path in settings.sources_path.iterdir() if path.is_file())
    timed(
        "ingest",
        lambda: ingest(
            sources,
            settings.articles_path,
            keep_edited=True,
            lang=settings.source_locale,
            workers=settings.workers,
            settings=settings,
        ),
    )
    timed("sync+compile", lambda: sync_catalogs(settings))
    counts: dict[str, int] = {}

    def site() -> None:
        # Pages, indexes, feeds, the chooser and the sitemap rendered again (not replayed).
        counts["site files"] = render_site(settings).rendered

    timed("site", site)
    issues = sorted(path.stem for path in settings.newsletters_path.glob("*.toml"))

    def newsletters() -> None:
        # Every issue in one pass (one compile check, one plan, one pool of workers), as the
        # publish flow builds them.
        counts["emails"] = 0
        for report in render_newsletters(settings, issues):
            counts["emails"] += len(report.locales) - len(report.up_to_date)
            if report.error is not None:
                raise RuntimeError(f"newsletter {report.issue_id} failed: {report.error.describe()}")
            if report.failed:
                raise RuntimeError(
                    f"newsletter {report.issue_id} failed: {report.failed[0].describe_failure()}"
                )

    timed("newsletters", newsletters)
    return counts


class PeakMemory:
    """Samples the proportional set size (PSS) of this process and its worker processes.

    PSS shares each page among the processes mapping it, so the sum over the process tree is
    the memory the build really holds (RSS would count the pages forked workers share with
    their parent once per process). Linux only; sampled every ``interval`` seconds.
    """

    def __init__(self, interval: float = 0.05) -> None:
        import threading

        self.peak_kib = 0
        self.samples = 0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _pss_kib(pid: int | str) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0

    @staticmethod
    def _children() -> list[str]:
        found: list[str] = []
        for task in Path("/proc/self/task").iterdir():
            try:
                found += (task / "children").read_text().split()
            except OSError:
                continue
        return found

    def _run(self) -> None:
        while not self._stop.is_set():
            total = self._pss_kib("self") + sum(self._pss_kib(pid) for pid in self._children())
            self.peak_kib = max(self.peak_kib, total)
            self.samples += 1
            self._stop.wait(self._interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: list[str]) -> int:
    """``python -m bench.pipeline ROOT``: build, print ``{"stages": {...}, "total": s}`` as JSON."""
    import resource

    from pubflow.parallel import worker_count

    import contextlib
    import os

    root = Path(argv[0])
    # Sampling slows the build (reading a process's page tables holds its memory lock), so
    # only the memory figure's own run samples; timed runs don't.
    sampling = os.environ.get("BENCH_SAMPLE_MEMORY") == "1"
    sampler = PeakMemory() if sampling else None
    with sampler or contextlib.nullcontext():
        start = time.perf_counter()
        rendered: dict[str, int] = {}
        stages = library_build(root, rendered=rendered)
        total = time.perf_counter() - start
    # The build forks worker processes: report this process's peak and the largest worker's
    # (RUSAGE_CHILDREN: the largest of the waited-for workers), and how many ran at once.
    memory = {
        "main_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "largest_worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "workers": worker_count(load_settings(root).workers, 1_000),
        "peak_pss_mib": sampler.peak_kib / 1024 if sampler else None,
        "pss_samples": sampler.samples if sampler else 0,
    }
    print(json.dumps({"stages": stages, "total": total, "memory": memory, "rendered": rendered}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
