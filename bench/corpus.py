"""A synthetic corpus for the benchmarks: many articles like the seed, fully translated.

:func:`build_corpus` makes a throw-away project (``templates/`` and ``pyproject.toml`` copied
from the repository, ``[tool.pubflow] locales`` replaced) holding:

* ``content/sources/<slug>.txt`` — articles in the scraped-text format of the seed, made of the
  seed's own paragraphs, shuffled and lightly varied (a phrase swapped here, two sentences
  swapped there), so the text repeats across articles about as much as a real blog repeats
  itself; each article lists ten related articles of the corpus;
* ``content/newsletters/<id>.toml`` — issues featuring articles spread over the corpus;
* ``content/articles/``, ``locales/*.pot`` — as ``pubflow`` writes them (ingest, extract);
* ``locales/<lang>/LC_MESSAGES/*.po`` — every entry *reviewed*, translated by a deterministic
  per-locale transform (letters mapped to another alphabet or shifted; placeholders, markup and
  URLs kept exactly, lengths kept so context length limits hold), so every check passes.

The same arguments give the same bytes (dates aside), so runs are comparable.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polib

from pubflow.config import Settings, load_settings
from pubflow.i18n.machine.masking import mask, split_whitespace, unmask
from pubflow.i18n.pofile import list_domains, po_path, read_catalog, write_catalog
from pubflow.ingest import ingest, read_source
from pubflow.locales import plural_count
from pubflow.model import Article

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "content" / "sources" / "achieving-relief-with-ketamine-therapy.txt"

TARGET_LOCALES = ("de", "es", "fr", "ar", "pt_BR", "it", "nl", "pl", "ja", "tr")
"""Ten target languages: left-to-right and right-to-left, 1 to 6 plural forms."""

CORPUS_DATE = dt.date(2026, 11, 25)

# Title parts: 10 goals x 10 means give 100 distinct titles (all announcing 3 tips).
_GOALS = (
    "Achieving Relief", "Finding Balance", "Building Resilience", "Easing Anxiety",
    "Restoring Sleep", "Healing Trauma", "Managing Expectations", "Sustaining Progress",
    "Preparing Your Mind", "Supporting Recovery",
)  # fmt: skip
_MEANS = (
    "With Ketamine Therapy", "Through Guided Sessions", "With Integration Practices",
    "Through Mindful Routines", "With Professional Support", "Through Honest Conversations",
    "With Daily Habits", "Through Careful Preparation", "With Creative Outlets",
    "Through Community Care",
)  # fmt: skip
_HEADINGS = (
    "Understanding Ketamine's Mechanism", "Preparing for Your Therapy Session",
    "Enhancing Long-Term Outcomes", "Setting Clear Intentions", "Building a Support Network",
    "Creating a Calm Environment", "Keeping a Reflection Journal", "Talking With Your Provider",
    "Caring for Your Body", "Tracking Changes Over Time", "Planning the Days After",
    "Choosing the Right Clinic",
)  # fmt: skip
# Phrase swaps that make near-duplicate paragraphs (and exercise fuzzy matching later).
_SWAPS = (
    ("ketamine therapy", "ketamine-assisted therapy"), ("we've", "we have"), ("crucial", "vital"),
    ("significantly", "markedly"), ("journey", "path"), ("sessions", "appointments"),
    ("benefits", "gains"), ("treatments", "therapies"), ("It's", "It is"),
    ("mental health", "emotional health"), ("relief", "comfort"), ("essential", "important"),
)  # fmt: skip
_SUBJECTS = (
    "Three ways to get more from your sessions", "What helps before, during and after",
    "Small habits that make relief last", "How to prepare for your first session",
    "Questions our readers asked this month", "Making room for recovery",
    "Why support matters after treatment", "A calmer start to the new year",
    "What we learned from your stories", "Steps that keep progress going",
)  # fmt: skip
_RELATED_FILLERS = (
    "Why Use Ketamine for Forgiveness in Trauma Recovery?",
    "Utilizing Ketamine Infusion for Intergenerational Trauma Healing",
    "What Role Does Ketamine Play in Trauma Processing?",
    "Unlocking Trauma Recovery With Ketamine Therapy",
    "Why Consider Ketamine Infusion Therapy for Trauma Release?",
    "Enhancing Trauma Recovery With Ketamine: a Guide",
    "10 Best Strategies for Emotional Regulation With Ketamine",
    "5 Tips for Empowering Trauma Healing With Ketamine",
    "Maximizing Trauma Integration With Ketamine Therapy: 5 Tips",
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass(frozen=True)
class CorpusSpec:
    """How big a corpus to make."""

    articles: int = 100
    locales: tuple[str, ...] = TARGET_LOCALES
    issues: int = 10
    seed: int = 20261125


@dataclass
class Corpus:
    """A generated project and what it holds."""

    root: Path
    spec: CorpusSpec
    slugs: list[str]
    issues: list[str]
    strings: int = 0  # source strings over every domain (an entry per domain it appears in)
    distinct: int = 0  # distinct source strings
    catalogs: int = 0  # .po files written
    entries: int = 0  # translated entries over every .po
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return load_settings(self.root)

    @property
    def repetition(self) -> float:
        """Source strings per distinct string: how much the corpus repeats itself."""
        return self.strings / self.distinct if self.distinct else 0.0

    @property
    def languages(self) -> int:
        return len(self.spec.locales) + 1


# --- text -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pools:
    intro: tuple[str, ...]
    tip: tuple[str, ...]
    answer: tuple[str, ...]
    question: tuple[str, ...]
    conclusion: tuple[str, ...]


def _pools(seed: Article) -> _Pools:
    return _Pools(
        intro=seed.intro,
        tip=tuple(p for tip in seed.tips for p in tip.paragraphs),
        answer=tuple(p for entry in seed.faq for p in entry.answer),
        question=tuple(entry.question for entry in seed.faq),
        conclusion=seed.conclusion,
    )


def _vary(text: str, rng: random.Random, sentences: tuple[str, ...] = ()) -> str:
    """A paragraph like ``text``: itself, a near-duplicate, or seed sentences recombined.

    The mix (35% verbatim, 25% one phrase swapped or two sentences swapped, 40% a new paragraph
    of 2-5 seed sentences of the same kind) gives a corpus that repeats itself about as much as
    a real blog: whole paragraphs recur, most do not.
    """
    roll = rng.random()
    if roll < 0.35:
        return text
    if roll < 0.6 or not sentences:
        swaps = [pair for pair in _SWAPS if pair[0] in text]
        if swaps and rng.random() < 0.6:
            old, new = rng.choice(swaps)
            return text.replace(old, new, 1)
        parts = _SENTENCE.split(text)
        if len(parts) > 1:
            i = rng.randrange(len(parts) - 1)
            parts[i], parts[i + 1] = parts[i + 1], parts[i]
            return " ".join(parts)
        return text
    return " ".join(rng.sample(sentences, min(len(sentences), rng.randint(2, 5))))


def _sentences(pool: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for text in pool for s in _SENTENCE.split(text)))


def _pick(pool: tuple[str, ...], count: int, rng: random.Random) -> list[str]:
    sentences = _sentences(pool)
    return [_vary(text, rng, sentences) for text in rng.sample(pool, min(count, len(pool)))]


def _question(text: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return text
    return text.replace("Ketamine Therapy", rng.choice(("Ketamine Treatment", "Ketamine Care")), 1)


def _teaser(intro: list[str], title: str) -> str:
    """The scraper's teaser: intro glued without spaces, cut mid-sentence, "Continue reading"."""
    glued = "".join(intro)
    cut = glued[:300].rsplit(" ", 1)[0]
    return f"{cut}… Continue reading {title}"


