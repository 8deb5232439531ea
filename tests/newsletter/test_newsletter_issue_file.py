"""Reading content/newsletters/<id>.toml: values, defaults, lines, and errors that say where."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from newsletter_data import ARTICLE, REPO
from pubflow.errors import IngestError
from pubflow.ingest.newsletter import (
    issue_domain,
    issue_path,
    load_issue,
    parse_issue,
    read_issue,
    value_lines,
)
from pubflow.model import CallToAction

GOOD = """\
id = "2026-12"
date = 2026-12-01
article = "achieving-relief-with-ketamine-therapy"
subject = "Three ways"
preheader = "How it works."
intro = [
  "First paragraph.",
  "Second paragraph.",
]
tips = [3, 1]
related = ["unlocking-trauma-recovery-with-ketamine-therapy"]

[cta]
label = "Book a consultation"
url = "https://example.org/{locale}/book/?ref=mail"
"""


def parse(text: str, name: str = "2026-12.toml") -> object:
    return parse_issue(text, Path("content/newsletters") / name)


def error_of(text: str, name: str = "2026-12.toml") -> IngestError:
    with pytest.raises(IngestError) as caught:
        parse(text, name)
    return caught.value


def test_the_first_issue_of_the_repository_reads() -> None:
    source = read_issue(REPO / "content" / "newsletters" / "2026-12.toml")
    issue = source.issue
    assert issue.id == "2026-12"
    assert issue.date == dt.date(2026, 12, 1)
    assert issue.article == ARTICLE
    assert issue.subject == "Three ways to get more from ketamine therapy"
    assert issue.preheader == "How it works, how to prepare, and how to make the relief last."
    assert issue.intro == (
        "This month we look at what helps ketamine therapy work — before, during and after a session.",
    )
    assert (issue.tips, issue.related, issue.cta) == ((), (), None)
    assert source.domain == "newsletter-2026-12"


def test_every_field_and_its_line() -> None:
    source = parse(GOOD)
    issue = source.issue  # type: ignore[attr-defined]
    assert issue.intro == ("First paragraph.", "Second paragraph.")
    assert issue.tips == (3, 1)
    assert issue.related == ("unlocking-trauma-recovery-with-ketamine-therapy",)
    assert issue.cta == CallToAction("Book a consultation", "https://example.org/{locale}/book/?ref=mail")
    lines = source.lines  # type: ignore[attr-defined]
    assert (lines["subject"], lines["preheader"], lines["intro.1"], lines["intro.2"]) == (4, 5, 7, 8)
    assert (lines["cta.label"], lines["cta.url"]) == (14, 15)


def test_intro_as_one_string_splits_paragraphs_at_blank_lines_with_their_lines() -> None:
    text = GOOD.replace(
        'intro = [\n  "First paragraph.",\n  "Second paragraph.",\n]',
        'intro = """\nFirst paragraph,\nstill the first.\n\nSecond paragraph."""',
    )
    source = parse(text)
    assert source.issue.intro == ("First paragraph, still the first.", "Second paragraph.")  # type: ignore[attr-defined]
    assert source.lines["intro.1"] == 7  # type: ignore[attr-defined]
    assert source.lines["intro.2"] == 10  # type: ignore[attr-defined]


def test_value_lines_copes_with_comments_strings_and_inline_tables() -> None:
    text = 'a = "x # not a comment"  # comment\nb = [\n  # note\n  "one", \'two\',\n  """three"""\n]\nc = { d = 1, e = "f" }\n'
    lines = value_lines(text)
    assert lines["a"] == 1
    assert (lines["b.1"], lines["b.2"], lines["b.3"]) == (4, 4, 5)
    assert (lines["c.d"], lines["c.e"]) == (7, 7)


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (('subject = "Three ways"', 'subject = "Three\\r\\nBcc: x@example.org"'), 4, "one line"),
        (('subject = "Three ways"', f'subject = "{"x" * 81}"'), 4, "at most 80"),
        (('preheader = "How it works."', f'preheader = "{"y" * 141}"'), 5, "at most 140"),
        (('tips = [3, 1]', "tips = [1, 1]"), 10, "twice"),
        (('tips = [3, 1]', 'tips = ["one"]'), 10, "tip numbers"),
        (('tips = [3, 1]', "tips = []"), 10, "tips is empty"),
        (('url = "https://example.org/{locale}/book/?ref=mail"', 'url = "http://example.org/"'), 15, "https"),
        (
            ('url = "https://example.org/{locale}/book/?ref=mail"', 'url = "https://example.org/{locale}/\\"><b>x"'),
            15,
            "holds '\"', which a URL cannot hold as is",
        ),
        (('label = "Book a consultation"', 'labl = "Book"'), 14, "unknown cta field"),
        (('label = "Book a consultation"', 'label = "Read it in {locale}"'), 14, "only the url fills in"),
        (('id = "2026-12"', 'id = "2026-11"'), 1, "file name"),
        (('date = 2026-12-01', 'date = "soon"'), 2, "not a date"),
        (('article = "achieving-relief-with-ketamine-therapy"', 'article = "Not A Slug"'), 3, "slug"),
        (("[cta]", "colour = 1\n[cta]"), 13, "unknown field"),
    ],
)
def test_errors_name_the_file_and_line_and_say_what_to_do(
    change: tuple[str, str], line: int, words: str
) -> None:
    old, new = change
    assert old in GOOD
    error = error_of(GOOD.replace(old, new))
    assert error.path == Path("content/newsletters/2026-12.toml")
    assert error.line == line
    assert words in error.message
    assert error.hint


def test_toml_syntax_errors_carry_the_line() -> None:
    error = error_of(GOOD.replace('preheader = "How it works."', 'preheader = "How it works.'))
    assert error.line == 5
    assert "TOML" in error.message


def test_missing_required_field() -> None:
    error = error_of(GOOD.replace('preheader = "How it works."\n', ""))
    assert "preheader" in error.message


def test_issue_ids_are_never_paths(tmp_path: Path) -> None:
    with pytest.raises(IngestError):
        issue_path(tmp_path, "../secrets")
    assert issue_domain("2026-12") == "newsletter-2026-12"


def test_load_issue_checks_tips_and_related_against_the_article(project: Path) -> None:
    from newsletter_data import prepare

    prepare(project)
    folder = project / "content" / "newsletters"
    articles = project / "content" / "articles"
    loaded = load_issue(folder, articles, "2026-12")
    assert loaded.tip_numbers == (1, 2, 3)
    assert len(loaded.related_slugs) == 10  # the article's own list by default

    (folder / "2026-12.toml").write_text(GOOD.replace("tips = [3, 1]", "tips = [4]"), "utf-8")
    with pytest.raises(IngestError) as caught:
        load_issue(folder, articles, "2026-12")
    assert caught.value.line == 10 and "3 tips" in caught.value.message

    (folder / "2026-12.toml").write_text(GOOD.replace(
        'related = ["unlocking-trauma-recovery-with-ketamine-therapy"]', 'related = ["a", "nowhere-to-be-found"]'
    ), "utf-8")
    with pytest.raises(IngestError) as caught:
        load_issue(folder, articles, "2026-12")
    assert caught.value.line == 11 and "'a'" in caught.value.message

    (folder / "2026-12.toml").write_text(GOOD.replace(ARTICLE, "no-such-article"), "utf-8")
    with pytest.raises(IngestError) as caught:
        load_issue(folder, articles, "2026-12")
    assert caught.value.line == 3 and "pubflow ingest" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("value", "code"),
    [("Three \u202e moc.live ways", "U+202E"), ("Three \\u001b[31m ways", "U+001B"), ("Three \x9b ways", "U+009B")],
)
def test_a_subject_that_would_display_otherwise_than_it_reads_is_refused(value: str, code: str) -> None:
    error = error_of(GOOD.replace('subject = "Three ways"', f'subject = "{value}"'))
    assert f"subject holds the control character {code}" in error.message and error.line == 4
