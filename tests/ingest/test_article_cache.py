"""load_articles with a cache file: the next process reads parsed articles instead of parsing,
and never a stale one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

import pubflow.ingest.canonical as canonical
from pubflow.ingest.canonical import load_articles, write_article
from pubflow.model import Article, Tip


def _article(slug: str, title: str) -> Article:
    return Article(
        slug=slug,
        lang="en",
        title=title,
        summary="A summary.",
        intro=("An intro paragraph.",),
        tips=(Tip("A tip", ("Its paragraph.",)),),
        date=dt.date(2026, 1, 1),
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    articles = tmp_path / "articles"
    for number in (1, 2, 3):
        write_article(_article(f"guide-{number}", f"Guide {number}"), articles)
    return articles


def _new_process(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Forget what this process parsed, and record every parse from now on."""
    monkeypatch.setattr(canonical, "_PARSED", {})
    parsed: list[Path] = []
    real = canonical.parse_canonical

    def counting(text: str, path: Path) -> canonical.CanonicalArticle:
        parsed.append(path)
        return real(text, path)

    monkeypatch.setattr(canonical, "parse_canonical", counting)
    return parsed


def test_the_next_process_reads_the_cache_and_gets_the_same_articles(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache" / "articles.pickle"
    plain = load_articles(folder)
    parsed = _new_process(monkeypatch)
    assert load_articles(folder, cache) == plain and len(parsed) == 3 and cache.is_file()
    parsed = _new_process(monkeypatch)
    assert load_articles(folder, cache) == plain
    assert parsed == []


def test_an_edited_added_or_removed_article_is_never_served_stale(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "articles.pickle"
    load_articles(folder, cache)
    write_article(_article("guide-2", "Guide two, edited"), folder)
    write_article(_article("guide-4", "Guide 4"), folder)
    (folder / "guide-1.md").unlink()
    parsed = _new_process(monkeypatch)
    titles = [c.article.title for c in load_articles(folder, cache)]
    assert titles == ["Guide two, edited", "Guide 3", "Guide 4"]
    assert sorted(path.name for path in parsed) == ["guide-2.md", "guide-4.md"]
    parsed = _new_process(monkeypatch)
    assert [c.article.title for c in load_articles(folder, cache)] == titles and parsed == []


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other code", "wrong shape"])
def test_a_damaged_or_foreign_cache_only_means_parsing(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    import pickle

    cache = tmp_path / "articles.pickle"
    expected = load_articles(folder, cache)
    if damage == "garbage":
        cache.write_bytes(b"not a pickle at all")
    elif damage == "truncated":
        cache.write_bytes(cache.read_bytes()[:40])
    elif damage == "other code":
        data = pickle.loads(cache.read_bytes())
        cache.write_bytes(pickle.dumps({**data, "code": "another pubflow"}))
    else:
        data = pickle.loads(cache.read_bytes())
        first = next(iter(data["articles"]))
        data["articles"][first] = dataclasses.replace(expected[0].article)  # not a CanonicalArticle
        cache.write_bytes(pickle.dumps(data))
    parsed = _new_process(monkeypatch)
    assert load_articles(folder, cache) == expected
    assert parsed  # parsed again instead of trusting it
    parsed = _new_process(monkeypatch)
    assert load_articles(folder, cache) == expected and parsed == []  # and rewritten


def test_readers_of_single_articles_take_them_from_the_cache(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a newsletter build does: its issues read a few articles one at a time.
    cache = tmp_path / "articles.pickle"
    plain = {c.path.name: c for c in load_articles(folder, cache)}
    write_article(_article("guide-2", "Guide two, edited"), folder)  # the cache is stale for it
    parsed = _new_process(monkeypatch)
    canonical.remember_cached_articles(folder, cache)
    assert parsed == []
    assert canonical.read_canonical(folder / "guide-1.md") == plain["guide-1.md"]
    assert canonical.read_canonical(folder / "guide-2.md").article.title == "Guide two, edited"
    assert [path.name for path in parsed] == ["guide-2.md"]  # only the edited one is parsed
    # A cache of another folder, or none at all, gives nothing.
    parsed = _new_process(monkeypatch)
    canonical.remember_cached_articles(tmp_path / "elsewhere", cache)
    canonical.remember_cached_articles(folder, tmp_path / "missing.pickle")
    canonical.read_canonical(folder / "guide-1.md")
    assert [path.name for path in parsed] == ["guide-1.md"]
