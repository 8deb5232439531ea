"""Ingesting again skips the sources whose bytes and canonical file did not change.

Reads are counted by wrapping the stage's reader (never by timing).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

import pubflow.ingest.stage as stage
import pubflow.fingerprint as fingerprint
from pubflow.config import Settings, load_settings
from pubflow.errors import IngestError
from pubflow.ingest import ingest
from pubflow.model import Article, FaqEntry, RelatedArticle, Tip

SECOND = "A Second Post\n\nIntro.\n\nThe Tip\n\nIts text.\n"
DAY = dt.date(2026, 11, 25)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the sources the stage actually read (parsed)."""
    seen: list[str] = []
    real = stage.read_source

    def spy(path: Path, **kwargs: Any) -> Any:
        seen.append(Path(path).name)
        return real(path, **kwargs)

    monkeypatch.setattr(stage, "read_source", spy)
    yield seen


@pytest.fixture
def project_settings(project: Path) -> Settings:
    (project / "content" / "sources" / "second-post.txt").write_text(SECOND, encoding="utf-8")
    return load_settings(project)


def _sources(settings: Settings) -> list[Path]:
    return sorted(settings.sources_path.iterdir())


def _ingest(settings: Settings, **options: Any) -> list[stage.IngestResult]:
    return ingest(_sources(settings), settings.articles_path, date=DAY, **options)


def test_a_second_ingest_reads_nothing(project_settings: Settings, reads: list[str]) -> None:
    first = _ingest(project_settings)
    assert sorted(reads) == ["achieving-relief-with-ketamine-therapy.txt", "second-post.txt"]
    state = project_settings.build_path / "incremental" / "ingest.json"
    assert json.loads(state.read_text("utf-8"))["kind"] == "ingest"
    reads.clear()
    progress: list[str] = []
    again = ingest(
        _sources(project_settings),
        project_settings.articles_path,
        date=DAY,
        on_read=lambda path: progress.append(path.name),
    )
    assert reads == []
    assert [(r.source, r.article, r.path, r.status) for r in again] == [
        (r.source, r.article, r.path, "unchanged") for r in first
    ]
    assert sorted(progress) == sorted(p.name for p in _sources(project_settings))  # bars complete


def test_only_a_changed_source_is_read(project_settings: Settings, reads: list[str]) -> None:
    _ingest(project_settings)
    reads.clear()
    second = project_settings.sources_path / "second-post.txt"
    second.write_text(SECOND.replace("Its text.", "New text."), "utf-8")
    # A changed source differs from its canonical file: kept (or replaced with --force).
    results = _ingest(project_settings, keep_edited=True)
    assert reads == ["second-post.txt"]
    assert [r.status for r in results] == ["unchanged", "kept"]
    reads.clear()
    replaced = _ingest(project_settings, force=True)
    assert sorted(reads) == sorted(p.name for p in _sources(project_settings))  # force reads all
    assert [r.status for r in replaced] == ["unchanged", "written"]
    assert "New text." in (project_settings.articles_path / "second-post.md").read_text("utf-8")
    reads.clear()
    _ingest(project_settings)
    assert reads == []  # what force wrote was recorded


def test_a_hand_edited_canonical_file_is_noticed(project_settings: Settings, reads: list[str]) -> None:
    _ingest(project_settings)
    canonical = project_settings.articles_path / "second-post.md"
    canonical.write_text(canonical.read_text("utf-8").replace("Its text.", "Edited by hand."), "utf-8")
    reads.clear()
    with pytest.raises(IngestError, match="edited by hand"):
        _ingest(project_settings)
    assert reads == ["second-post.txt"]
    kept = _ingest(project_settings, keep_edited=True)
    assert [r.status for r in kept] == ["unchanged", "kept"]
    assert "Edited by hand." in canonical.read_text("utf-8")


def test_a_deleted_canonical_file_is_written_again(project_settings: Settings, reads: list[str]) -> None:
    _ingest(project_settings)
    canonical = project_settings.articles_path / "second-post.md"
    before = canonical.read_bytes()
    canonical.unlink()
    reads.clear()
    results = _ingest(project_settings)
    assert reads == ["second-post.txt"] and [r.status for r in results] == ["unchanged", "written"]
    assert canonical.read_bytes() == before


