from __future__ import annotations

from pathlib import Path

import pytest
from ingest_seed import SEED, SEED_SUMMARY, assert_seed_structure

from pubflow.errors import IngestError
from pubflow.ingest import read_source
from pubflow.ingest.rules import announced_tip_count, is_question, is_title_like
from pubflow.ingest.text import parse_text, summary_from_teaser

WHERE = Path("content/sources/small-post.txt")

SMALL = """\
My Small Post: 2 Tips
A teaser.It is cut… Continue reading My Small Post: 2 Tips
no image

An intro paragraph with “quotes”, an ellipsis… and don’t-style apostrophes.

First Tip Heading

First tip, one paragraph.

Second Tip Heading

Second tip, paragraph one.

Second tip, paragraph two.

Frequently Asked Questions

Is This a Question?

Yes, it mightn't be otherwise.

In conclusion, that is all.

no image
Another Post Title
https://blog.example.org/img/third.jpg
Third Post: a Guide
"""


def test_seed_structure_summary_and_text() -> None:
    article = read_source(SEED)
    assert_seed_structure(article)
    assert article.summary == SEED_SUMMARY
    assert article.slug == "achieving-relief-with-ketamine-therapy"
    assert article.lang == "en"
    assert article.image is None
    assert article.intro[0].startswith("Navigating the world of ketamine therapy")
    assert article.intro[-1] == (
        "Let's explore how these three tips can significantly alter the healing journey."
    )
    # "no image" is a placeholder, never text.
    everything = [article.title, article.summary, *article.intro, *article.conclusion]
    everything += [p for t in article.tips for p in (t.heading, *t.paragraphs)]
    everything += [p for f in article.faq for p in (f.question, *f.answer)]
    assert not any("no image" in text.lower() for text in everything)
    assert all(text == text.strip() and text for text in everything)


def test_small_variant_keeps_text_exactly() -> None:
    article = parse_text(SMALL, WHERE)
    assert article.slug == "small-post"
    assert article.summary == "A teaser. It is cut…"
    assert article.intro == (
        "An intro paragraph with “quotes”, an ellipsis… and don’t-style apostrophes.",
    )
    assert [(t.heading, t.paragraphs) for t in article.tips] == [
        ("First Tip Heading", ("First tip, one paragraph.",)),
        ("Second Tip Heading", ("Second tip, paragraph one.", "Second tip, paragraph two.")),
    ]
    assert [(f.question, f.answer) for f in article.faq] == [
        ("Is This a Question?", ("Yes, it mightn't be otherwise.",))
    ]
    assert article.conclusion == ("In conclusion, that is all.",)
    assert [(r.title, r.slug, r.image) for r in article.related] == [
        ("Another Post Title", "another-post-title", None),
        ("Third Post: a Guide", "third-post-a-guide", "https://blog.example.org/img/third.jpg"),
    ]


def test_missing_faq_and_related_are_empty() -> None:
    text = "Title: 1 Tip\n\nIntro.\n\nThe Only Tip\n\nIts text.\n\nIn conclusion, done.\n"
    article = parse_text(text, WHERE)
    assert article.faq == ()
    assert article.related == ()
    assert article.conclusion == ("In conclusion, done.",)
    assert article.summary == "Intro."  # no teaser: the first paragraph


def test_header_image_url_and_body_placeholders() -> None:
    text = (
        "A Post\nhttps://cdn.example.org/hero.png\n\nIntro.\nno image\n\nA Tip\n\nno image\n"
        "Text.\n"
    )
    article = parse_text(text, WHERE)
    assert article.image == "https://cdn.example.org/hero.png"
    assert article.tips[0].paragraphs == ("Text.",)
    assert article.intro == ("Intro.",)


def test_key_takeaways_and_conclusion_heading() -> None:
    text = (
        "A Post About Things\n\nKey Takeaways\n\nSome takeaway.\n\nA Real Tip\n\nText.\n\n"
        "Conclusion\n\nWe are done here.\n\nShort Title Case Line\n"
    )
    article = parse_text(text, WHERE)
    assert article.intro == ("Key Takeaways", "Some takeaway.")
    assert [t.heading for t in article.tips] == ["A Real Tip"]
    # Everything after the conclusion heading is conclusion, title-like or not.
    assert article.conclusion == ("We are done here.", "Short Title Case Line")


def test_slug_from_title_when_the_stem_is_not_a_slug() -> None:
    article = parse_text(SMALL, Path("My Post (final).txt"))
    assert article.slug == "my-small-post-2-tips"


@pytest.mark.parametrize(
    ("teaser", "summary"),
    [
        ("One.Two!Three?Four… Continue reading X", "One. Two! Three? Four…"),
        ("Cut mid sentence ... Continue reading Some Title", "Cut mid sentence…"),
        ("Ends a sentence. […] Continue reading X", "Ends a sentence."),
        ("Ends a sentence.… Continue reading X", "Ends a sentence."),
        ("version 2.0 is out.the end… Continue reading X", "version 2.0 is out.the end…"),
    ],
)
def test_summary_rule(teaser: str, summary: str) -> None:
    assert summary_from_teaser(teaser) == summary