@dataclass(frozen=True)
class _Planned:
    slug: str
    title: str
    text: str


def _titles(count: int) -> list[str]:
    titles = [f"{goal} {means}: 3 Tips" for means in _MEANS for goal in _GOALS]
    if count > len(titles):
        raise ValueError(f"at most {len(titles)} articles")
    return titles[:count]


def _slug(title: str) -> str:
    from slugify import slugify

    return slugify(title)


def _source_text(title: str, others: list[str], pools: _Pools, rng: random.Random) -> str:
    intro = _pick(pools.intro, rng.randint(3, 5), rng)
    blocks: list[str] = [title, _teaser(intro, title), "no image", "", *intro]
    for heading in rng.sample(_HEADINGS, 3):
        blocks += [heading, *_pick(pools.tip, rng.randint(2, 4), rng)]
    blocks.append("Frequently Asked Questions")
    for question in rng.sample(pools.question, rng.randint(3, 5)):
        blocks += [_question(question, rng), *_pick(pools.answer, rng.randint(1, 3), rng)]
    conclusion = [pools.conclusion[0], *_pick(pools.conclusion[1:], rng.randint(1, 2), rng)]
    blocks += conclusion
    related = rng.sample(others, min(10, len(others)))
    related += list(_RELATED_FILLERS[: 10 - len(related)])
    lines = "\n\n".join(blocks).replace("\n\n\n\n", "\n\n")
    pairs = "\n".join(f"no image\n{name}" for name in related)
    return f"{lines}\n\n{pairs}\n"


