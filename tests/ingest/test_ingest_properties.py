"""Properties: no input crashes a reader, and whatever a reader accepts survives the canonical file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pubflow.errors import IngestError
from pubflow.ingest import parse_source
from pubflow.ingest.canonical import dump_article, parse_canonical
from pubflow.model import Article, FaqEntry, RelatedArticle, Tip

SUFFIXES = [".txt", ".md", ".html"]
PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

_WORDS = st.text(max_size=25)
_TEXT_LINES = st.sampled_from(
    [
        "",
        "",
        "no image",
        "https://cdn.example.org/a.jpg",
        "Understanding Ketamine's Mechanism",
        "Preparing for Your Therapy Session",
        "A Short Title: 3 Tips",
        "Five Ways to Rest",
        "Frequently Asked Questions",
        "Conclusion",
        "Key Takeaways",
        "Is It Safe for Everyone?",
        "In conclusion, that is it.",
        "A paragraph with “typographic” quotes, mightn't and an ellipsis…",
        "Teaser.Cut here… Continue reading A Short Title: 3 Tips",
    ]
)
_MD_LINES = st.sampled_from(
    ["", "", "## Tips", "## FAQ", "## Conclusion", "### A Heading", "### Why?", "Text.",
     "\\# escaped", "#### deep", "# one", "Wrapped", "---"]
)
_MD_FRONT = st.sampled_from(
    [
        "---\nslug: a-b\ntitle: T\nsummary: S\n---\n",
        "---\nslug: a-b\ntitle: 'Three Tips'\nsummary: S\ndate: 2026-11-25\nrelated:\n- title: X\n  slug: x\n---\n",
        "---\nslug: A B\ntitle: T\n---\n",
        "---\ndate: 2026-02-30\n---\n",
        "---\n[a, b]\n---\n",
    ]
)
_HTML_PIECES = st.sampled_from(
    ["<h1>Title</h1>", "<h2>A Tip</h2>", "<h2>FAQ</h2>", "<h2>Conclusion</h2>", "<h3>Why?</h3>",
     "<p>Text.</p>", "<p>In conclusion, done.</p>", "<ul><li><a href='/x/'>X</a></li></ul>",
     "<h2>Related Articles</h2>", "<article>", "</article>", "<dl><dt>Q?</dt><dd>A.</dd></dl>",
     "<meta name='description' content='D'>", "<br>", "<div class='related'>", "</div>",
     "<a href='/y.html'><img src='/i.png'></a>", "<header>", "</header>"]
)


def _lines(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(pieces, _WORDS), max_size=40).map("\n".join)


# Inputs shaped like each format, so random files reach deep into the readers (not only errors):
# half start from a minimal valid article and add random lines after it.
_SHAPED = {
    ".txt": st.tuples(
        _TEXT_LINES | st.just("A Title\n\nIntro.\n\nA Tip Heading\n\nIts text."),
        _lines(_TEXT_LINES),
    ).map("\n".join),
    ".md": st.tuples(
        _MD_FRONT, st.sampled_from(["", "## Tips\n\n### H\n\nText.\n\n"]), _lines(_MD_LINES)
    ).map("".join),
    ".html": st.tuples(
        st.sampled_from(["", "<h1>T</h1><h2>Tip</h2><p>x</p>"]),
        st.lists(st.one_of(_HTML_PIECES, _WORDS), max_size=40).map("".join),
    ).map("".join),
}


def _parse_or_refuse(data: bytes, suffix: str) -> Article | None:
    try:
        return parse_source(data, Path(f"content/sources/fuzz{suffix}"))
    except IngestError as error:
        assert error.path is not None and error.message
        return None


def _survives_canonical(article: Article | None) -> None:
    """What a reader accepted is written and read back as the very same article."""
    if article is not None:
        dated = Article(**{**article.__dict__, "date": dt.date(2026, 11, 25)})
        assert parse_canonical(dump_article(dated), Path("a.md")).article == dated


@PROPERTY
@given(suffix=st.sampled_from(SUFFIXES), text=st.text(max_size=400))
@example(suffix=".md", text="---\nd: 2026-13-45\n---\n")
@example(suffix=".html", text="<?xml version='1.0' encoding='latin1'?><h1>T</h1>")
def test_any_text_is_read_or_refused_with_ingest_error(suffix: str, text: str) -> None:
    _survives_canonical(_parse_or_refuse(text.encode("utf-8", "surrogatepass"), suffix))


@PROPERTY
@given(data=st.data(), suffix=st.sampled_from(SUFFIXES))
def test_post_shaped_text_is_read_or_refused_and_round_trips(data: st.DataObject, suffix: str) -> None:
    text = data.draw(_SHAPED[suffix], label="text")
    _survives_canonical(_parse_or_refuse(text.encode("utf-8"), suffix))


@PROPERTY
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=300))
def test_any_bytes_are_read_or_refused_with_ingest_error(suffix: str, data: bytes) -> None:
    _survives_canonical(_parse_or_refuse(data, suffix))


# --- canonical round trip ---------------------------------------------------------------------

# One line of text as readers produce it: no line breaks, nothing to strip at the ends, no
# control characters (readers and the canonical parser refuse those).
_CONTROLS = (
    "".join(chr(code) for code in [*range(32), *range(0x7F, 0xA0)] if chr(code) not in "\t")
    + "\ufffe\uffff"
)
_LINE = (
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r" + _CONTROLS),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
_SLUG = st.from_regex(r"\A[a-z0-9]{1,8}(?:-[a-z0-9]{1,8}){0,3}\Z")
_PARAGRAPHS = st.lists(_LINE, min_size=1, max_size=3).map(tuple)
_ARTICLES = st.builds(
    Article,
    slug=_SLUG,
    lang=st.sampled_from(["en", "de", "pt_BR"]),
    title=_LINE,
    summary=_LINE,
    intro=st.lists(_LINE, max_size=3).map(tuple),
    tips=st.lists(st.builds(Tip, _LINE, _PARAGRAPHS), min_size=1, max_size=3).map(tuple),
    faq=st.lists(st.builds(FaqEntry, _LINE, _PARAGRAPHS), max_size=3).map(tuple),
    conclusion=st.lists(_LINE, max_size=3).map(tuple),
    related=st.lists(
        st.builds(RelatedArticle, _LINE, _SLUG, st.none() | st.just("https://cdn.example.org/i.png")),
        max_size=3,
        unique_by=lambda related: related.slug,  # a repeated related slug is refused
    ).map(tuple),
    date=st.none() | st.dates(),
    # Only absolute http(s) URLs are images (anything else is refused, tested elsewhere).
    image=st.none() | st.from_regex(r"https?://[a-z0-9.-]+\.[a-z]{2,}/[A-Za-z0-9_./%~?=&#:-]*", fullmatch=True),
).filter(lambda article: article.slug not in {r.slug for r in article.related})


@PROPERTY
@given(article=_ARTICLES)
@example(
    article=Article(
        "a", "en", "T: 3 Tips", "S", ("# not a heading", "\\ backslash"),
        (Tip("Learn C#", ("---",)), Tip("Press #", ("## Tips",))), (), ("x",)
    )
)
def test_canonical_round_trip(article: Article) -> None:
    text = dump_article(article)
    assert parse_canonical(text, Path("a.md")).article == article
    assert dump_article(parse_canonical(text, Path("a.md")).article) == text


_FRONT_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("ab: -#'\"\n\t\\é{}[],&*!|>%@`?~=中0\r\x85\u2028\u2029\ufeff\u200b")),
        st.characters(codec="utf-8"),
    ),
    max_size=20,
)


@PROPERTY
@given(title=_FRONT_TEXT, summary=_FRONT_TEXT, related=st.lists(_FRONT_TEXT, max_size=3))
def test_fast_front_matter_dumper_writes_what_pyyaml_writes(
    title: str, summary: str, related: list[str]
) -> None:
    # The canonical file must not depend on whether PyYAML has libyaml: the fast dumper is
    # only chosen where it gives the very same bytes as the pure-Python one.
    import yaml

    from pubflow.ingest import canonical

    front = {"slug": "a-b", "title": title, "summary": summary,
             "related": [{"title": text, "slug": None, "image": None} for text in related]}
    options = dict(sort_keys=False, allow_unicode=True, width=1_000_000, default_flow_style=False)
    chosen = canonical._front_matter_dumper(front)
    try:
        reference = yaml.dump(front, Dumper=canonical._yaml_classes()[1], **options)
    except yaml.YAMLError:
        return
    assert yaml.dump(front, Dumper=chosen, **options) == reference
