from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from slugify import slugify
from ingest_seed import SEED, SEED_FAQ, SEED_RELATED, SEED_SUMMARY, SEED_TIPS, assert_seed_structure

from pubflow.errors import IngestError
from pubflow.ingest import read_source
from pubflow.ingest.canonical import dump_article, parse_canonical
from pubflow.ingest.markdown import parse_markdown
from pubflow.model import Article, Tip

WHERE = Path("content/sources/new-article.md")


def _seed_markdown() -> str:
    """The seed as a marketer would write it by hand (short paragraphs)."""
    related = "".join(f"- title: '{t}'\n  slug: {slugify(t)}\n  image: null\n" for t in SEED_RELATED)
    lines = [
        "---",
        "slug: achieving-relief-with-ketamine-therapy",
        "lang: en",
        "title: 'Achieving Relief With Ketamine Therapy: 3 Tips'",
        f"summary: \"{SEED_SUMMARY}\"",
        "date: 2026-11-25",
        "related:",
        related.rstrip("\n"),
        "---",
        "",
        *[f"Intro paragraph {n}.\n" for n in range(1, 6)],
        "## Tips\n",
    ]
    for heading, count in SEED_TIPS:
        lines.append(f"### {heading}\n")
        lines.extend(f"{heading}, paragraph {n}.\n" for n in range(1, count + 1))
    lines.append("## FAQ\n")
    for index, (question, count) in enumerate(SEED_FAQ):
        lines.append(f"### {question}\n")
        answers = [f"Answer {n}." for n in range(1, count + 1)]
        if index == 2:
            answers[1] = "For instance, with severe heart issues ketamine mightn't be safe."
        lines.extend(f"{a}\n" for a in answers)
    lines.append("## Conclusion\n")
    lines.append("In conclusion, a paragraph that a marketer wrapped\nover two lines.\n")
    lines.append("Second.\n")
    lines.append("Third.")
    return "\n".join(lines) + "\n"


def test_seed_equivalent_markdown() -> None:
    article = parse_markdown(_seed_markdown(), WHERE)
    assert_seed_structure(article)
    assert article.summary == SEED_SUMMARY
    assert article.date == dt.date(2026, 11, 25)
    assert article.conclusion[0] == "In conclusion, a paragraph that a marketer wrapped over two lines."


def test_seed_text_round_trips_through_markdown() -> None:
    article = replace(read_source(SEED), date=dt.date(2026, 11, 25))
    assert parse_markdown(dump_article(article), WHERE) == article


def test_announced_count_error_points_at_the_title_line() -> None:
    text = _seed_markdown().replace("Therapy: 3 Tips'", "Therapy: 4 Tips'")
    with pytest.raises(IngestError) as caught:
        parse_markdown(text, WHERE)
    assert caught.value.line == 4
    assert "4" in caught.value.message and "3" in caught.value.message


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        ("Just a title\n\nAnd text.\n", "missing front matter", 1),
        ("---\nslug: a\ntitle: T\nsummary: S\n---\n", "no tips", 6),
        ("---\nslug: a\ntitle: T\nsummary: S\ndate: 2026-13-45\n---\n## Tips\n### H\nx\n", "cannot be read", 5),  # the date's own line
        ("---\nslug: a\ntitle: T\nsummary: S\n---\n## Tips\n### Empty\n### Next\nx\n", "no text", 7),
        ("---\nslug: a\ntitle: [unclosed\n---\n", "not valid YAML", 3),
    ],
)
def test_bad_markdown(text: str, needle: str, line: int) -> None:
    with pytest.raises(IngestError) as caught:
        parse_markdown(text, WHERE)
    assert needle in caught.value.message
    assert caught.value.line == line


def test_hand_written_headings_follow_commonmark() -> None:
    text = (
        "---\nslug: a\ntitle: T\nsummary: S\n---\n\n## Tips\n### Learn C#\nParagraph.\n"
        "### Closed Heading ##\nText right under it.\nwrapped on.\n### Next\nx\n"
    )
    article = parse_markdown(text, WHERE)
    assert [t.heading for t in article.tips] == ["Learn C#", "Closed Heading", "Next"]
    assert article.tips[1].paragraphs == ("Text right under it. wrapped on.",)
    # a heading that really ends in " #" survives a round trip
    odd = Article("a", "en", "T", "S", (), (Tip("Press #", ("x",)),))
    assert parse_canonical(dump_article(odd), WHERE).article == odd
