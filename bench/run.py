"""``make bench``: build a synthetic corpus, measure issue 9's figures, print and save the table.

Usage::

    .venv/bin/python bench/run.py            # the full run (100 articles, 10 locales; < 10 min)
    .venv/bin/python bench/run.py --quick    # CI smoke test: tiny corpus, no targets enforced

The table goes to stdout, progress to stderr, the rows to ``build/bench/report.json`` (and
the machine's load, corpus size and timings to ``meta.json`` beside it). The exit status is 0
when every figure was measured, whether or not its target was met (targets are for people to
read, not for CI to enforce); 1 when a figure crashed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `python bench/run.py` puts bench/ first, we want the repo

from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402

from bench import figures, pipeline  # noqa: E402
from bench.corpus import CorpusSpec, build_corpus  # noqa: E402
from bench.report import Row, print_report, write_report  # noqa: E402
from bench.timing import machine_load  # noqa: E402

QUICK_SPEC = CorpusSpec(articles=5, locales=("de", "fr", "ar"), issues=2)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="tiny corpus, one run each (CI smoke test)")
    parser.add_argument(
        "--out", type=Path, default=REPO / "build" / "bench", help="where report.json goes (default build/bench)"
    )
    parser.add_argument("--work", type=Path, help="folder for the corpus (default: a new temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    parser.add_argument("--no-prefect", action="store_true", help="skip figure 2 (no Prefect server)")
    return parser.parse_args(argv)


def compile_bytecode() -> None:
    """Write the ``.pyc`` files of pubflow, its flows and the benchmark, as any installed
    package has them. An editable install under ``PYTHONDONTWRITEBYTECODE`` (set on these
    machines) never caches them, so every child process would compile ~0.1 s of source first:
    a cost of the setup, not of pubflow, that would blur the cold-process figures."""
    import compileall

    for folder in ("src", "flows", "bench"):
        compileall.compile_dir(REPO / folder, quiet=2)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    compile_bytecode()
    plan = figures.QUICK if args.quick else figures.FULL
    if args.no_prefect:
        plan = figures.Plan(**{**plan.__dict__, "use_prefect": False})
    spec = QUICK_SPEC if args.quick else CorpusSpec()
    out: Path = args.out.resolve()
    work = (args.work or Path(tempfile.mkdtemp(prefix="pubflow-bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # pipes and CI logs: keep the table on one line per row
    errors = Console(stderr=True)
    started = time.perf_counter()
    load_before = machine_load()
    rows: list[Row] = []
    failures: list[str] = []
    babel: figures.BabelRun | None = None
    babel_result: tuple[object, float | None] | None = None

    steps: list[tuple[str, Callable[[figures.Context], object]]] = [
        ("full builds (library path)", figures.full_builds),
        # Its own library runs alternate with its flow runs (both with the server running).
        ("figure 2: publish flow", figures.figure_flow),
        ("figure 1: Jinja2 floor", figures.figure_floor),
        ("figure 8: peak memory", figures.figure_memory),
        ("figures 3 and 4: rebuilds", lambda c: figures.figure_rebuilds(c, c.corpus.spec.locales[0])),
        ("figure 1: Hugo", figures.figure_hugo),
        ("figure 5: catalog update", lambda c: figures.figure_merge(c, babel_result)),
        ("figure 7: machine pre-fill", figures.figure_prefill),
        ("figure 6: newsletter", figures.figure_newsletter),  # last: its stage is the newest
    ]
    progress = Progress(
        TextColumn("[bold]bench[/]"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=errors,
        transient=True,
    )
    try:
        with progress:
            task = progress.add_task("generating the corpus", total=len(steps) + 1)
            # Babel's update only needs a time box: let it use the corpus generation's time.
            try:
                babel = figures.start_babel(work, plan)
            except Exception as exc:  # noqa: BLE001 — reported, the other figures still run
                failures.append(f"babel: {exc}")
            corpus = build_corpus(work / "corpus", spec)
            progress.console.print(
                f"[dim]bench:[/] corpus: {len(corpus.slugs)} articles, {len(corpus.spec.locales)} "
                f"target locales, {len(corpus.issues)} issues, {corpus.strings} source strings "
                f"({corpus.distinct} distinct), {corpus.catalogs} catalogs",
                highlight=False,
            )
            if babel is not None:
                # Wait out its time box before timing anything: it must not share the CPU.
                progress.update(task, description="Babel's catalog update (time-boxed)")
                babel_result = (babel[0], figures.finish_babel(babel[1], babel[2], plan.babel_timeout))
            ctx = figures.Context(corpus, work, plan, progress.console, work / "bench.log", out)
            progress.advance(task)
            for name, step in steps:
                progress.update(task, description=name)
                try:
                    produced = step(ctx)
                except Exception as exc:  # noqa: BLE001 — one broken figure must not hide the rest
                    failures.append(f"{name}: {exc}")
                    progress.console.print(f"[red]bench: {name} failed[/]\n{traceback.format_exc()}")
                    if step is figures.full_builds:
                        break  # every other figure compares with the full build
                else:
                    if isinstance(produced, Row):
                        rows.append(produced)
                    elif isinstance(produced, list):
                        rows.extend(produced)
                progress.advance(task)
    finally:
        if babel is not None and babel[1].poll() is None:
            babel[1].kill()
        pipeline.empty_old_outputs(work / "corpus")
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    rows.sort(key=lambda row: row.figure.split(".", 1)[0])
    elapsed = time.perf_counter() - started
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "elapsed_s": round(elapsed, 1),
        "load_before": load_before,
        "load_after": machine_load(),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "corpus": {
            "articles": spec.articles,
            "target_locales": list(spec.locales),
            "issues": spec.issues,
        },
        "failures": failures,
        "work": str(work) if args.keep or args.work else None,
    }
    path = write_report(rows, meta, out)
    load = meta["load_after"]
    title = (
        f"pubflow benchmarks ({meta['mode']}) — {elapsed:.0f} s, load {load_before['loadavg_1m']:.2f}"
        f" → {load['loadavg_1m']:.2f} on {load['cpus']} CPUs"
    )
    print_report(rows, title, console)
    console.print(f"report: {path}", highlight=False)
    for failure in failures:
        errors.print(f"[red]bench: failed:[/] {failure}", highlight=False)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
