"""The canonical article file: Markdown with YAML front matter, written and read back exactly.

``content/articles/<slug>.md`` is what marketers edit and what extraction reads::

    ---
    slug: my-article
    lang: en
    title: 'My Article: 3 Tips'
    summary: One or two sentences for teasers and meta descriptions.
    date: '2026-11-25'
    image: null
    related:
    - title: Another Article
      slug: another-article
      image: null
    ---

    Intro paragraph.

    ## Tips

    ### First tip heading

    Paragraph of the first tip.

    ## FAQ

    ### A question?

    Its answer.

    ## Conclusion

    Closing paragraph.

Paragraphs are plain text (inline Markdown is not interpreted, so translators see exactly what
readers see); one paragraph per line as written, lines of one paragraph joined with a space when
read. A paragraph that would start with ``#`` or ``\\`` is written with a leading backslash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pubflow.errors import IngestError
from pubflow.fsutil import atomic_write_text, validate_slug
from pubflow.ingest.decode import first_control_character
from pubflow.model import (
    Article,
    FaqEntry,
    RelatedArticle,
    Tip,
    check_article_slug,
    check_image,
)

if TYPE_CHECKING:
    import yaml

# PyYAML is imported on first use (~30 ms of a process's start): a rebuild with no changed
# article never parses or writes front matter.

_SECTION_NAMES = {
    "tips": "tips",
    "faq": "faq",
    "frequently asked questions": "faq",
    "conclusion": "conclusion",
}
_FRONT_KEYS = ("slug", "lang", "title", "summary", "date", "image", "related")
_RELATED_KEYS = ("title", "slug", "image")
_HEADING_LINE = re.compile(r"^#{1,6}(?:\s|$)")
# "### Heading" with an optional closing sequence, which needs a space before it ("C#" stays).
_HEADING = re.compile(r"^(#{2,3})\s+(.*?)(?:\s+#+)?\s*$")


@dataclass(frozen=True)
class CanonicalArticle:
    """An article read from its canonical file, with the line of every translatable string.

    ``lines`` maps a field key to its 1-based line: ``title``, ``summary``, ``intro.N``,
    ``tip.N.heading``, ``tip.N.paragraph.M``, ``faq.N.question``, ``faq.N.answer.M``,
    ``conclusion.N``, ``related.N.title`` (all numbers 1-based).
    """

    article: Article
    path: Path
    lines: dict[str, int]


def canonical_path(articles_dir: Path, slug: str) -> Path:
    """Where the canonical file of ``slug`` lives."""
    return articles_dir / f"{validate_slug(slug)}.md"


def _escape(paragraph: str) -> str:
    return "\\" + paragraph if paragraph.startswith(("#", "\\")) else paragraph


def _unescape(paragraph: str) -> str:
    return paragraph[1:] if paragraph.startswith(("\\#", "\\\\")) else paragraph


def _heading(level: str, text: str) -> str:
    # A heading ending in " #" would lose it as a closing sequence: add one to be stripped.
    return f"{level} {text} #" if re.search(r"\s#+$", text) else f"{level} {text}"


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Plain and single-quoted scalars fold YAML line breaks (NEL, U+2028, U+2029) away;
    # double quotes escape them.
    style = '"' if any(c in value for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


@lru_cache(maxsize=None)
def _yaml_classes() -> tuple[type[yaml.SafeLoader], type[yaml.SafeDumper], type[yaml.SafeDumper] | None]:
    """The front matter's loader, its pure-Python dumper and its libyaml dumper (if any).

    The loader is libyaml's safe loader when PyYAML was built with it: ~10x faster, and every
    stage loads articles. Both dumpers double-quote text holding YAML line breaks.
    """
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    pure = type("_FrontMatterDumper", (yaml.SafeDumper,), {})
    pure.add_representer(str, _represent_text)
    fast: type[yaml.SafeDumper] | None = None
    c_dumper: type[yaml.SafeDumper] | None = getattr(yaml, "CSafeDumper", None)
    if c_dumper is not None:
        # libyaml's emitter writes the same bytes as PyYAML's for these settings (checked on
        # every repo and benchmark article and on random text in the tests), ~6x faster, except
        # that it escapes characters beyond U+FFFF ("\U0001F600") where PyYAML writes them as
        # they are: front matter holding any of those keeps the pure-Python dumper.
        fast = type("_FastFrontMatterDumper", (c_dumper,), {})
        fast.add_representer(str, _represent_text)
    return loader, pure, fast


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _front_matter_dumper(front: Mapping[str, Any]) -> type[yaml.SafeDumper]:
    _, pure, fast = _yaml_classes()
    if fast is None or any(_ASTRAL.search(text) for text in _texts(front)):
        return pure
    return fast


def dump_article(article: Article) -> str:
    """The canonical text of ``article`` (deterministic: same article, same bytes)."""
    front: dict[str, Any] = {
        "slug": article.slug,
        "lang": article.lang,
        "title": article.title,
        "summary": article.summary,
        "date": article.date.isoformat() if article.date else None,
        "image": article.image,
        "related": [{"title": r.title, "slug": r.slug, "image": r.image} for r in article.related],
    }
    import yaml

    header = yaml.dump(
        front,
        Dumper=_front_matter_dumper(front),
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
        default_flow_style=False,
    )
    blocks: list[str] = [_escape(p) for p in article.intro]
    if article.tips:
        blocks.append("## Tips")
        for tip in article.tips:
            blocks.append(_heading("###", tip.heading))
            blocks.extend(_escape(p) for p in tip.paragraphs)
    if article.faq:
        blocks.append("## FAQ")
        for entry in article.faq:
            blocks.append(_heading("###", entry.question))
            blocks.extend(_escape(p) for p in entry.answer)
    if article.conclusion:
        blocks.append("## Conclusion")
        blocks.extend(_escape(p) for p in article.conclusion)
    return f"---\n{header}---\n\n" + "\n\n".join(blocks) + "\n"


def write_article(article: Article, articles_dir: Path) -> tuple[Path, bool]:
    """Write the canonical file atomically; returns (path, whether the bytes changed)."""
    path = canonical_path(articles_dir, article.slug)
    return path, atomic_write_text(path, dump_article(article))


def _paragraph_blocks(lines: list[str], first_line: int) -> Iterator[tuple[int, str]]:
    """(line number, text) of each blank-line separated block; lines joined with a space."""
    start: int | None = None
    buffer: list[str] = []
    for offset, raw in enumerate([*lines, ""]):
        text = raw.strip()
        if text and buffer and _HEADING_LINE.match(text):
            # A heading interrupts a paragraph (as in CommonMark), even without a blank line.
            assert start is not None
            yield start, " ".join(buffer)
            start, buffer = None, []
        if text:
            if start is None:
                start = first_line + offset
            buffer.append(text)
            # A heading always stands alone, even without a blank line after it.
            if text.startswith("#") and len(buffer) == 1:
                yield start, text
                start, buffer = None, []
        elif buffer:
            assert start is not None
            yield start, " ".join(buffer)
            start, buffer = None, []


class _UnreadableValue(ValueError):
    """A value YAML parsed but could not build (``date: 2026-13-45``), with the node tree."""

    def __init__(self, cause: Exception, node: yaml.Node) -> None:
        super().__init__(str(cause))
        self.node = node


def _load_front_matter(text: str) -> tuple[Any, yaml.Node | None]:
    """The front matter's data and its node tree, from one parse (``yaml.load`` plus
    ``yaml.compose`` would parse every article twice on each build that reads them)."""
    loader = _yaml_classes()[0](text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        try:
            return loader.construct_document(node), node
        except (ValueError, TypeError, OverflowError) as exc:
            # PyYAML builds dates itself: `date: 2026-13-45` escapes as a bare ValueError.
            raise _UnreadableValue(exc, node) from None
    finally:
        loader.dispose()


def _repeated_key(node: yaml.Node | None, first_line: int) -> tuple[str, int, int] | None:
    """(key, first line, repeated line) of a key written twice in the front matter, or in one
    related entry: YAML keeps the last silently, so an edit above it would not show."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return None
    mappings = [node]
    for key_node, value_node in node.value:
        if key_node.value == "related" and isinstance(value_node, yaml.SequenceNode):
            mappings += [item for item in value_node.value if isinstance(item, yaml.MappingNode)]
    for mapping in mappings:
        seen: dict[object, int] = {}
        for key_node, _ in mapping.value:
            line = first_line + key_node.start_mark.line
            if key_node.value in seen:
                return str(key_node.value), seen[key_node.value], line
            seen[key_node.value] = line
    return None


