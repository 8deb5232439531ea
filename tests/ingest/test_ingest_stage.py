from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from ingest_seed import SEED

import pubflow.ingest.stage as stage
from pubflow.errors import IngestError
from pubflow.ingest import ingest, plan_ingest
from pubflow.ingest.canonical import read_canonical

DAY = dt.date(2026, 11, 25)
SLUG = "achieving-relief-with-ketamine-therapy"
SECOND = "A Second Post\n\nIntro.\n\nThe Tip\n\nIts text.\n"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    (folder / "second-post.txt").write_text(SECOND, encoding="utf-8")
    return folder


def test_writes_canonical_files_and_reingest_is_byte_identical(sources: Path, tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    paths = sorted(sources.iterdir())
    results = ingest(paths, articles, date=DAY)
    assert [(r.path.name, r.status) for r in results] == [
        (f"{SLUG}.md", "written"),
        ("second-post.md", "written"),
    ]
    canonical = articles / f"{SLUG}.md"
    first = canonical.read_bytes()
    stamp = canonical.stat().st_mtime_ns
    parsed = read_canonical(canonical).article
    assert parsed == results[0].article
    assert parsed.date == DAY

    again = ingest(paths, articles, date=dt.date(2030, 1, 1))  # an existing file keeps its date
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert canonical.read_bytes() == first
    assert canonical.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in articles.iterdir()) == [f"{SLUG}.md", "second-post.md"]


def test_date_defaults_to_today_and_markdown_keeps_its_own(tmp_path: Path) -> None:
    source = tmp_path / "post.txt"
    source.write_text(SECOND, encoding="utf-8")
    (result,) = ingest([source], tmp_path / "a")
    assert result.article.date == dt.date.today()
    md = tmp_path / "hand.md"
    md.write_text("---\nslug: hand\ntitle: T\nsummary: S\ndate: 2020-02-02\n---\n## Tips\n### H\nx\n")
    (result,) = ingest([md], tmp_path / "a", date=DAY)
    assert result.article.date == dt.date(2020, 2, 2)


def test_all_or_nothing_when_one_source_is_bad(sources: Path, tmp_path: Path) -> None:
    bad = sources / "zz-broken.txt"
    bad.write_bytes(b"Title\n\n\xff\xfe broken\n")
    articles = tmp_path / "articles"
    with pytest.raises(IngestError) as caught:
        ingest(sorted(sources.iterdir()), articles, date=DAY)
    assert caught.value.path == bad
    assert not articles.exists() or not any(articles.iterdir())


