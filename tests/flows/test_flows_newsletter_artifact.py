"""The newsletter artifact: links to every built language and its checks, in one document."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.newsletter import newsletter_markdown


def test_the_artifact_has_the_links_and_a_checks_row_per_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBFLOW_ROOT", str(tmp_path))
    result = {
        "issue": "2026-12",
        "summary": "newsletter 2026-12: 1 locales built",
        "built": ["de"],
        "failed": {"ar": "ar: subject has a line break"},
        "skipped": [],
        "checks": [
            {"locale": "de", "subject": "Drei | Wege\nmehr", "status": "built", "html_kb": 41.5,
             "warnings": 1, "errors": 0},
            {"locale": "ar", "subject": "", "status": "failed", "html_kb": None, "warnings": 0,
             "errors": 1},
        ],
    }
    markdown = newsletter_markdown(result)
    assert "- **de**: [web version](" in markdown and "dist/newsletter/2026-12/de/" in markdown
    assert "### Not built\n\n- ar: subject has a line break" in markdown
    rows = markdown.split("### Checks per language\n\n", 1)[1].strip().splitlines()
    assert rows[0] == "| language | subject | status | HTML | warnings | errors |"
    # A pipe or line break in a subject cannot break the table.
    assert rows[2] == "| de | Drei \\| Wege mehr | built | 41.5 KB | 1 | 0 |"
    assert rows[3] == "| ar |  | failed | — | 0 | 1 |"