def _line_of_unreadable(node: yaml.Node, first_line: int) -> int:
    """The line of the value PyYAML could not build: a date-looking value (``2026-13-45``: the
    only kind PyYAML builds itself and can fail on), else the front matter's first line."""
    import yaml

    constructor = yaml.constructor.SafeConstructor()
    for _, value_node in node.value if isinstance(node, yaml.MappingNode) else ():
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":timestamp"):
            try:
                constructor.construct_yaml_timestamp(value_node)
            except (ValueError, TypeError, OverflowError):
                return first_line + value_node.start_mark.line
    return first_line


def _front_matter_lines(node: yaml.Node | None, first_line: int) -> dict[str, int]:
    """Line of each front-matter value (every field, related.N.title and related.N.image)."""
    import yaml

    found: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return found
    for key_node, value_node in node.value:
        key = key_node.value
        if isinstance(key, str):
            found.setdefault(key, first_line + value_node.start_mark.line)
        if key == "related" and isinstance(value_node, yaml.SequenceNode):
            for index, item in enumerate(value_node.value, start=1):
                if isinstance(item, yaml.MappingNode):
                    for item_key, item_value in item.value:
                        if item_key.value in ("title", "image"):
                            found[f"related.{index}.{item_key.value}"] = (
                                first_line + item_value.start_mark.line
                            )
    return found


