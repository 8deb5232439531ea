"""Newsletter issue files: ``content/newsletters/<id>.toml`` read, validated and located.

An issue file names the featured article and carries the issue's own strings::

    id = "2026-12"
    date = 2026-12-01
    article = "achieving-relief-with-ketamine-therapy"
    subject = "Three ways to get more from ketamine therapy"      # one line, max 80 characters
    preheader = "How it works, how to prepare, and how to make the relief last."   # max 140
    intro = ["First paragraph.", "Second paragraph."]      # or one string (blank lines split it)
    tips = [1, 3]                                          # optional: 1-based, default all
    related = ["another-article"]                          # optional: default the article's
    [cta]                                                  # optional: default "read the article"
    label = "Read the full article"
    url = "https://example.org/en/article/"

Every error names the file and the line of the offending value and says what to do. The line
of every translatable string is kept (:attr:`IssueSource.lines`) for catalog references.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from pubflow.errors import IngestError, toml_problem
from pubflow.ingest.decode import first_control_character
from pubflow.fsutil import validate_slug
from pubflow.ingest.canonical import CanonicalArticle, canonical_path, read_canonical
from pubflow.model import CallToAction, NewsletterIssue

SUBJECT_CONTEXT = "newsletter subject (max 80 characters)"
PREHEADER_CONTEXT = "newsletter preheader (max 140 characters)"
SUBJECT_MAX = 80
PREHEADER_MAX = 140
DOMAIN_PREFIX = "newsletter-"

KNOWN_KEYS = ("id", "date", "article", "subject", "preheader", "intro", "tips", "related", "cta")
CTA_KEYS = ("label", "url")

# A header value must stay one line: these would end it (or confuse a mail client).
HEADER_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# Characters RFC 3986 leaves out of URLs (they delimit them in text): percent-encode them.
_NOT_IN_URLS = frozenset('"<>\\^`{|}')


def issue_domain(issue_id: str) -> str:
    """The gettext domain of an issue's own strings: ``newsletter-<id>``."""
    return f"{DOMAIN_PREFIX}{issue_id}"


def issue_path(newsletters_dir: Path, issue_id: str) -> Path:
    """Where ``content/newsletters/<id>.toml`` lives (the id is checked: never a path)."""
    try:
        validate_slug(issue_id, where="newsletter issue")
    except Exception as exc:  # ConfigError → IngestError: the user typed it
        raise IngestError(
            f"{issue_id!r} is not a newsletter issue id",
            hint="issue ids are slugs such as 2026-12 (content/newsletters/<id>.toml)",
        ) from exc
    return newsletters_dir / f"{issue_id}.toml"