@pytest.mark.parametrize("change", ["lang", "force", "code"])
def test_what_reading_depends_on_reads_everything(
    project_settings: Settings, reads: list[str], monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    _ingest(project_settings)
    reads.clear()
    if change == "lang":
        _ingest(project_settings, lang="de", keep_edited=True)
    elif change == "force":
        _ingest(project_settings, force=True)
    else:
        monkeypatch.setattr(fingerprint, "code_fingerprint", lambda: "another pubflow")
        _ingest(project_settings)
    assert len(reads) == 2


def test_one_source_named_keeps_the_records_of_the_others(project_settings: Settings, reads: list[str]) -> None:
    _ingest(project_settings)
    second = project_settings.sources_path / "second-post.txt"
    second.write_text(SECOND.replace("Its text.", "New text."), "utf-8")
    reads.clear()
    ingest([second], project_settings.articles_path, force=True)
    assert reads == ["second-post.txt"]
    reads.clear()
    _ingest(project_settings)
    assert reads == []


def test_two_sources_giving_one_slug_are_still_refused(project_settings: Settings, reads: list[str]) -> None:
    _ingest(project_settings)
    twin = project_settings.sources_path / "twin.md"
    twin.write_text("---\nslug: second-post\ntitle: T\nsummary: S\n---\n## Tips\n### H\nx\n", "utf-8")
    with pytest.raises(IngestError, match="same slug"):
        _ingest(project_settings)


def test_a_folder_outside_a_project_keeps_no_state(tmp_path: Path, reads: list[str]) -> None:
    source = tmp_path / "post.txt"
    source.write_text(SECOND, encoding="utf-8")
    for _ in range(2):
        ingest([source], tmp_path / "articles", date=DAY)
    assert reads == ["post.txt", "post.txt"]
    assert not any(path.name == "ingest.json" for path in tmp_path.rglob("*"))


def test_another_folder_of_a_project_keeps_no_state(project_settings: Settings, reads: list[str]) -> None:
    elsewhere = project_settings.root / "drafts"
    for _ in range(2):
        ingest(_sources(project_settings), elsewhere, date=DAY)
    assert len(reads) == 4
    assert not (project_settings.build_path / "incremental" / "ingest.json").exists()


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


@hypothesis_settings(max_examples=100, deadline=None)
@given(
    st.builds(
        Article,
        slug=st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True),
        lang=st.sampled_from(["en", "de"]),
        title=text,
        summary=text,
        intro=st.tuples(text),
        tips=st.lists(st.builds(Tip, text, st.lists(text, max_size=2).map(tuple)), max_size=2).map(tuple),
        faq=st.lists(st.builds(FaqEntry, text, st.lists(text, max_size=2).map(tuple)), max_size=2).map(tuple),
        conclusion=st.lists(text, max_size=2).map(tuple),
        related=st.lists(st.builds(RelatedArticle, text, text, st.none() | text), max_size=2).map(tuple),
        date=st.none() | st.dates(),
        image=st.none() | text,
    )
)
def test_recorded_articles_round_trip(article: Article) -> None:
    assert stage._article_from_dict(json.loads(json.dumps(article.to_dict()))) == article


def test_settings_given_skip_the_search_and_agree_with_it(
    project_settings: Settings, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest(project_settings)
    state = project_settings.build_path / "incremental" / "ingest.json"
    recorded = state.read_bytes()
    reads.clear()
    loaded: list[Path] = []
    real = stage.load_settings
    monkeypatch.setattr(stage, "load_settings", lambda root: loaded.append(root) or real(root))
    sources, articles = _sources(project_settings), project_settings.articles_path
    again = ingest(sources, articles, date=DAY, settings=project_settings)
    assert reads == [] and loaded == []  # the state was found without loading settings again
    assert {r.status for r in again} == {"unchanged"}
    # The project's settings but another folder: no state used or written, as without them.
    ingest(sources, project_settings.root / "drafts", date=DAY, settings=project_settings)
    assert len(reads) == 2
    assert state.read_bytes() == recorded


def test_sources_are_keyed_by_their_real_path(tmp_path: Path) -> None:
    folder = tmp_path / "real"
    folder.mkdir()
    post = folder / "post.txt"
    post.write_text(SECOND, encoding="utf-8")
    (tmp_path / "linked").symlink_to(folder)  # a symlinked folder
    (folder / "alias.txt").symlink_to(post)  # a symlinked file
    (tmp_path / "rel").symlink_to("real/alias.txt")  # a relative link to a link
    named = [
        post,
        tmp_path / "linked" / "post.txt",
        folder / "alias.txt",
        tmp_path / "rel",
        folder / ".." / "real" / "post.txt",
        tmp_path / "linked" / ".." / "real" / "post.txt",
        tmp_path / "missing.txt",
    ]
    keys = stage._unique(named)
    assert list(keys) == [post, tmp_path / "missing.txt"]  # each file once, first name kept
    assert keys[post] == str(post.resolve())
    folders: dict[str, str] = {}
    for path in named:
        assert stage._real_path(str(path), folders) == str(path.resolve()), path


def test_relative_source_names_resolve_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("post.txt").write_text(SECOND, encoding="utf-8")
    keys = stage._unique([Path("post.txt"), Path("./post.txt"), tmp_path / "post.txt"])
    assert list(keys.values()) == [str((tmp_path / "post.txt").resolve())]