def _control_error(found: re.Match[str], what: str, path: Path, line: int) -> IngestError:
    return IngestError(
        f"{what} holds the control character U+{ord(found.group()):04X}",
        path=path,
        line=line,
        hint="delete it (often a copy-paste accident): pages, feeds and emails cannot carry it",
    )


def _require_text(value: Any, field: str, path: Path, line: int) -> str:
    if isinstance(value, (bool, int, float, dt.date)):
        # YAML reads `title: yes` as true and `title: 2026` as a number: text needs quotes.
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        raise IngestError(
            f"front matter field {field!r} must be text, but YAML reads {shown!r} as a "
            f"{'yes/no value' if isinstance(value, bool) else 'number' if not isinstance(value, dt.date) else 'date'}",
            path=path,
            line=line,
            hint=f"put the value in quotes: `{field}: '...'`",
        )
    if not isinstance(value, str) or not value.strip():
        raise IngestError(
            f"front matter field {field!r} must be non-empty text",
            path=path,
            line=line,
            hint=f"write `{field}: ...` in the front matter",
        )
    # YAML escapes ("\x1b") make control characters the raw-text check below cannot see.
    found = first_control_character(value)
    if found is not None:
        raise _control_error(found, f"front matter field {field!r}", path, line)
    return value.strip()


def _optional_text(value: Any, field: str, path: Path, line: int) -> str | None:
    if value is None:
        return None
    return _require_text(value, field, path, line)


def _parse_date(value: Any, path: Path, line: int) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    shown = value.isoformat() if isinstance(value, dt.datetime) else value
    raise IngestError(
        f"front matter date {shown!r} is not a date", path=path, line=line, hint="use YYYY-MM-DD"
    )


