"""Timing helpers: medians of repeated runs, child processes, peak memory, machine load."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

# Runs the command given after it, waits, and prints the child's peak RSS (KiB) from
# RUSAGE_CHILDREN: the grandchild is this wrapper's only child, so the number is its own.
_PEAK_WRAPPER = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print('PEAK_RSS_KIB', peak, done.returncode, file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def median(values: list[float]) -> float:
    return statistics.median(values)


def time_call(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def repeat(work: Callable[[], Any], runs: int, before: Callable[[], Any] | None = None) -> list[float]:
    """Seconds of ``runs`` calls of ``work`` (``before`` runs untimed ahead of each)."""
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        seconds, _ = time_call(work)
        times.append(seconds)
    return times


@dataclass(frozen=True)
class ChildRun:
    """A timed child process: wall time, its peak RSS and what it printed as JSON."""

    wall: float
    peak_mib: float
    output: dict[str, Any]


class ChildFailed(RuntimeError):
    """A child process exited non-zero; the message holds the end of its output."""


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for children: ours, minus PUBFLOW_* (the corpus's settings rule)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBFLOW_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env.update(extra or {})
    return env


def run_child(
    args: list[str],
    *,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    timeout: float = 900,
    json_output: bool = True,
) -> ChildRun:
    """Run ``args`` (a Python command line after the interpreter) under the peak-RSS wrapper."""
    command = [PYTHON, "-c", _PEAK_WRAPPER, PYTHON, *args]
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=REPO, env=child_env(env), capture_output=True, text=True, timeout=timeout
    )
    wall = time.perf_counter() - start
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"$ {' '.join(args)}\n{done.stdout}{done.stderr}\n")
    peak_kib = 0
    for line in done.stderr.splitlines():
        if line.startswith("PEAK_RSS_KIB "):
            peak_kib = int(line.split()[1])
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise ChildFailed(f"{' '.join(args[:3])} exited {done.returncode}:\n{tail}")
    output: dict[str, Any] = {}
    if json_output:
        last = [line for line in done.stdout.splitlines() if line.startswith("{")]
        output = json.loads(last[-1]) if last else {}
    return ChildRun(wall, peak_kib / 1024, output)


def machine_load() -> dict[str, Any]:
    """Load averages and CPU count, to judge how noisy a run was."""
    one, five, fifteen = os.getloadavg()
    return {"loadavg_1m": one, "loadavg_5m": five, "loadavg_15m": fifteen, "cpus": os.cpu_count()}
