"""`bench/run.py --quick` end to end in a temp folder: the report's shape, never its timings.

The quick mode is CI's smoke test of the benchmark harness: a 5-article corpus in 4 languages,
one run of each figure (Hugo and node are left out), a real local Prefect server for the flow.
Targets are not asserted (speed belongs to `make bench`); what must hold is that every figure
was measured and the report is well-formed and honest about what it compared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REQUIRED = ("figure", "ours_s", "baseline", "baseline_s", "ratio", "target", "met")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    base = tmp_path_factory.mktemp("bench")
    out = base / "out"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--out", str(out), "--work", str(base / "work")],
        cwd=base,
        capture_output=True,
        text=True,
        timeout=280,
    )
    return done, out


def rows_of(out: Path) -> list[dict]:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def by_number(rows: list[dict], number: int) -> list[dict]:
    return [row for row in rows if row["figure"].startswith(f"{number}.")]


def test_quick_mode_exits_0_and_prints_the_table(quick_run) -> None:
    done, out = quick_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "pubflow benchmarks (quick)" in done.stdout
    assert f"report: {out / 'report.json'}" in done.stdout


def test_report_is_a_list_of_rows_with_every_field(quick_run) -> None:
    _, out = quick_run
    rows = rows_of(out)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert set(REQUIRED) <= set(row), row
        assert isinstance(row["figure"], str) and isinstance(row["target"], str)
        assert row["met"] in (True, False, None)
        for key in ("ours_s", "baseline_s", "ratio"):
            assert row[key] is None or (isinstance(row[key], (int, float)) and row[key] >= 0), (key, row)
    assert {int(row["figure"].split(".")[0]) for row in rows} == set(range(1, 9))


def test_measured_figures_have_both_sides_and_a_consistent_ratio(quick_run) -> None:
    _, out = quick_run
    rows = rows_of(out)
    for number in (1, 2, 3, 4):
        # Row 3 through the flow is reported against Prefect's floor, without a target.
        row = next(r for r in by_number(rows, number) if number == 2 or "publish flow" not in r["figure"])
        assert row["ours_s"] > 0 and row["baseline_s"] > 0, row
        assert row["ratio"] == pytest.approx(row["ours_s"] / row["baseline_s"], rel=1e-3)
        assert isinstance(row["met"], bool)
    merges = by_number(rows, 5)
    assert any("msgmerge" in row["baseline"] for row in merges)
    assert any("Babel" in row["baseline"] for row in merges)


def test_floor_renders_exactly_our_pages(quick_run) -> None:
    # The floor is only a fair baseline if it produces the very pages our renderer wrote.
    _, out = quick_run
    floor_row = next(r for r in by_number(rows_of(out), 1) if "floor" in r["baseline"])
    same = floor_row["note"].split("byte-identical to ours: ")[1].split(";")[0]
    done, total = (int(part) for part in same.split("/"))
    assert total == 20 and done == total
    # Timed right after each cold build (the machine in the same state for both sides).
    assert "each followed by a floor run" in floor_row["note"]
    assert len(floor_row["runs"]["baseline"]) == len(floor_row["runs"]["ours"]) == 1


def test_quick_mode_skips_hugo_and_node_with_a_note(quick_run) -> None:
    _, out = quick_run
    rows = rows_of(out)
    hugo = next(r for r in by_number(rows, 1) if "Hugo" in r["figure"])
    assert hugo["met"] is None and hugo["note"].startswith("skipped:")
    newsletter = by_number(rows, 6)[0]
    assert newsletter["note"].startswith("skipped:") and newsletter["ours_s"] > 0


def test_prefill_dedupes_and_second_run_sends_nothing(quick_run) -> None:
    _, out = quick_run
    first, second = by_number(rows_of(out), 7)
    assert first["unit"] == "strings/request" and first["value"] >= 1
    assert second["unit"] == "requests" and second["value"] == 0


def test_memory_row_and_meta(quick_run) -> None:
    _, out = quick_run
    memory = by_number(rows_of(out), 8)[0]
    assert memory["unit"] == "MiB" and 10 < memory["value"] < 10_000
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["mode"] == "quick" and meta["failures"] == []
    assert meta["corpus"] == {"articles": 5, "target_locales": ["de", "fr", "ar"], "issues": 2}
    assert meta["load_before"]["cpus"] >= 1


def test_the_flow_no_op_is_reported_against_an_empty_flow(quick_run) -> None:
    _, out = quick_run
    flow_noop = next(r for r in by_number(rows_of(out), 3) if "publish flow" in r["figure"])
    assert flow_noop["met"] is None and "empty flow" in flow_noop["note"]


def test_rebuilds_are_compared_with_full_builds_timed_beside_them(quick_run) -> None:
    _, out = quick_run
    rows = rows_of(out)
    noop = next(r for r in by_number(rows, 3) if "publish flow" not in r["figure"])
    changed = by_number(rows, 4)[0]
    for row in (noop, changed):
        assert "then this rebuild, back to back" in row["note"], row["note"]
        assert len(row["runs"]["baseline"]) == len(row["runs"]["ours"]) == 1
    # One round: the same full build is the baseline of both rows.
    assert noop["runs"]["baseline"] == changed["runs"]["baseline"]
    assert noop["ours_s"] < noop["baseline_s"] and changed["ours_s"] < changed["baseline_s"]


def test_the_two_saves_render_what_shows_the_entry(quick_run) -> None:
    # The first entry of the UI catalog is shown by the newsletters only: the site renders
    # nothing again; an entry of the site's base template renders every page of the language.
    _, out = quick_run
    newsletter_only, every_page = by_number(rows_of(out), 4)
    assert "templates/newsletter/" in newsletter_only["figure"]
    assert "rendered again: 0 site files" in newsletter_only["note"]
    assert "templates/site/base.html" in every_page["figure"]
    assert "rendered again: 0 site files" not in every_page["note"]
    assert newsletter_only["runs"]["baseline"] == every_page["runs"]["baseline"]