def parse_canonical(text: str, path: Path) -> CanonicalArticle:
    """Parse canonical text (see the module docstring); errors name ``path`` and the line."""
    import yaml

    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    found = first_control_character(text)
    if found is not None:  # a hand edit; ingest refuses these in sources the same way
        raise _control_error(found, "file", path, text.count("\n", 0, found.start()) + 1)
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise IngestError(
            "missing front matter", path=path, line=1, hint="start the file with a line `---`"
        )
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise IngestError(
            "front matter is not closed", path=path, line=1, hint="end it with a line `---`"
        ) from None
    front_text = "\n".join(lines[1:end])
    try:
        front, node = _load_front_matter(front_text)
        front = front or {}
        where = _front_matter_lines(node, 2)
    except _UnreadableValue as exc:
        line = _line_of_unreadable(exc.node, 2)
        raise IngestError(
            f"front matter holds a value that cannot be read: {exc}",
            path=path,
            line=line,
            hint="check the dates (YYYY-MM-DD) and numbers in the front matter",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise IngestError(
            f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}",
            path=path,
            line=min(mark.line + 2, end) if mark else 2,  # never past the front matter
            hint="check quoting and indentation",
        ) from None
    if not isinstance(front, dict):
        raise IngestError("front matter must be a mapping of fields", path=path, line=2)
    repeated = _repeated_key(node, 2)
    if repeated is not None:
        key, first, again = repeated
        raise IngestError(
            f"front matter field {key!r} is written twice (lines {first} and {again})",
            path=path,
            line=again,
            hint="keep one of them",
        )
    unknown = sorted(set(map(str, front)) - set(_FRONT_KEYS))
    if unknown:
        raise IngestError(
            f"unknown front matter field {unknown[0]!r}",
            path=path,
            line=2,
            hint=f"known fields: {', '.join(_FRONT_KEYS)}",
        )

    slug = _require_text(front.get("slug"), "slug", path, where.get("slug", 2))
    try:
        validate_slug(slug)
    except Exception as exc:  # ConfigError → IngestError with a location
        raise IngestError(str(exc), path=path, line=where.get("slug", 2)) from None
    check_article_slug(slug, path=path, line=where.get("slug", 2))
    title = _require_text(front.get("title"), "title", path, where.get("title", 2))
    summary = _require_text(front.get("summary"), "summary", path, where.get("summary", 2))
    lang = _require_text(front.get("lang", "en"), "lang", path, where.get("lang", 2))
    image = check_image(
        _optional_text(front.get("image"), "image", path, where.get("image", 2)),
        field="image",
        path=path,
        line=where.get("image", 2),
    )
    date = _parse_date(front.get("date"), path, where.get("date", 2))
    related_raw = front.get("related") or []
    if not isinstance(related_raw, list):
        raise IngestError(
            "related must be a list",
            path=path,
            line=where.get("related", 2),
            hint="write each related article as `- title: …` with `slug: …` below it",
        )
    related: list[RelatedArticle] = []
    first_of: dict[str, int] = {slug: 0}  # related slug → its entry's number (0: this article)
    for index, item in enumerate(related_raw, start=1):
        line = where.get(f"related.{index}.title", 2)
        if not isinstance(item, dict):
            raise IngestError(f"related entry {index} must have title and slug", path=path, line=line)
        unknown = sorted(str(key) for key in item if key not in _RELATED_KEYS)
        if unknown:
            raise IngestError(
                f"related[{index}] has the unknown field {unknown[0]!r}",
                path=path,
                line=line,
                hint=f"a related article has {', '.join(_RELATED_KEYS)}",
            )
        r_title = _require_text(item.get("title"), f"related[{index}].title", path, line)
        r_slug = _require_text(item.get("slug"), f"related[{index}].slug", path, line)
        try:
            validate_slug(r_slug)
        except Exception as exc:
            raise IngestError(str(exc), path=path, line=line) from None
        if r_slug in first_of:
            # Pages and emails find a related article by its slug: a second entry would show
            # the first one's card twice (or the article itself).
            raise IngestError(
                f"related[{index}] is this article itself ({r_slug!r})"
                if first_of[r_slug] == 0
                else f"related[{index}] lists {r_slug!r} again (related[{first_of[r_slug]}] has it)",
                path=path,
                line=line,
                hint="remove that entry",
            )
        first_of[r_slug] = index
        r_image = check_image(
            _optional_text(item.get("image"), f"related[{index}].image", path, line),
            field=f"related[{index}].image",
            path=path,
            line=where.get(f"related.{index}.image", line),
        )
        related.append(RelatedArticle(r_title, r_slug, r_image))

    line_of: dict[str, int] = {"title": where.get("title", 2), "summary": where.get("summary", 2)}
    line_of.update({k: v for k, v in where.items() if k.startswith("related.") and k.endswith(".title")})
    intro: list[str] = []
    tips: list[tuple[str, list[str]]] = []
    faq: list[tuple[str, list[str]]] = []
    conclusion: list[str] = []
    section = "intro"
    for number, block in _paragraph_blocks(lines[end + 1 :], end + 2):
        heading = _HEADING.match(block)
        if heading and len(heading.group(1)) == 2:
            name = heading.group(2).strip().lower()
            if name not in _SECTION_NAMES:
                raise IngestError(
                    f"unknown section {heading.group(2)!r}",
                    path=path,
                    line=number,
                    hint="sections are ## Tips, ## FAQ and ## Conclusion",
                )
            section = _SECTION_NAMES[name]
            continue
        if heading:
            title_text = heading.group(2).strip()
            if section == "tips":
                tips.append((title_text, []))
                line_of[f"tip.{len(tips)}.heading"] = number
            elif section == "faq":
                faq.append((title_text, []))
                line_of[f"faq.{len(faq)}.question"] = number
            else:
                raise IngestError(
                    "a ### heading is only allowed under ## Tips or ## FAQ",
                    path=path,
                    line=number,
                )
            continue
        if block.startswith("#"):
            raise IngestError(
                "a heading needs a space after the #",
                path=path,
                line=number,
                hint="write `### Heading`, or start the paragraph with \\# to keep the #",
            )
        paragraph = _unescape(block)
        if section == "intro":
            intro.append(paragraph)
            line_of[f"intro.{len(intro)}"] = number
        elif section == "conclusion":
            conclusion.append(paragraph)
            line_of[f"conclusion.{len(conclusion)}"] = number
        else:
            entries = tips if section == "tips" else faq
            if not entries:
                raise IngestError(
                    f"paragraph under ## {section.title()} before its first ### heading",
                    path=path,
                    line=number,
                )
            entries[-1][1].append(paragraph)
            kind = "tip" if section == "tips" else "faq"
            part = "paragraph" if section == "tips" else "answer"
            line_of[f"{kind}.{len(entries)}.{part}.{len(entries[-1][1])}"] = number

    if not tips:
        raise IngestError(
            "the article has no tips", path=path, line=end + 2, hint="add a ## Tips section"
        )
    for kind, entries in (("tip", tips), ("FAQ entry", faq)):
        for index, (heading_text, paragraphs) in enumerate(entries, start=1):
            if not paragraphs:
                key = f"tip.{index}.heading" if kind == "tip" else f"faq.{index}.question"
                raise IngestError(
                    f"{kind} {index} ({heading_text!r}) has no text",
                    path=path,
                    line=line_of[key],
                    hint="add a paragraph under the heading",
                )
    article = Article(
        slug=slug,
        lang=lang,
        title=title,
        summary=summary,
        intro=tuple(intro),
        tips=tuple(Tip(h, tuple(p)) for h, p in tips),
        faq=tuple(FaqEntry(q, tuple(a)) for q, a in faq),
        conclusion=tuple(conclusion),
        related=tuple(related),
        date=date,
        image=image,
    )
    return CanonicalArticle(article=article, path=path, lines=line_of)


