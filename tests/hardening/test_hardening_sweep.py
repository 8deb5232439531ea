"""Crash leftovers are swept: the ``.<name>.<random>.tmp`` files a killed atomic write leaves.

The site build, the newsletter build, the catalog sync (also every build's states and
``build/``'s own files) and ingest (the articles folder) sweep their folders when they start.
Only files named exactly like ``atomic_write_bytes``'s temp files go, only when they are older
than ``STALE_TEMP_AGE`` and no live writer holds their lock; everything else stays.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hardening_support import ARTICLE_SLUG, ISSUE
from pubflow.config import Settings
from pubflow.fingerprint import state_path
from pubflow.fsutil import STALE_TEMP_AGE, TEMP_FILE_NAME, sweep_stale_temp_files
from pubflow.i18n.sync import sync_catalogs
from pubflow.ingest import ingest
from pubflow.newsletter import render_newsletter
from pubflow.render.site import render_site

OLD = STALE_TEMP_AGE + 60


def _leftover(folder: Path, target: str, *, age: float, random_part: str = "k3x9_q2z") -> Path:
    """A temp file as a killed ``atomic_write_bytes(folder / target)`` leaves it, ``age`` s old."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".{target}.{random_part}.tmp"
    path.write_bytes(b"<html><body>half a pa")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_only_old_unlocked_files_shaped_like_our_temp_files_go(tmp_path: Path) -> None:
    stale = _leftover(tmp_path / "de" / "a", "index.html", age=OLD)
    stale_dotted = _leftover(tmp_path, "sitemap.xml", age=OLD, random_part="abcdefgh")
    fresh = _leftover(tmp_path / "de" / "b", "index.html", age=5)
    # Not ours, however old: an editor's temp file, a random part of the wrong length or
    # alphabet, no leading dot, another suffix.
    others = [tmp_path / name for name in (
        ".poedit-1a2b3c4d.tmp", ".index.html.abc.tmp", ".index.html.ABCDEFGH.tmp",
        "index.html.abcdefgh.tmp", ".index.html.abcdefgh.temp", ".abcdefgh.tmp",
    )]
    for path in others:
        path.write_text("a file someone else named so")
        os.utime(path, (time.time() - OLD,) * 2)
    # A symlink and a folder with a matching name are never followed or removed.
    outside = tmp_path.parent / "outside.txt"
    outside.write_text("keep me")
    link = tmp_path / ".index.html.linkabcd.tmp"
    link.symlink_to(outside)
    folder = tmp_path / ".assets.folderab.tmp"
    folder.mkdir()
    (folder / ".x.old00000.tmp").write_text("inside a folder named like a temp file: still swept")
    os.utime(folder / ".x.old00000.tmp", (time.time() - OLD,) * 2)

    removed = sweep_stale_temp_files(tmp_path, tmp_path / "missing-folder")

    assert set(removed) == {stale, stale_dotted, folder / ".x.old00000.tmp"}
    assert not stale.exists() and not stale_dotted.exists()
    assert fresh.exists(), "a temp file younger than the threshold may belong to a live writer"
    assert all(path.exists() for path in others)
    assert link.is_symlink() and outside.read_text() == "keep me"
    assert folder.is_dir()
    # A threshold of 0 takes the young one too (its writer is gone: nobody holds its lock).
    assert sweep_stale_temp_files(tmp_path, older_than=0) == [fresh]


def test_a_shallow_folder_is_swept_without_its_subfolders(tmp_path: Path) -> None:
    top = _leftover(tmp_path, "sync-state.json", age=OLD)
    below = _leftover(tmp_path / "bench" / "corpus", "index.html", age=OLD)
    removed = sweep_stale_temp_files(shallow=[tmp_path, tmp_path / "missing-folder"])
    assert removed == [top] and not top.exists() and below.exists()


WRITER = """
    import sys
    from pathlib import Path
    from pubflow.fsutil import atomic_write_bytes

    def pause_before_the_rename(event, args):
        if event == "os.rename":  # os.replace raises this audit event
            print("writing", flush=True)
            sys.stdin.readline()

    sys.addaudithook(pause_before_the_rename)
    atomic_write_bytes(Path(sys.argv[1]), b"complete page")
    print("done", flush=True)
"""


def paused_writer(target: Path) -> subprocess.Popen[bytes]:
    """A process writing ``target`` atomically, paused right before its rename.

    It goes on when a line arrives on its stdin: a pipe of ours (an inherited stdin may be
    /dev/null, which would let it finish at once).
    """
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WRITER), str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == b"writing"
    return writer


def test_a_live_writers_temp_file_is_never_swept_however_old(tmp_path: Path) -> None:
    target = tmp_path / "site" / "index.html"
    writer = paused_writer(target)
    assert writer.stdout is not None and writer.stdin is not None
    [temp] = [p for p in target.parent.iterdir() if TEMP_FILE_NAME.match(p.name)]
    os.utime(temp, (time.time() - OLD,) * 2)  # as if the writer had stalled for minutes

    assert sweep_stale_temp_files(target.parent) == []
    assert temp.exists()
    writer.stdin.write(b"\n")
    writer.stdin.close()
    assert writer.stdout.readline().strip() == b"done"
    assert writer.wait(timeout=60) == 0
    assert target.read_bytes() == b"complete page"
    assert not temp.exists()