@pytest.mark.parametrize(
    ("title", "count"),
    [
        ("Achieving Relief With Ketamine Therapy: 3 Tips", 3),
        ("10 Best Strategies for Emotional Regulation With Ketamine", 10),
        ("5 Ways to Relax", 5),
        ("Three Simple Steps to Calm", 3),
        ("Unlocking Trauma Recovery With Ketamine Therapy", None),
        ("Why 2024 Was Different", None),
        ("Version 2.5 Tips", None),
    ],
)
def test_announced_tip_count(title: str, count: int | None) -> None:
    assert announced_tip_count(title) == count


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Understanding Ketamine's Mechanism", True),
        ("Preparing for Your Therapy Session", True),
        ("Why Does It Work?", True),
        ("1. Mindfulness Meditation Practices", True),
        ("2) Establishing a Routine", True),
        ("1. Start slowly. Then rest", False),
        ("Let's explore how these three tips can significantly alter the healing journey.", False),
        ("Let's dive in", False),
        ("Yes.", False),
        ("A Very Long Heading " + "With Many Words " * 8, False),
    ],
)
def test_title_like(line: str, expected: bool) -> None:
    assert is_title_like(line) is expected


def test_questions_are_single_sentences() -> None:
    assert is_question("How Does One's Diet Affect It, if at All?")
    assert not is_question("It works. Does it?")
    assert not is_question("No question here.")


def test_announced_count_differs_from_body() -> None:
    text = SMALL.replace("My Small Post: 2 Tips\n", "My Small Post: 10 Best Strategies\n", 1)
    with pytest.raises(IngestError) as caught:
        parse_text(text, WHERE)
    error = caught.value
    assert error.line == 1
    assert "10" in error.message and "2" in error.message
    assert error.path == WHERE


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        ("Only A Title\n", "no body", 1),
        ("Only A Title\nA teaser… Continue reading Only A Title\nno image\n", "no body", 1),
        ("A Title\n\nJust one paragraph of text.\n\nAnd another one.\n", "no tips", 3),
        ("no image\nno image\n", "no title", 1),
        ("A Title\n\nIntro.\n\nA Tip\n\nText.\n\nFAQ\n\nNot a question.\n", "FAQ starts", 11),
        ("A Title\n\nIntro.\n\nA Tip\n\nText.\n\nFAQ\n\nWhy Is It?\n", "no text", 11),
        ("A Title\n\nIntro.\n\nA Tip\n\nSecond Tip\n\nText.\n", "no text", 5),
        ("A Title\n\nIntro.\n\nA Tip\n\nText.\n\nFAQ\n\nIn conclusion, no.\n", "no questions", 9),
    ],
)
def test_malformed_bodies_name_the_line(text: str, needle: str, line: int) -> None:
    with pytest.raises(IngestError) as caught:
        parse_text(text, WHERE)
    assert needle in caught.value.message
    assert caught.value.line == line
    assert caught.value.hint


@pytest.mark.parametrize("found", [5, 4])
def test_numbered_tip_headings_are_counted(found: int) -> None:
    tips = "".join(f"{n}. Habit Number {n}\n\nWhy habit {n} helps.\n\n" for n in range(1, found + 1))
    text = f"Five Ways to Rest Better\n\nAn intro.\n\n{tips}To wrap up, rest.\n"
    if found == 5:
        article = parse_text(text, WHERE)
        assert [t.heading for t in article.tips][0] == "Habit Number 1"  # the page numbers tips
        assert article.conclusion == ("To wrap up, rest.",)
    else:
        with pytest.raises(IngestError, match="announces 5 tips but the body holds 4"):
            parse_text(text, WHERE)


def test_numbered_tip_headings_lose_their_numbers() -> None:
    # Pages and emails number the tips ("Tip 1"): the source's own number would show twice.
    text = "Calm: 2 Tips\n\nIntro.\n\n1. Breathe Deeply\n\nSlowly.\n\n2) Go For A Walk\n\nOutside.\n\nIn conclusion, done.\n"
    article = parse_text(text, WHERE)
    assert [tip.heading for tip in article.tips] == ["Breathe Deeply", "Go For A Walk"]
    unnumbered = "Calm: 1 Tip\n\nIntro.\n\n10 Minutes Of Calm\n\nDaily.\n\nIn conclusion, done.\n"
    assert parse_text(unnumbered, WHERE).tips[0].heading == "10 Minutes Of Calm"  # not a number


def test_the_newsletter_slug_is_reserved_for_the_issues_web_copies() -> None:
    # <lang>/newsletter/<issue>/ holds the newsletter's web copies: an article there would
    # sit above them, and its folder would mix with theirs.
    text = "Newsletter\n\nIntro.\n\nThe Only Tip\n\nIts text.\n\nIn conclusion, done.\n"
    with pytest.raises(IngestError, match="'newsletter' is reserved") as caught:
        parse_text(text, Path("content/sources/index.txt"))
    assert caught.value.line == 1
    # A source file named newsletter.txt takes its title's slug instead of its name.
    named = "Calm Evenings\n\nIntro.\n\nThe Only Tip\n\nIts text.\n\nIn conclusion, done.\n"
    assert parse_text(named, Path("content/sources/newsletter.txt")).slug == "calm-evenings"