def test_hand_edit_is_refused_then_forced(sources: Path, tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    ingest([sources / SEED.name], articles, date=DAY)
    canonical = articles / f"{SLUG}.md"
    edited = canonical.read_text(encoding="utf-8").replace("Navigating the world", "Exploring the world")
    canonical.write_text(edited, encoding="utf-8")
    (sources / "second-post.txt").unlink()
    with pytest.raises(IngestError) as caught:
        ingest([sources / SEED.name], articles)
    assert caught.value.path == canonical
    assert "--force" in (caught.value.hint or "")
    assert canonical.read_text(encoding="utf-8") == edited

    (result,) = ingest([sources / SEED.name], articles, force=True)
    assert result.status == "written"
    assert "Exploring the world" not in canonical.read_text(encoding="utf-8")
    assert result.article.date == DAY  # the date of the edited file was kept


def test_a_conflict_anywhere_writes_nothing(sources: Path, tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    broken = articles / "second-post.md"
    broken.write_text("not a canonical file at all\n", encoding="utf-8")
    with pytest.raises(IngestError):
        ingest(sorted(sources.iterdir()), articles, date=DAY)
    assert not (articles / f"{SLUG}.md").exists()
    assert broken.read_text(encoding="utf-8") == "not a canonical file at all\n"


def test_two_sources_with_one_slug(tmp_path: Path) -> None:
    one = tmp_path / "one" / "twin.txt"
    two = tmp_path / "two" / "twin.txt"
    for path in (one, two):
        path.parent.mkdir()
        path.write_text(SECOND, encoding="utf-8")
    with pytest.raises(IngestError, match="same slug 'twin'"):
        ingest([one, two], tmp_path / "articles")
    # the same file named twice (overlapping globs) is read once
    assert len(plan_ingest([one, one], tmp_path / "articles")) == 1


def test_failed_write_puts_back_what_was_written(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = tmp_path / "articles"
    real = stage.atomic_write_bytes
    calls: list[Path] = []

    def flaky(path: Path, data: bytes) -> bool:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(stage, "atomic_write_bytes", flaky)
    with pytest.raises(IngestError) as caught:
        ingest(sorted(sources.iterdir()), articles, date=DAY)
    assert "No space left" in caught.value.message
    assert not (articles / f"{SLUG}.md").exists()  # the first write was undone


def test_no_paths() -> None:
    with pytest.raises(IngestError, match="no source files"):
        ingest([], Path("unused"))


def test_committed_canonical_file_is_what_ingest_writes(tmp_path: Path) -> None:
    committed = SEED.parents[1] / "articles" / f"{SLUG}.md"
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(committed, articles / committed.name)
    (result,) = ingest([SEED], articles, date=dt.date(1999, 1, 1))
    assert result.status == "unchanged"
    assert result.article.date == DAY
    assert (articles / committed.name).read_bytes() == committed.read_bytes()


def test_keep_edited_leaves_hand_edits_and_writes_the_rest(sources: Path, tmp_path: Path) -> None:
    """`publish` re-ingests every source: a marketer's edit survives it, and new sources land."""
    articles = tmp_path / "articles"
    seed = sources / SEED.name
    [first] = ingest([seed], articles, date=DAY)
    edited = first.path.read_text(encoding="utf-8").replace("In conclusion,", "To conclude,")
    first.path.write_text(edited, encoding="utf-8")
    with pytest.raises(IngestError):
        ingest(sorted(sources.iterdir()), articles, date=DAY)
    results = ingest(sorted(sources.iterdir()), articles, date=DAY, keep_edited=True)
    assert {r.path.name: r.status for r in results} == {
        f"{SLUG}.md": "kept",
        "second-post.md": "written",
    }
    assert first.path.read_text(encoding="utf-8") == edited


def test_an_article_read_again_is_parsed_once_and_an_edit_always_shows(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import pubflow.ingest.canonical as canonical

    ingest(sorted(sources.iterdir()), tmp_path / "articles", lang="en")
    path = next((tmp_path / "articles").glob("*.md"))
    monkeypatch.setattr(canonical, "_PARSED", {})
    parses: list[Path] = []
    real_parse = canonical.parse_canonical
    monkeypatch.setattr(
        canonical, "parse_canonical", lambda text, where: parses.append(where) or real_parse(text, where)
    )
    first = read_canonical(path)
    assert read_canonical(path) is first  # every stage of a build reads it: one parse
    # Same size, same modification time, other words: the content is the key, not the stat.
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    title = first.article.title
    edited = text.replace(title, title[::-1], 1)
    assert len(edited.encode()) == before.st_size and edited != text
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert read_canonical(path).article.title == title[::-1]
    assert len(parses) == 2


def _many_sources(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for number in range(count):
        path = folder / f"post-{number:03d}.txt"
        path.write_text(SECOND.replace("A Second Post", f"Post number {number}"), encoding="utf-8")
        paths.append(path)
    return paths


def test_many_sources_read_by_workers_give_what_one_process_gives(tmp_path: Path) -> None:
    paths = _many_sources(tmp_path / "sources", 70)
    outcomes = {}
    for workers in (1, 2):
        articles = tmp_path / f"articles-{workers}"
        read: list[Path] = []
        results = ingest(paths, articles, date=DAY, workers=workers, on_read=read.append)
        files = {p.name: p.read_bytes() for p in sorted(articles.iterdir())}
        outcomes[workers] = ([(r.source, r.article, r.status) for r in results], files, sorted(read))
    assert outcomes[1] == outcomes[2]
    assert len(outcomes[2][1]) == 70 and outcomes[2][2] == paths


def test_with_workers_the_first_bad_source_in_order_is_the_one_reported(tmp_path: Path) -> None:
    paths = _many_sources(tmp_path / "sources", 70)
    for late in (paths[5], paths[60]):  # two bad sources, read by different workers
        late.write_bytes(b"Title\n\n\xff\xfe broken\n")
    twin = tmp_path / "elsewhere" / "post-030.txt"  # a file name that is a slug is the slug
    twin.parent.mkdir()
    twin.write_text(SECOND, encoding="utf-8")
    for workers in (1, 2):
        articles = tmp_path / f"articles-{workers}"
        with pytest.raises(IngestError) as caught:
            ingest(paths, articles, date=DAY, workers=workers)
        assert caught.value.path == paths[5]
        assert not articles.exists()
        paths_without_bad = [p for p in paths if p not in (paths[5], paths[60])] + [twin]
        with pytest.raises(IngestError, match="same slug 'post-030'"):
            ingest(paths_without_bad, articles, date=DAY, workers=workers)
        assert not articles.exists()


def test_the_articles_ingest_wrote_are_read_back_without_parsing_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pubflow.ingest.canonical as canonical

    paths = _many_sources(tmp_path / "sources", 40)
    articles = tmp_path / "articles"
    ingest(paths[:1], articles, date=DAY)
    kept = articles / "post-000.md"
    kept.write_text(kept.read_text(encoding="utf-8").replace("Its text.", "Edited by hand."), encoding="utf-8")
    parses: list[Path] = []
    real_parse = canonical.parse_canonical
    monkeypatch.setattr(canonical, "_PARSED", {})
    monkeypatch.setattr(
        canonical, "parse_canonical", lambda text, where: parses.append(where) or real_parse(text, where)
    )
    results = ingest(paths, articles, date=DAY, workers=2, keep_edited=True)
    assert sorted({r.status for r in results}) == ["kept", "written"]
    parses.clear()  # what the build process parsed while ingesting (nothing, with workers)
    for result in results:
        read = read_canonical(result.path)
        assert read == real_parse(result.path.read_text(encoding="utf-8"), result.path)
    # Only the hand-edited file is parsed: it holds other bytes than the worker read back.
    assert parses == [kept]