def _read_raw(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise IngestError("file not found", path=path, hint="check the path") from None
    except OSError as exc:
        raise IngestError(f"cannot read file: {exc.strerror}", path=path) from None


def read_canonical(path: Path) -> CanonicalArticle:
    """Read a canonical article file; see :func:`parse_canonical`."""
    return _parsed(path, _read_raw(path))


def _parsed(path: Path, raw: bytes) -> CanonicalArticle:
    """``raw``, the bytes of ``path``, parsed (once per process for the same bytes)."""
    key = (str(path), raw)
    known = _PARSED.get(key)
    if known is not None:
        return known
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise IngestError(
            "file is not UTF-8 text", path=path, line=line, hint="save it as UTF-8"
        ) from None
    parsed = parse_canonical(text, path)
    remember_parsed(path, raw, parsed)
    return parsed


# Articles parsed in this process, by path and exact bytes. Every stage of a build reads the
# same articles (ingest checks dates, sync extracts, the site and each newsletter issue render):
# parsing them once instead of four times saved ~0.5 s of a 100-article build. Keyed by
# content, not by stat, so an edit is never missed; callers treat the result as read-only.
_PARSED: dict[tuple[str, bytes], CanonicalArticle] = {}
_PARSED_LIMIT = 2048


def load_articles(articles_dir: Path, cache: Path | None = None) -> list[CanonicalArticle]:
    """Every canonical article in ``articles_dir``, sorted by slug.

    ``cache``: a file that keeps the parsed articles for the next process, by path and
    SHA-256 of the bytes (so an edit is never missed). A translator's save re-renders every
    page of one language: parsing 100 articles again was ~50 ms of that rebuild; loading
    them from the cache is a few. A missing, damaged or foreign cache only means parsing.
    """
    paths = sorted(articles_dir.glob("*.md"))
    if cache is None:
        return _unique_slugs([read_canonical(path) for path in paths])
    raws = [(path, _read_raw(path)) for path in paths]
    keys = {path: (str(path), hashlib.sha256(raw).hexdigest()) for path, raw in raws}
    stored = _read_article_cache(cache)
    for path, raw in raws:
        known = stored.get(keys[path])
        if known is not None and (str(path), raw) not in _PARSED:
            remember_parsed(path, raw, known)
    articles = [_parsed(path, raw) for path, raw in raws]
    if set(stored) != set(keys.values()):  # an article was added, changed or removed
        _write_article_cache(cache, {keys[path]: article for path, article in zip(paths, articles)})
    return _unique_slugs(articles)


def _unique_slugs(articles: list[CanonicalArticle]) -> list[CanonicalArticle]:
    """``articles``, or IngestError when two of them claim one slug (a copied file, say).

    The slug names the article's catalogs and pages: a second article with it would take
    over the first one's catalogs (its changed strings turned fuzzy, reviewed translations
    lost) and write over its pages.
    """
    owners: dict[str, Path] = {}
    for item in articles:
        first = owners.setdefault(item.article.slug, item.path)
        if first != item.path:
            raise IngestError(
                f"slug {item.article.slug!r} is already the slug of {first.name}",
                path=item.path,
                line=_front_line(item.path, "slug"),
                hint="give this article its own slug (and name the file <slug>.md), or delete one of the two",
            )
    return articles


def check_languages(articles: list[CanonicalArticle], source_locale: str) -> None:
    """IngestError for an article whose ``lang`` is not the project's source language.

    Its text would be published as the source language's pages (and translated from), under
    the wrong ``lang``: after ``source_locale`` changed, say, or a ``lang:`` edited by hand.
    """
    for item in articles:
        if item.article.lang != source_locale:
            raise IngestError(
                f"the article is in {item.article.lang!r} but the project's source language "
                f"(source_locale) is {source_locale!r}",
                path=item.path,
                line=_front_line(item.path, "lang"),
                hint="fix the article's lang, or source_locale; articles are written in the source "
                "language (ingest them again with `pubflow ingest --force` after changing it)",
            )


def _front_line(path: Path, key: str) -> int | None:
    """The line of ``key:`` in an article's front matter (for error messages)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((n for n, line in enumerate(lines, start=1) if line.startswith(f"{key}:")), None)


ARTICLE_CACHE_NAME = "articles.pickle"
"""Under ``build/cache/``: the parsed articles :func:`load_articles` keeps for the next process."""


def remember_cached_articles(articles_dir: Path, cache: Path) -> None:
    """Let this process's readers take the articles ``cache`` keeps (see :func:`load_articles`)
    for the files of ``articles_dir`` that still hold the same bytes, without parsing any.

    For builds that read some articles one at a time (a newsletter issue reads its article
    and the related ones): parsing front matter costs ~1 ms an article, the cache a few ms in
    all. Nothing happens when the cache is missing, damaged or from another pubflow."""
    stored = _read_article_cache(cache)
    folder = str(articles_dir)
    for (name, sha), article in stored.items():
        path = Path(name)
        if str(path.parent) != folder:
            continue
        try:
            raw = path.read_bytes()
        except OSError:
            continue  # gone or unreadable: its reader says so
        if (name, raw) not in _PARSED and hashlib.sha256(raw).hexdigest() == sha:
            remember_parsed(path, raw, article)


def remember_parsed(path: Path, raw: bytes, parsed: CanonicalArticle) -> None:
    """Let this process's readers of ``path`` take ``parsed`` while the file holds ``raw``
    (what this process parsed, or what ingest wrote, parsed by the worker that produced it)."""
    if len(_PARSED) >= _PARSED_LIMIT:
        del _PARSED[next(iter(_PARSED))]  # the oldest: a long-lived process stays bounded
    _PARSED[(str(path), raw)] = parsed


def _read_article_cache(cache: Path) -> dict[tuple[str, str], CanonicalArticle]:
    """The articles :func:`_write_article_cache` kept, if written by this very pubflow."""
    import pickle

    from pubflow.fingerprint import code_fingerprint

    try:
        with cache.open("rb") as handle:
            data = pickle.load(handle)  # our own build/ cache, written below; never user input
    except Exception:  # noqa: BLE001 — missing, truncated, or from another Python: parse instead
        return {}
    if not isinstance(data, dict) or data.get("code") != code_fingerprint():
        return {}
    articles = data.get("articles")
    if not isinstance(articles, dict):
        return {}
    return {
        key: value for key, value in articles.items() if isinstance(value, CanonicalArticle)
    }


def _write_article_cache(cache: Path, articles: dict[tuple[str, str], CanonicalArticle]) -> None:
    import pickle

    from pubflow.fingerprint import code_fingerprint
    from pubflow.fsutil import atomic_write_bytes

    data = {"code": code_fingerprint(), "articles": articles}
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(cache, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL), durable=False)
    except OSError:
        pass  # only saves work next time
