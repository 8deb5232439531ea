"""`pubflow ingest` as users run it: in the project folder, through Typer and as a real process."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pubflow.cli import app

SOURCE = "content/sources/achieving-relief-with-ketamine-therapy.txt"
CANONICAL = "content/articles/achieving-relief-with-ketamine-therapy.md"
DOCUMENTED_KEYS = {"slug", "lang", "title", "summary", "intro", "tips", "faq", "conclusion", "related"}


@pytest.fixture
def in_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project copy as cwd, without the committed canonical articles (ingest makes them)."""
    for article in (project / "content" / "articles").glob("*.md"):
        article.unlink()
    (project / "content" / "articles").mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(project)
    monkeypatch.delenv("PUBFLOW_ROOT", raising=False)
    return project


def run(*args: str):  # noqa: ANN201 - click's Result
    return CliRunner().invoke(app, ["ingest", *args])


def test_writes_then_reports_unchanged(in_project: Path) -> None:
    first = run(SOURCE, "--date", "2026-11-25")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith(f"written   {CANONICAL}")
    assert "3 tips, 5 FAQ, 10 related" in first.stdout
    written = (in_project / CANONICAL).read_bytes()
    assert b"date: '2026-11-25'" in written

    again = run(SOURCE)
    assert again.exit_code == 0
    assert again.stdout.startswith(f"unchanged {CANONICAL}")
    assert (in_project / CANONICAL).read_bytes() == written


def test_json_prints_the_model_and_writes_nothing(in_project: Path) -> None:
    result = run(SOURCE, "--json", "--date", "2026-11-25")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert DOCUMENTED_KEYS <= set(data) and set(data) - DOCUMENTED_KEYS == {"date", "image"}
    assert data["tips"][0] == {
        "heading": "Understanding Ketamine's Mechanism",
        "paragraphs": data["tips"][0]["paragraphs"],
    }
    assert set(data["faq"][0]) == {"question", "answer"}
    assert data["related"][0] == {
        "title": "Why Use Ketamine for Forgiveness in Trauma Recovery?",
        "slug": "why-use-ketamine-for-forgiveness-in-trauma-recovery",
        "image": None,
    }
    assert '"image": null' in result.stdout
    assert "mightn't" in result.stdout and "…" in result.stdout  # not \\u escapes
    assert data["date"] == "2026-11-25"
    assert not (in_project / CANONICAL).exists()


def test_json_for_several_paths_is_a_list(in_project: Path) -> None:
    other = in_project / "content" / "sources" / "second.md"
    other.write_text("---\nslug: second\ntitle: T\nsummary: S\n---\n## Tips\n### H\nx\n")
    result = run(SOURCE, str(other), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # no progress-bar residue when stderr is not a terminal
    assert [item["slug"] for item in json.loads(result.stdout)] == [
        "achieving-relief-with-ketamine-therapy",
        "second",
    ]


BAD_INPUTS = {
    "empty": (b"", "file is empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00", "binary data"),
    "cp1252": ("Title\n\nIt’s “smart”\n".encode("cp1252"), "not UTF-8"),
    "title-only": (b"Only A Title\n", "no body"),
    "no-tips": (b"A Title\n\nJust a paragraph.\n\nAnd one more.\n", "no tips"),
    "count": (b"Title: 4 Tips\n\nIntro.\n\nA Tip\n\nText.\n", "announces 4 tips but the body holds 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_source_is_one_line_exit_2_and_nothing_changes(in_project: Path, case: str) -> None:
    assert run(SOURCE, "--date", "2026-11-25").exit_code == 0
    before = (in_project / CANONICAL).read_bytes()
    data, needle = BAD_INPUTS[case]
    bad = in_project / "content" / "sources" / f"bad-{case}.txt"
    bad.write_bytes(data)

    result = run(SOURCE, str(bad), "--force")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert f"bad-{case}.txt" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert (in_project / CANONICAL).read_bytes() == before
    assert sorted(p.name for p in (in_project / "content" / "articles").iterdir()) == [
        Path(CANONICAL).name
    ]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["content/sources/missing.txt"], "file not found"),
        (["content/sources"], "is a directory"),
        (["pyproject.toml"], "unsupported source type '.toml'"),
        ([SOURCE, "--date", "25/11/2026"], "not a date"),
        ([SOURCE, "--force", "--keep-edited"], "give one of the two"),
    ],
)
def test_bad_arguments_are_one_line(in_project: Path, args: list[str], needle: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert not (in_project / CANONICAL).exists()


def test_hand_edit_needs_force(in_project: Path) -> None:
    assert run(SOURCE, "--date", "2026-11-25").exit_code == 0
    canonical = in_project / CANONICAL
    edited = canonical.read_bytes().replace(b"Navigating", b"Exploring")
    canonical.write_bytes(edited)

    refused = run(SOURCE)
    assert refused.exit_code == 2
    assert f"{CANONICAL}: differs from what {SOURCE}" in refused.stderr
    assert "--force" in refused.stderr
    assert canonical.read_bytes() == edited

    forced = run(SOURCE, "--force")
    assert forced.exit_code == 0
    assert forced.stdout.startswith("written")
    assert b"Exploring" not in canonical.read_bytes()
    assert b"date: '2026-11-25'" in canonical.read_bytes()


def test_bom_and_crlf_source_gives_the_same_file(in_project: Path) -> None:
    assert run(SOURCE, "--date", "2026-11-25").exit_code == 0
    windows = in_project / "content" / "sources" / "achieving-relief-with-ketamine-therapy.txt"
    windows.write_bytes(codecs.BOM_UTF8 + windows.read_bytes().replace(b"\n", b"\r\n"))
    result = run(SOURCE)
    assert result.exit_code == 0
    assert result.stdout.startswith("unchanged")


def test_real_process_error_has_no_traceback(in_project: Path) -> None:
    project = in_project
    bad = project / "content" / "sources" / "broken.txt"
    bad.write_bytes(b"Title\n\ncaf\xe9\n")
    command = [sys.executable, "-m", "pubflow", "ingest", "content/sources/broken.txt"]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "pubflow: error: content/sources/broken.txt:3: file is not UTF-8 text (byte 0xe9 cannot "
        "be decoded) — re-save it as UTF-8 (it looks like Windows-1252/Latin-1: in your editor "
        "choose Save As… → UTF-8)"
    ]
    assert done.stdout == ""

    command[-1] = SOURCE
    ok = subprocess.run(command + ["--date", "2026-11-25"], cwd=project, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert (project / CANONICAL).is_file()


def test_a_second_source_with_an_existing_articles_slug_is_refused_not_dropped(in_project: Path) -> None:
    assert run(SOURCE, "--date", "2026-11-25").exit_code == 0
    canonical = (in_project / CANONICAL).read_bytes()
    text = (in_project / SOURCE).read_text(encoding="utf-8")
    other = in_project / "content" / "sources" / "drafts" / "achieving-relief-with-ketamine-therapy.txt"
    other.parent.mkdir()
    other.write_text(text.replace("Navigating the world", "Exploring the world"), encoding="utf-8")
    for extra in ([], ["--keep-edited"]):
        result = run(str(other.relative_to(in_project)), *extra)
        assert result.exit_code == 2, result.output
        assert "which is already the article of" in result.stderr and SOURCE in result.stderr
        assert (in_project / CANONICAL).read_bytes() == canonical