def test_a_killed_writers_temp_file_goes_once_it_is_old(tmp_path: Path) -> None:
    target = tmp_path / "site" / "index.html"
    writer = paused_writer(target)
    [temp] = [p for p in target.parent.iterdir() if TEMP_FILE_NAME.match(p.name)]
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=60)
    assert sweep_stale_temp_files(target.parent) == [], "too young: kept"
    os.utime(temp, (time.time() - OLD,) * 2)
    assert sweep_stale_temp_files(target.parent) == [temp]
    assert not target.exists()


@pytest.mark.parametrize("stage", ["site", "newsletter", "sync", "ingest"])
def test_every_stage_sweeps_its_folders_when_it_starts(demo: Settings, stage: str) -> None:
    compiled = demo.compiled_locales_path / "de" / "LC_MESSAGES"
    templates = demo.cache_path / "templates"  # compiled templates kept for the next process
    if stage == "site":
        folders = [demo.dist_path / "site" / "de" / ARTICLE_SLUG, demo.dist_path / "site", compiled, templates]
    elif stage == "newsletter":
        folders = [demo.dist_path / "newsletter" / ISSUE / "de", compiled, templates]
    elif stage == "sync":
        folders = [
            demo.locales_path / "de" / "LC_MESSAGES", demo.locales_path, compiled,
            state_path(demo), state_path(demo, "writers"), demo.build_path,
        ]  # fmt: skip
    else:
        folders = [demo.articles_path]
    stale = [_leftover(folder, "index.html", age=OLD) for folder in folders]
    fresh = [_leftover(folder, "page.html", age=10, random_part="fresh_01") for folder in folders]

    if stage == "site":
        render_site(demo)
    elif stage == "newsletter":
        render_newsletter(demo, ISSUE)
    elif stage == "sync":
        sync_catalogs(demo)
    else:
        source = demo.root / "source.md"  # the canonical text is a valid source too
        source.write_bytes((demo.articles_path / f"{ARTICLE_SLUG}.md").read_bytes())
        ingest([source], demo.articles_path, keep_edited=True, lang=demo.source_locale)

    assert [p for p in stale if p.exists()] == []
    assert all(p.exists() for p in fresh)


# Write marks: the site's page folders are walked only after a writer of them died ------------

def _site_mark(demo: Settings) -> tuple[Path, str]:
    from pubflow.fingerprint import state_path
    from pubflow.writemarks import WRITERS_DIR, mark_name

    return state_path(demo, WRITERS_DIR), mark_name("site", demo.dist_path / "site")


def _killed_site_writer(demo: Settings) -> None:
    """A process that took the site's write mark and was killed before it let go."""
    folder, name = _site_mark(demo)
    code = (
        "import os, signal\n"
        "from pathlib import Path\n"
        "from pubflow.writemarks import marked_writes\n"
        f"with marked_writes(Path({str(folder)!r}), {name!r}):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert list(folder.glob(f"{name}.*.writing")), "the killed writer left its mark"


def test_a_rebuild_walks_the_page_folders_only_after_a_writer_died(demo: Settings) -> None:
    render_site(demo, force=True)  # a clean build: the site is known to hold no leftover
    page_folder = demo.dist_path / "site" / "de" / ARTICLE_SLUG
    planted = _leftover(page_folder, "index.html", age=OLD)  # no writer died: nobody looks

    render_site(demo, force=True)
    assert planted.exists()

    _killed_site_writer(demo)
    young = _leftover(page_folder, "feed.xml", age=10, random_part="young_01")
    render_site(demo, force=True)
    assert not planted.exists() and young.exists()
    folder, name = _site_mark(demo)
    assert list(folder.glob(f"{name}.*.writing")), "a young leftover keeps the dead mark"

    os.utime(young, (time.time() - OLD,) * 2)
    render_site(demo, force=True)
    assert not young.exists()
    assert not list(folder.glob(f"{name}.*.writing")), "swept clean: the dead mark goes"


def test_a_live_writers_mark_is_not_taken_for_a_crash(demo: Settings, tmp_path: Path) -> None:
    from pubflow.writemarks import marked_writes

    render_site(demo, force=True)
    folder, name = _site_mark(demo)
    planted = _leftover(demo.dist_path / "site" / "de" / ARTICLE_SLUG, "index.html", age=OLD)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pubflow.writemarks import marked_writes\n"
        f"with marked_writes(Path({str(folder)!r}), {name!r}):\n"
        "    print('marked', flush=True)\n"
        "    sys.stdin.readline()\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == b"marked"
        with marked_writes(folder, name) as sweeper:
            assert not sweeper.needed
        render_site(demo, force=True)
        assert planted.exists()
    finally:
        assert writer.stdin is not None
        writer.stdin.close()
        writer.wait(timeout=60)
    assert not list(folder.glob(f"{name}.*.writing")), "each writer removes its own mark"


def test_a_newsletter_build_holds_the_site_mark_while_it_writes_archive_pages(
    demo: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pubflow.newsletter.build as newsletter_build

    folder, name = _site_mark(demo)
    held: list[int] = []
    real = newsletter_build._finish_issue

    def finishing(*args, **kwargs):  # type: ignore[no-untyped-def]
        held.append(len(list(folder.glob(f"{name}.*.writing"))))
        return real(*args, **kwargs)

    monkeypatch.setattr(newsletter_build, "_finish_issue", finishing)
    render_newsletter(demo, ISSUE, force=True)
    assert held and all(count == 1 for count in held)
    assert not list(folder.glob(f"{name}.*.writing"))
