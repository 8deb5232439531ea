"""Rows of the benchmark report: the rich table on screen and ``build/bench/report.json``.

``report.json`` is a list of rows, each with ``figure``, ``ours_s``, ``baseline``,
``baseline_s``, ``ratio``, ``target`` and ``met`` (None when a figure has no target or was
skipped), plus ``note`` (how it was measured, or why it was skipped) and, where they help,
``runs`` (timings of every run), ``value`` and ``unit`` (for figures that are not seconds).
A second file, ``meta.json``, says what machine and corpus the numbers come from, and
``report.md`` holds the table in Markdown (for the README's Performance section).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from pubflow.fsutil import atomic_write_text

REQUIRED_KEYS = ("figure", "ours_s", "baseline", "baseline_s", "ratio", "target", "met")


@dataclass
class Row:
    """One line of the report."""

    figure: str
    ours_s: float | None
    baseline: str
    baseline_s: float | None
    ratio: float | None
    target: str
    met: bool | None
    note: str = ""
    runs: dict[str, list[float]] = field(default_factory=dict)
    value: float | None = None
    unit: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # Significant digits, not decimals: a quick run's floor lasts ~20 ms, and four
        # decimals of it would already put the ratio 0.1 % off the seconds it is made of.
        for key in ("ours_s", "baseline_s", "ratio", "value"):
            if isinstance(data[key], float):
                data[key] = _significant(data[key])
        data["runs"] = {k: [_significant(v) for v in values] for k, values in self.runs.items()}
        return data


def _significant(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}")


def skipped(figure: str, baseline: str, target: str, why: str) -> Row:
    """A figure that could not be measured here, and why."""
    return Row(figure, None, baseline, None, None, target, None, note=f"skipped: {why}")


def ratio_of(ours: float | None, baseline: float | None) -> float | None:
    if ours is None or baseline is None or baseline <= 0 or math.isnan(baseline):
        return None
    return ours / baseline


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def _met(value: bool | None) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: "—"}[value]


def render_table(rows: list[Row], title: str) -> Table:
    """The rows as a rich table (ours, baseline, ratio, target, met, note)."""
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("figure", overflow="fold", max_width=48)
    table.add_column("ours", justify="right")
    table.add_column("baseline", overflow="fold", max_width=30)
    table.add_column("baseline", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("target")
    table.add_column("met", justify="center")
    for row in rows:
        ours = (
            f"{row.value:g} {row.unit}" if row.unit and row.value is not None else _seconds(row.ours_s)
        )
        table.add_row(
            row.figure,
            ours,
            row.baseline,
            _seconds(row.baseline_s),
            "—" if row.ratio is None else f"{row.ratio:.3g}",
            row.target,
            _met(row.met),
        )
    return table


def print_report(rows: list[Row], title: str, console: Console | None = None) -> None:
    """The table, then each row's note (how it was measured, or why it was skipped)."""
    console = console or Console()
    console.print(render_table(rows, title))
    for row in rows:
        if row.note:
            console.print(f"[bold]{row.figure}[/]: {row.note}", highlight=False)


def write_report(rows: list[Row], meta: dict[str, Any], out_dir: Path) -> Path:
    """Write ``report.json`` (the rows) and ``meta.json``; returns the report's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.json"
    atomic_write_text(path, json.dumps([row.as_dict() for row in rows], indent=1, ensure_ascii=False) + "\n")
    atomic_write_text(out_dir / "meta.json", json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    atomic_write_text(out_dir / "report.md", markdown_table(rows))
    return path


def markdown_table(rows: list[Row]) -> str:
    """The rows as a Markdown table (for the README's Performance section)."""
    lines = [
        "| figure | ours | baseline | baseline | ratio | target | met |",
        "|---|---:|---|---:|---:|---|:-:|",
    ]
    for row in rows:
        ours = (
            f"{row.value:g} {row.unit}" if row.unit and row.value is not None else _seconds(row.ours_s)
        )
        ratio = "—" if row.ratio is None else f"{row.ratio:.3g}"
        met = {True: "yes", False: "**no**", None: "—"}[row.met]
        lines.append(
            f"| {row.figure} | {ours} | {row.baseline} | {_seconds(row.baseline_s)} | {ratio} "
            f"| {row.target} | {met} |"
        )
    return "\n".join(lines) + "\n"