@dataclass(frozen=True)
class IssueSource:
    """An issue as read from its file, with the line of every value.

    ``lines`` keys: ``id``, ``date``, ``article``, ``subject``, ``preheader``, ``intro``,
    ``intro.N`` (1-based paragraphs), ``tips``, ``related``, ``cta``, ``cta.label``, ``cta.url``.
    """

    issue: NewsletterIssue
    path: Path
    lines: dict[str, int]

    @property
    def domain(self) -> str:
        return issue_domain(self.issue.id)

    def line(self, key: str) -> int | None:
        """The line of ``key``, else of its parent (``intro.2`` → ``intro``), else None."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0]
        return None


# Locating values -------------------------------------------------------------------------------


class _Scanner:
    """Finds the line of each key and array item in TOML text that tomllib already accepted.

    tomllib reports no positions; this walks the same text just far enough to know where each
    value starts (strings, arrays, inline tables, comments and multi-line strings included).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.found: dict[str, int] = {}

    def peek(self, count: int = 1) -> str:
        return self.text[self.pos : self.pos + count]

    def advance(self, count: int = 1) -> None:
        chunk = self.text[self.pos : self.pos + count]
        self.line += chunk.count("\n")
        self.pos += len(chunk)

    def skip_blank(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self.advance()
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.advance((end if end >= 0 else len(self.text)) - self.pos)
            else:
                return

    def key(self) -> list[str]:
        parts: list[str] = []
        while self.pos < len(self.text):
            self.skip_blank(newlines=False)
            char = self.peek()
            if char in "\"'":
                start = self.pos
                self.string()
                parts.append(tomllib.loads(f"k = {self.text[start:self.pos]}")["k"])
            else:
                match = re.compile(r"[A-Za-z0-9_-]+").match(self.text, self.pos)
                if not match:
                    break
                parts.append(match.group(0))
                self.advance(len(match.group(0)))
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                break
            self.advance()
        return parts

    def string(self) -> int:
        """Skip one string; return the line its content starts on."""
        quote = self.peek()
        start_line = self.line
        if self.peek(3) == quote * 3:
            self.advance(3)
            if self.peek() == "\n" or self.peek(2) == "\r\n":
                start_line += 1  # TOML trims a newline right after the opening quotes
            while self.pos < len(self.text):
                if quote == '"' and self.peek() == "\\":
                    self.advance(2)
                elif self.peek(3) == quote * 3:
                    self.advance(3)
                    while self.peek() == quote:  # up to two quotes may end the content
                        self.advance()
                    break
                else:
                    self.advance()
            return start_line
        self.advance()
        while self.pos < len(self.text) and self.peek() != quote:
            self.advance(2 if quote == '"' and self.peek() == "\\" else 1)
        self.advance()
        return start_line

    def value(self, path: str) -> None:
        self.skip_blank(newlines=False)
        char = self.peek()
        if char in "\"'":
            self.found.setdefault(f"{path}#content", self.string())
        elif char == "[":
            self.advance()
            index = 0
            while self.pos < len(self.text):
                self.skip_blank(newlines=True)
                if self.peek() == "]":
                    self.advance()
                    break
                if self.peek() == ",":
                    self.advance()
                    continue
                index += 1
                self.found.setdefault(f"{path}.{index}", self.line)
                self.value(f"{path}.{index}")
        elif char == "{":
            self.advance()
            while self.pos < len(self.text):
                self.skip_blank(newlines=False)
                if self.peek() == "}":
                    self.advance()
                    break
                if self.peek() == ",":
                    self.advance()
                    continue
                line = self.line
                name = ".".join([path, *self.key()])
                self.found.setdefault(name, line)
                self.skip_blank(newlines=False)
                self.advance()  # "="
                self.value(name)
        else:
            match = re.compile(r"[^,\]\}\s#]+(?:[ T][0-9:.+\-Z]+)?").match(self.text, self.pos)
            self.advance(len(match.group(0)) if match else 1)

    def scan(self) -> dict[str, int]:
        table: list[str] = []
        while self.pos < len(self.text):
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                break
            line = self.line
            if self.peek() == "[":
                double = self.peek(2) == "[["
                self.advance(2 if double else 1)
                table = self.key()
                self.found.setdefault(".".join(table), line)
                self.advance(2 if double else 1)
                continue
            parts = self.key()
            if not parts:
                self.advance()
                continue
            name = ".".join([*table, *parts])
            self.found.setdefault(name, line)
            self.skip_blank(newlines=False)
            if self.peek() == "=":
                self.advance()
            self.value(name)
        return self.found


def value_lines(text: str) -> dict[str, int]:
    """Line of each key (``cta.url``) and array item (``intro.2``) in valid TOML ``text``.

    ``<key>#content`` is the line where a string's content starts (a multi-line string's first
    line after a trimmed newline).
    """
    try:
        return _Scanner(text).scan()
    except (tomllib.TOMLDecodeError, IndexError, AttributeError):  # pragma: no cover - defensive
        return {}


# Validation -------------------------------------------------------------------------------------


class _Reader:
    """Validates the parsed table, raising IngestError at the line of the bad value."""

    def __init__(self, data: Mapping[str, Any], path: Path, lines: dict[str, int]) -> None:
        self.data = data
        self.path = path
        self.lines = lines

    def line(self, key: str) -> int:
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0]
        return 1

    def fail(self, key: str, message: str, hint: str) -> IngestError:
        return IngestError(message, path=self.path, line=self.line(key), hint=hint)

    def text(self, key: str, value: Any, *, max_length: int | None = None, single_line: bool = False) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"{key} must be non-empty text", f'write {key} = "..."')
        cleaned = value.strip()
        if single_line:
            broken = next((c for c in cleaned if c in HEADER_BREAKS), None)
            if broken is not None:
                raise self.fail(
                    key,
                    f"{key} must be one line (it holds U+{ord(broken):04X}, a line break)",
                    "write it on one line: a line break in an email header is refused",
                )
        control = first_control_character(cleaned)
        if control is not None:
            raise self.fail(
                key,
                f"{key} holds the control character U+{ord(control.group()):04X}",
                "remove it (often pasted by accident): pages and emails cannot carry it",
            )
        if max_length is not None and len(cleaned) > max_length:
            raise self.fail(
                key,
                f"{key} is {len(cleaned)} characters long (at most {max_length})",
                f"shorten it to {max_length} characters (mail clients cut longer ones)",
            )
        return cleaned

    def slug(self, key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"{key} must be a slug in quotes", f'write {key} = "my-article"')
        try:
            return validate_slug(value.strip(), where=key)
        except Exception:
            raise self.fail(
                key,
                f"{key} {value!r} is not a valid slug",
                "use lowercase letters, digits and hyphens, e.g. my-article",
            ) from None

    def date(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail("date", f"date {value!r} is not a date", "write date = 2026-12-01")

    def paragraphs(self, value: Any) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.fail(
                "intro",
                "intro must be text or a list of paragraphs",
                'write intro = "..." or intro = ["first paragraph", "second paragraph"]',
            )
        found: list[str] = []
        for index, item in enumerate(items, start=1):
            key = "intro" if isinstance(value, str) else f"intro.{index}"
            if not isinstance(item, str) or not item.strip():
                raise self.fail(key, f"intro paragraph {index} must be non-empty text", "remove it or fill it in")
            found.extend(paragraph for _, paragraph in _blocks(item.replace("\r\n", "\n")))
        return tuple(found)


_BLOCK = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")


def _blocks(text: str) -> list[tuple[int, str]]:
    """(offset, paragraph) of each blank-line separated block; its lines joined with a space."""
    return [
        (match.start(), " ".join(part.strip() for part in match.group(0).split("\n")))
        for match in _BLOCK.finditer(text)
    ]


def parse_issue(text: str, path: Path) -> IssueSource:
    """Parse and validate an issue file's text (the article is not looked up here)."""
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem, line = toml_problem(exc)
        raise IngestError(
            f"not valid TOML: {problem}",
            path=path,
            line=line,
            hint="check the quotes, brackets and `key = value` syntax on that line",
        ) from None
    raw_lines = value_lines(text)
    lines = {key: line for key, line in raw_lines.items() if "#" not in key}
    reader = _Reader(data, path, lines)

    unknown = sorted(set(data) - set(KNOWN_KEYS))
    if unknown:
        raise reader.fail(unknown[0], f"unknown field {unknown[0]!r}", f"known fields: {', '.join(KNOWN_KEYS)}")
    for required in ("id", "date", "article", "subject", "preheader", "intro"):
        if required not in data:
            raise IngestError(
                f"missing field {required!r}",
                path=path,
                line=1,
                hint=f"add `{required} = ...` (see content/newsletters/ for an example)",
            )
    issue_id = reader.slug("id", data["id"])
    if issue_id != path.stem:
        raise reader.fail(
            "id",
            f"id {issue_id!r} does not match the file name {path.name!r}",
            f"rename the file to {issue_id}.toml or set id = {path.stem!r}",
        )
    subject = reader.text("subject", data["subject"], max_length=SUBJECT_MAX, single_line=True)
    preheader = reader.text("preheader", data["preheader"], max_length=PREHEADER_MAX, single_line=True)
    intro = reader.paragraphs(data["intro"])
    if isinstance(data["intro"], str):
        # One string: each paragraph's line follows from the newlines before it.
        start = raw_lines.get("intro#content", lines.get("intro", 1))
        body = data["intro"].replace("\r\n", "\n")
        for index, (offset, _) in enumerate(_blocks(body), start=1):
            lines[f"intro.{index}"] = start + body[:offset].count("\n")
    else:
        for index in range(1, len(intro) + 1):
            lines.setdefault(f"intro.{index}", lines.get("intro", 1))

    tips_raw = data.get("tips", [])
    if not isinstance(tips_raw, list) or not all(
        isinstance(t, int) and not isinstance(t, bool) for t in tips_raw
    ):
        raise reader.fail("tips", "tips must be a list of tip numbers", "write tips = [1, 2, 3] (1-based) or leave it out for all")
    if len(set(tips_raw)) != len(tips_raw):
        raise reader.fail("tips", "tips lists a tip twice", "list each tip number once")
    if "tips" in data and not tips_raw:
        # An empty list reads as "no tips" but would mean "every tip": ask which.
        raise reader.fail(
            "tips", "tips is empty", "list the tip numbers to feature, or leave tips out for all of them"
        )
    related_raw = data.get("related", [])
    if not isinstance(related_raw, list):
        raise reader.fail("related", "related must be a list of article slugs", 'write related = ["other-article"]')
    related = tuple(reader.slug(f"related.{i}", item) for i, item in enumerate(related_raw, start=1))
    if len(set(related)) != len(related):
        raise reader.fail("related", "related lists an article twice", "list each slug once")

    cta: CallToAction | None = None
    if "cta" in data:
        table = data["cta"]
        if not isinstance(table, dict):
            raise reader.fail("cta", "cta must be a table with label and url", '[cta]\nlabel = "..."\nurl = "https://..."')
        extra = sorted(set(table) - set(CTA_KEYS))
        if extra:
            raise reader.fail(f"cta.{extra[0]}", f"unknown cta field {extra[0]!r}", "cta has label and url")
        for key in CTA_KEYS:
            if key not in table:
                raise reader.fail("cta", f"cta needs a {key}", f'add {key} = "..." under [cta]')
        label = reader.text("cta.label", table["label"], single_line=True, max_length=60)
        if "{locale}" in label:
            # Only the url is filled in per language; the label is translated instead.
            raise reader.fail(
                "cta.label",
                "the cta label holds {locale}, which only the url fills in",
                "write the label in the source language; translators translate it per language",
            )
        url = reader.text("cta.url", table["url"], single_line=True)
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in url):
            raise reader.fail(
                "cta.url",
                f"cta url {url!r} is not an absolute https URL",
                "write the full address, e.g. https://example.org/page/",
            )
        unsafe = next((c for c in url.replace("{locale}", "") if c in _NOT_IN_URLS), None)
        if unsafe is not None:
            # Escaped in the HTML part, but the text part and mail clients' link detection
            # take the address as written: a quote or bracket ends it there.
            raise reader.fail(
                "cta.url",
                f"cta url {url!r} holds {unsafe!r}, which a URL cannot hold as is",
                f"write it percent-encoded ({quote(unsafe)}) or leave it out",
            )
        cta = CallToAction(label=label, url=url)

    issue = NewsletterIssue(
        id=issue_id,
        date=reader.date(data["date"]),
        article=reader.slug("article", data["article"]),
        subject=subject,
        preheader=preheader,
        intro=intro,
        cta=cta,
        tips=tuple(tips_raw),
        related=related,
    )
    return IssueSource(issue=issue, path=path, lines=lines)


