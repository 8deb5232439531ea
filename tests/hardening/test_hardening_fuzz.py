"""Fuzzing every reader: only our declared errors (PubflowError subclasses) ever escape.

Readers: source articles (text, HTML, Markdown), the canonical article (YAML front matter),
``.po`` bytes, CSV subscriber lists and newsletter TOML. Inputs are built from each format's
own pieces (so the fuzzer gets deep into the parsers) mixed with raw junk. Whatever a reader
accepts is also held to what later stages need: no control characters in article text, catalogs
that write back and read again the same, imports that are idempotent. A few generated inputs
also go through the real CLI, which must answer 0/1/2 with one line and never a traceback.

Example counts stay modest (the machine is shared); ``make soak`` runs ten times as many.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hardening_support import make_project
from pubflow.cli import app
from pubflow.deliver.subscriber_csv import import_subscribers_csv
from pubflow.deliver.subscribers import SubscriberStore
from pubflow.errors import CatalogError, DeliveryError, IngestError
from pubflow.i18n.checks import check_catalog
from pubflow.i18n.compile import classify_catalog
from pubflow.i18n.pofile import dump_catalog, parse_catalog
from pubflow.ingest import parse_source
from pubflow.ingest.canonical import parse_canonical
from pubflow.ingest.decode import first_control_character
from pubflow.ingest.newsletter import parse_issue
from pubflow.model import Article

SOAK = os.environ.get("PUBFLOW_SOAK") == "1"


def budget(examples: int) -> settings:
    return settings(
        max_examples=examples * (10 if SOAK else 1),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


COUNTS: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    """Print how many generated inputs the readers took (figures for the README)."""
    yield
    if COUNTS:
        print(f"\nfuzz examples: {COUNTS} (total {sum(COUNTS.values())})")


def counted(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


# Text with the characters parsers trip over: quotes, escapes, controls, line separators,
# surrogate-free astral characters, markup, placeholders.
NASTY = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(list('"\\\n\r\t\x00\x04\x1b\x85\u2028\u2029\ufeff\ufffe<>&%{}#:[]=\'')),
    ),
    max_size=40,
)
WORDS = st.sampled_from(
    ["Calm", "morning", "tips", "%(name)s", "{count}", "<b>x</b>", "https://example.org/a",
     "Frequently Asked Questions", "In conclusion,", "Related Articles", "---", "## Tips", "C#"]
)  # fmt: skip
PHRASE = st.lists(st.one_of(WORDS, NASTY), max_size=6).map(" ".join)


def assert_clean_article(article: Article) -> None:
    """What a reader accepts is safe for every later stage (no control characters anywhere)."""
    texts = [article.title, article.summary, *article.intro, *article.conclusion]
    texts += [t.heading for t in article.tips] + [p for t in article.tips for p in t.paragraphs]
    texts += [f.question for f in article.faq] + [a for f in article.faq for a in f.answer]
    texts += [r.title for r in article.related]
    for text in texts:
        assert first_control_character(text) is None, repr(text)


# --- source articles ------------------------------------------------------------------------------

HTML_PIECES = st.one_of(
    st.sampled_from(
        ["<h1>", "</h1>", "<h2>", "</h2>", "<h3>", "</h3>", "<p>", "</p>", "<ul><li>", "</li></ul>",
         "<a href='/x/'>", "</a>", "<script>alert(1)</script>", "<!-- c -->", "&#27;", "&#0;",
         "&#x1b;", "&amp;", "&lt;", "&#xfffe;", "&#1114111;", "<![CDATA[x]]>", "<br>",
         "<meta name='description' content='&#8;'>", "<img src=x alt='&#7;'>", "<div>" * 50]
    ),
    PHRASE,
)  # fmt: skip
SOURCES = st.one_of(
    st.tuples(st.just(".html"), st.lists(HTML_PIECES, max_size=30).map("".join)),
    st.tuples(st.just(".txt"), st.lists(PHRASE, max_size=20).map("\n\n".join)),
    st.tuples(st.just(".md"), st.lists(st.one_of(PHRASE, WORDS), max_size=20).map("\n\n".join)),
)


@budget(150)
@given(source=SOURCES, junk=st.binary(max_size=8))
@example(source=(".html", "<h1>A: 2 Tips</h1><h2>One</h2><p>x&#27;y</p><h2>Two</h2><p>z</p>"), junk=b"")
def test_source_readers_raise_only_ingest_errors(source: tuple[str, str], junk: bytes) -> None:
    suffix, text = source
    counted("source articles")
    for data in (text.encode("utf-8", "surrogatepass"), text.encode("utf-8", "ignore") + junk):
        try:
            article = parse_source(data, Path(f"fuzz{suffix}"))
        except IngestError as error:
            assert error.path is not None and error.describe()
        else:
            assert_clean_article(article)


# --- canonical article: YAML front matter ---------------------------------------------------------

YAML_VALUES = st.one_of(
    PHRASE.map(lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.sampled_from(
        ['"\\x1b[31m red"', '"\\0"', '"\\u2028"', "!!python/object:os.system ls", "&a [1, 2]",
         "*a", "{a: 1}", "[1, [2, [3]]]", "2026-13-45", "2026-02-28", "~", "null", "yes", "0x1F",
         "'single ''quoted'''", "|\n  block\n  text", ">-\n  folded", "!!binary aGVsbG8=",
         "1e309", ".inf", "-", "[" * 60 + "]" * 60]
    ),
)  # fmt: skip
FRONT_KEYS = st.sampled_from(["slug", "title", "summary", "date", "lang", "image", "related", "other"])
BODY = st.lists(
    st.one_of(st.sampled_from(["## Tips", "### A Tip", "## FAQ", "### Why?", "## Conclusion", "Text."]), PHRASE),
    max_size=12,
).map("\n\n".join)
BILLION_LAUGHS = (
    "---\nslug: a\ntitle: T\nsummary: S\nrelated: &a [&b [&c [x, x, x, x], *c, *c, *c], *b, *b, *b]\n"
    "image: *a\n---\n\n## Tips\n\n### T\n\nP.\n"
)


@budget(200)
@given(front=st.lists(st.tuples(FRONT_KEYS, YAML_VALUES), max_size=8), body=BODY)
@example(front=[("slug", "a"), ("title", '"\\x1b x"'), ("summary", "S")], body="## Tips\n\n### T\n\nP.")
def test_canonical_reader_raises_only_ingest_errors(front: list[tuple[str, str]], body: str) -> None:
    counted("canonical articles")
    text = "---\n" + "\n".join(f"{key}: {value}" for key, value in front) + "\n---\n\n" + body + "\n"
    for candidate in (text, BILLION_LAUGHS):
        try:
            canonical = parse_canonical(candidate, Path("content/articles/fuzz.md"))
        except IngestError as error:
            assert error.path is not None
        else:
            assert_clean_article(canonical.article)


# --- .po bytes -------------------------------------------------------------------------------------


def po_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


PO_LINES = st.one_of(
    st.builds(lambda k, v: f"{k} {po_string(v)}", st.sampled_from(
        ["msgid", "msgstr", "msgctxt", "msgid_plural", "msgstr[0]", "msgstr[1]", "msgstr[9]",
         "#| msgid", "#~ msgid", "#~ msgstr", "#~| msgid"]), PHRASE),
    PHRASE.map(po_string),
    st.sampled_from(
        ["", "", "#, fuzzy", "#, python-format", "#, fuzzy, python-format", "# translator note",
         "# machine-translated: google 2026-11-25", "#. extracted", "#: content/a.md:3",
         'msgid ""', 'msgstr ""', '"Language: de\\n"', '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
         '"Content-Type: text/plain; charset=UTF-8\\n"', '"Content-Type: text/plain; charset=latin-1\\n"',
         'msgstr "unterminated', 'msgid "a" "b"', "msgstr[x] \"\"", '"\\q"', "\x0c", "\u2028"]
    ),
    NASTY,
)  # fmt: skip
HEADER = (
    'msgid ""\nmsgstr ""\n"Language: de\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
)


def entry_keys(po: Any) -> list[tuple[Any, ...]]:
    def texts(entry: Any) -> tuple[str, ...]:
        return tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)) or (entry.msgstr,)

    return sorted(
        (e.obsolete, e.msgctxt or "", e.msgid, e.msgid_plural or "", texts(e), e.fuzzy)
        for e in po
        if not e.obsolete or any(texts(e))  # untranslated obsolete entries are not written
    )


@budget(200)
@given(
    lines=st.lists(PO_LINES, max_size=25),
    header=st.booleans(),
    prefix=st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00"]),
    junk=st.binary(max_size=6),
)
def test_po_reader_raises_only_catalog_errors(lines: list[str], header: bool, prefix: bytes, junk: bytes) -> None:
    counted("catalogs (.po bytes)")
    text = (HEADER if header else "") + "\n".join(lines) + "\n"
    path = Path("locales/de/LC_MESSAGES/fuzz.po")
    for data in (prefix + text.encode("utf-8"), text.encode("utf-8") + junk):
        try:
            po = parse_catalog(data, path)
        except CatalogError as error:
            assert error.path == path and (error.line is None or error.line >= 1)
            continue
        # Everything downstream of a catalog that reads is total, too.
        check_catalog(po, locale="de", path=path)
        classify_catalog(po, locale="de", path=path, text=data.decode("utf-8", "replace"))
        # What pubflow writes back reads again as the same catalog: nothing lost or altered.
        written = dump_catalog(po)
        if not written.strip():
            # Comments alone hold no header and no entry: written back, nothing is left, and
            # an empty file reads as "catalog is empty" (pubflow's own catalogs have a header).
            assert not list(po) and not po.metadata
            continue
        again = parse_catalog(written.encode("utf-8"), path)
        assert entry_keys(again) == entry_keys(po)


# --- CSV subscriber lists ----------------------------------------------------------------------------

CSV_FIELDS = st.one_of(
    st.sampled_from(
        ["ana@example.org", "ANA@Example.ORG", "bad@", "@x", "jörg@example.org", "x@bücher.example",
         "de", "pt-br", "pt_BR", "xx", "en_XA", "", "active", "unsubscribed", "bounced", "banned",
         '"quoted, comma"', '"unterminated', "a\x00b", "=cmd|' /C calc'!A0", "x" * 300]
    ),
    PHRASE,
)  # fmt: skip
CSV_HEADERS = st.sampled_from(
    ["email,locale", "email,locale,status", "Email;Locale", "locale,email,extra", "email", "", "e-mail,lang"]
)


@contextmanager
def subscriber_store() -> Iterator[tuple[Path, SubscriberStore]]:
    with tempfile.TemporaryDirectory() as folder:
        with SubscriberStore.open(Path(folder) / "subscribers.sqlite3") as store:
            yield Path(folder), store


@budget(100)
@given(
    header=CSV_HEADERS,
    rows=st.lists(st.lists(CSV_FIELDS, max_size=4), max_size=12),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    prefix=st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe"]),
    junk=st.binary(max_size=6),
)
def test_csv_import_raises_only_delivery_errors(
    header: str, rows: list[list[str]], ending: str, prefix: bytes, junk: bytes
) -> None:
    counted("subscriber CSV files")
    text = ending.join([header, *(",".join(row) for row in rows)]) + ending
    with subscriber_store() as (folder, store):
        source = folder / "people.csv"
        source.write_bytes(prefix + text.encode("utf-8", "surrogatepass") + junk)
        options = {"publishable_locales": ["en", "de", "pt_BR"], "source_locale": "en"}
        try:
            first = import_subscribers_csv(store, source, **options)
        except DeliveryError as error:
            assert error.path == source
            return
        for problem in first.problems:
            assert problem.line >= 1 and problem.describe().startswith(f"{source}:")
        again = import_subscribers_csv(store, source, **options)
        assert again.added == 0  # importing the same file twice changes nothing
        for subscriber in store.iter():
            assert "@" in subscriber.email and first_control_character(subscriber.email) is None


# --- newsletter TOML ------------------------------------------------------------------------------------

TOML_VALUES = st.one_of(
    PHRASE.map(lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'),
    st.sampled_from(
        ['"2026-12"', "2026-12-01", "2026-13-01", "1979-05-27T07:32:00Z", "[1, 2, 3]", "[1, 1]",
         "[0]", '["a", 1]', "true", "42", "inf", '"""multi\nline"""', "'literal \\x'",
         '"\\u0000"', '"\\u001b[31m"', '"line\\r\\nBcc: x@example.org"', "{ label = 'x' }",
         '"https://example.org/{locale}/"', '"javascript:alert(1)"', '"' + "x" * 200 + '"']
    ),
)  # fmt: skip
TOML_KEYS = st.sampled_from(
    ["id", "date", "article", "subject", "preheader", "intro", "tips", "related", "cta", "cta.url",
     "cta.label", "extra", "[cta]", "[[x]]"]
)  # fmt: skip


@budget(200)
@given(pairs=st.lists(st.tuples(TOML_KEYS, TOML_VALUES), max_size=10), junk=NASTY)
@example(
    pairs=[("id", '"fuzz"'), ("date", "2026-12-01"), ("article", '"a"'),
           ("subject", '"line\\r\\nBcc: x@example.org"'), ("preheader", '"p"'), ("intro", '"i"')],
    junk="",
)  # fmt: skip
def test_issue_reader_raises_only_ingest_errors(pairs: list[tuple[str, str]], junk: str) -> None:
    counted("newsletter issue files")
    lines = [key if key.startswith("[") else f"{key} = {value}" for key, value in pairs]
    for text in ("\n".join(lines) + "\n", "\n".join(lines) + junk):
        try:
            source = parse_issue(text, Path("content/newsletters/fuzz.toml"))
        except IngestError as error:
            assert error.path is not None
        else:
            issue = source.issue
            for value in (issue.subject, issue.preheader):
                assert "\n" not in value and "\r" not in value and first_control_character(value) is None


# --- the CLI on generated input ---------------------------------------------------------------------

runner = CliRunner()


def invoke(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    if result.exit_code == 2:
        errors = [line for line in result.stderr.splitlines() if line.startswith("pubflow: error:")]
        assert len(errors) == 1, result.stderr
    counted("CLI runs")
    return result


@pytest.fixture(scope="module")
def cli_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-cli")
    make_project(root, locales=("de",))
    return root


@pytest.fixture
def in_project(cli_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in [k for k in os.environ if k.startswith("PUBFLOW_")]:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PUBFLOW_ROOT", str(cli_project))
    monkeypatch.chdir(cli_project)
    return cli_project


@settings(budget(15), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(source=SOURCES, csv_rows=st.lists(st.lists(CSV_FIELDS, max_size=3), max_size=5), data=st.data())
def test_the_cli_answers_generated_input_in_one_line(
    in_project: Path, source: tuple[str, str], csv_rows: list[list[str]], data: st.DataObject
) -> None:
    root = in_project
    suffix, text = source
    sources = root / "content" / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    article = sources / f"fuzz{suffix}"
    article.write_bytes(text.encode("utf-8", "surrogatepass"))
    invoke(["ingest", "--json", str(article)])

    people = root / "people.csv"
    people.write_text("email,locale\n" + "\n".join(",".join(row) for row in csv_rows) + "\n", "utf-8")
    invoke(["subscribers", "import", str(people)])

    catalog = root / "locales" / "de" / "LC_MESSAGES" / "calm-harbour.po"
    catalog.parent.mkdir(parents=True, exist_ok=True)
    lines = data.draw(st.lists(PO_LINES, max_size=10))
    catalog.write_text(HEADER + "\n".join(lines) + "\n", "utf-8", errors="surrogatepass")
    invoke(["check", "-l", "de"])

    pairs = data.draw(st.lists(st.tuples(TOML_KEYS, TOML_VALUES), max_size=6))
    issue = root / "content" / "newsletters" / "2099-01.toml"
    issue.write_text("\n".join(f"{k} = {v}" for k, v in pairs if not k.startswith("[")) + "\n", "utf-8")
    invoke(["build", "newsletter", "2099-01", "-l", "de"])


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_fuzz_soak() -> None:
    """Every fuzzer above with ten times the examples (``make soak``), in a fresh pytest."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-m", "not slow", __file__],
        env={**os.environ, "PUBFLOW_SOAK": "1"},
        capture_output=True,
        text=True,
        timeout=1700,
    )
    summary = [line for line in result.stdout.splitlines() if line.startswith("fuzz examples")]
    print("\n" + "\n".join(summary).replace("fuzz examples", "fuzz examples (soak)"))
    assert result.returncode == 0, result.stdout[-4000:]