def plan_sources(spec: CorpusSpec) -> list[_Planned]:
    """Every article's source text (deterministic for a spec)."""
    seed = read_source(SEED)
    pools = _pools(seed)
    titles = _titles(spec.articles)
    planned = []
    for index, title in enumerate(titles):
        rng = random.Random(f"{spec.seed}/article/{index}")
        others = [t for t in titles if t != title]
        planned.append(_Planned(_slug(title), title, _source_text(title, others, pools, rng)))
    return planned


def _issue_toml(issue_id: str, day: dt.date, article: str, index: int, pools: _Pools) -> str:
    rng = random.Random(f"issue/{issue_id}")
    subject = _SUBJECTS[index % len(_SUBJECTS)]
    preheader = _vary(pools.intro[index % len(pools.intro)], rng)[:120].rsplit(" ", 1)[0] + "…"
    intro = [_vary(p, rng) for p in rng.sample(pools.intro, 2)]

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return (
        f"id = {quoted(issue_id)}\n"
        f"date = {day.isoformat()}\n"
        f"article = {quoted(article)}\n"
        f"subject = {quoted(subject)}\n"
        f"preheader = {quoted(preheader)}\n"
        f"intro = [{', '.join(quoted(p) for p in intro)}]\n"
    )


# --- translations -----------------------------------------------------------------------------

_LATIN = "abcdefghijklmnopqrstuvwxyz"
_ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنه"
_KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハ"


def _table(locale: str) -> dict[int, str]:
    """A letter mapping for ``locale``: another script for ar and ja, a Caesar shift otherwise."""
    language = locale.split("_")[0]
    if language == "ar":
        return str.maketrans(_LATIN + _LATIN.upper(), _ARABIC + _ARABIC)
    if language == "ja":
        return str.maketrans(_LATIN + _LATIN.upper(), _KATAKANA + _KATAKANA)
    shift = 1 + sum(map(ord, locale)) % 24
    rotated = _LATIN[shift:] + _LATIN[:shift]
    return str.maketrans(_LATIN + _LATIN.upper(), rotated + rotated.upper())


def fake_translation(text: str, locale: str) -> str:
    """A deterministic stand-in translation: same length, placeholders/markup/URLs untouched."""
    leading, core, trailing = split_whitespace(text)
    if not core:
        return text
    masked = mask(core)
    return leading + unmask(masked.text.translate(_table(locale)), masked) + trailing


def translate_catalog(po: polib.POFile, locale: str) -> int:
    """Make every live entry of ``po`` reviewed with :func:`fake_translation`; returns how many."""
    count = plural_count(locale)
    done = 0
    for entry in po:
        if entry.obsolete or not entry.msgid:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {
                index: fake_translation(
                    entry.msgid if index == 0 and count > 1 else entry.msgid_plural, locale
                )
                for index in range(count)
            }
        else:
            entry.msgstr = fake_translation(entry.msgid, locale)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgctxt = entry.previous_msgid_plural = None
        done += 1
    return done


# --- the project ------------------------------------------------------------------------------