def read_issue(path: Path) -> IssueSource:
    """Read and validate an issue file (see :func:`parse_issue`)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IngestError(
            "newsletter issue not found",
            path=path,
            hint="create it (see content/newsletters/ for an example) or check the issue id",
        ) from None
    except OSError as exc:
        raise IngestError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(
            "file is not UTF-8 text",
            path=path,
            line=raw[: exc.start].count(b"\n") + 1,
            hint="save it as UTF-8",
        ) from None
    return parse_issue(text, path)


# The issue with its article ---------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedIssue:
    """An issue, its featured article and the canonical articles it links as related."""

    source: IssueSource
    article: CanonicalArticle
    tip_numbers: tuple[int, ...]  # resolved: 1-based, in the order the issue lists them
    related_slugs: tuple[str, ...]  # resolved
    related_articles: dict[str, CanonicalArticle]  # related slugs that are canonical articles

    @property
    def issue(self) -> NewsletterIssue:
        return self.source.issue


def load_issue(newsletters_dir: Path, articles_dir: Path, issue_id: str) -> LoadedIssue:
    """Read ``<newsletters_dir>/<issue_id>.toml`` and check it against its article."""
    source = read_issue(issue_path(newsletters_dir, issue_id))
    issue = source.issue
    reader = _Reader({}, source.path, source.lines)
    article_file = canonical_path(articles_dir, issue.article)
    if not article_file.is_file():
        raise reader.fail(
            "article",
            f"article {issue.article!r} does not exist ({article_file} not found)",
            "use the slug of a file in content/articles/ (run `pubflow ingest` first)",
        )
    canonical = read_canonical(article_file)
    article = canonical.article
    count = len(article.tips)
    for index, number in enumerate(issue.tips, start=1):
        if not 1 <= number <= count:
            raise reader.fail(
                f"tips.{index}",
                f"tip {number} does not exist (the article has {count} tips)",
                f"use numbers from 1 to {count}",
            )
    tips = issue.tips or tuple(range(1, count + 1))
    own = {item.slug for item in article.related}
    related_articles: dict[str, CanonicalArticle] = {}
    slugs = issue.related or tuple(item.slug for item in article.related)
    for index, slug in enumerate(issue.related, start=1):
        candidate = canonical_path(articles_dir, slug)
        if candidate.is_file():
            related_articles[slug] = read_canonical(candidate)
        elif slug not in own:
            raise reader.fail(
                f"related.{index}",
                f"related article {slug!r} is neither in the article's related list nor in content/articles/",
                "use a slug from the article's `related` front matter or of an ingested article",
            )
    for slug in slugs:
        if slug not in related_articles:
            candidate = canonical_path(articles_dir, slug)
            if candidate.is_file():
                related_articles[slug] = read_canonical(candidate)
    return LoadedIssue(source, canonical, tips, slugs, related_articles)