def _pyproject(locales: tuple[str, ...]) -> str:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    wanted = "locales = [" + ", ".join(f'"{code}"' for code in locales) + "]"
    head, table, rest = text.partition("[tool.pubflow]")
    if not table:
        raise RuntimeError("pyproject.toml has no [tool.pubflow] table")
    rest, found = re.subn(r"(?m)^locales\s*=\s*\[[^\]]*\]", wanted, rest, count=1)
    if not found:
        rest = f"\n{wanted}" + rest
    return head + table + rest


def write_project(root: Path, spec: CorpusSpec) -> tuple[list[_Planned], list[str]]:
    """Templates, settings, sources and issue files (no articles or catalogs yet)."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copytree(REPO / "templates", root / "templates")
    if (REPO / "babel.cfg").is_file():
        shutil.copy(REPO / "babel.cfg", root / "babel.cfg")
    (root / "pyproject.toml").write_text(_pyproject(spec.locales), encoding="utf-8")
    sources = root / "content" / "sources"
    sources.mkdir(parents=True)
    planned = plan_sources(spec)
    for item in planned:
        (sources / f"{item.slug}.txt").write_text(item.text, encoding="utf-8")
    newsletters = root / "content" / "newsletters"
    newsletters.mkdir(parents=True)
    pools = _pools(read_source(SEED))
    issues = []
    for index in range(spec.issues):
        issue_id = f"{2027 + index // 12}-{index % 12 + 1:02d}"
        article = planned[(index * len(planned)) // max(spec.issues, 1)].slug
        day = dt.date(2027 + index // 12, index % 12 + 1, 1)
        (newsletters / f"{issue_id}.toml").write_text(
            _issue_toml(issue_id, day, article, index, pools), encoding="utf-8"
        )
        issues.append(issue_id)
    return planned, issues


def _count_strings(settings: Settings) -> tuple[int, int]:
    """(source strings over every template, distinct source strings)."""
    counts: Counter[str] = Counter()
    for domain in list_domains(settings):
        pot = read_catalog(settings.locales_path / f"{domain}.pot")
        counts.update(entry.msgid for entry in pot if entry.msgid and not entry.obsolete)
    return sum(counts.values()), len(counts)


def translate_all(settings: Settings, locales: tuple[str, ...]) -> tuple[int, int]:
    """Translate every catalog of ``locales`` in place; returns (catalogs, entries)."""
    catalogs = entries = 0
    for locale in locales:
        for domain in list_domains(settings):
            path = po_path(settings, locale, domain)
            po = read_catalog(path)
            entries += translate_catalog(po, locale)
            write_catalog(po, path)
            catalogs += 1
    return catalogs, entries


def build_corpus(root: Path, spec: CorpusSpec | None = None, *, translate: bool = True) -> Corpus:
    """Generate the project at ``root`` (replaced if present); see the module docstring."""
    from pubflow.i18n.sync import sync_catalogs

    spec = spec or CorpusSpec()
    planned, issues = write_project(root, spec)
    settings = load_settings(root)
    results = ingest(
        sorted(settings.sources_path.glob("*.txt")),
        settings.articles_path,
        date=CORPUS_DATE,
        lang=settings.source_locale,
    )
    _check_ingested(planned, [r.article for r in results])
    sync_catalogs(settings, compile=False)
    corpus = Corpus(root, spec, [p.slug for p in planned], issues)
    corpus.strings, corpus.distinct = _count_strings(settings)
    if translate:
        corpus.catalogs, corpus.entries = translate_all(settings, spec.locales)
    return corpus


def _check_ingested(planned: list[_Planned], articles: list[Article]) -> None:
    """The text reader must see what we generated: 3 tips, a FAQ, ten related articles."""
    by_slug = {article.slug: article for article in articles}
    for item in planned:
        article = by_slug.get(item.slug)
        if article is None or len(article.tips) != 3 or not article.faq or len(article.related) != 10:
            shape = (
                (len(article.tips), len(article.faq), len(article.related)) if article else None
            )
            raise RuntimeError(f"corpus article {item.slug} was read back as {shape}")
