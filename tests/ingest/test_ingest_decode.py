"""Bad and unusual files, through ``read_source`` (every suffix goes through one decoder)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from ingest_seed import SEED, assert_seed_structure

from pubflow.errors import IngestError
from pubflow.ingest import read_source

SUFFIXES = [".txt", ".md", ".html"]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_bom_crlf_and_cr_read_like_the_original(tmp_path: Path) -> None:
    original = read_source(SEED)
    lf = SEED.read_bytes()
    for name, data in [
        ("bom.txt", codecs.BOM_UTF8 + lf),
        ("crlf.txt", lf.replace(b"\n", b"\r\n")),
        ("cr.txt", lf.replace(b"\n", b"\r")),
        ("all.txt", codecs.BOM_UTF8 + lf.replace(b"\n", b"\r\n")),
    ]:
        article = read_source(_write(tmp_path, name, data))
        assert_seed_structure(article)
        assert article.title == original.title  # no BOM glued to the title
        assert (article.intro, article.tips, article.faq) == (
            original.intro,
            original.tips,
            original.faq,
        )


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize(
    ("data", "needle", "line"),
    [
        (b"", "empty", 1),
        (b"  \n\n\t\n", "empty", 1),
        (b"Title\n\nText\x00\x01\x02binary", "binary", 3),
        (b"Title\n\ncaf\xe9 au lait\n", "not UTF-8", 3),
        (codecs.BOM_UTF16_LE + "Title".encode("utf-16-le"), "UTF-16", 1),
        (b"Title\n\nBell \x07 here\n", "control character U+0007", 3),
        # DEL and the C1 controls: invalid code points in HTML5 (a CSI reaches terminals too).
        ("Title\n\nDelete \x7f here\n".encode(), "control character U+007F", 3),
        ("Title\n\nIntro.\nCSI \x9b here\n".encode(), "control character U+009B", 4),
        ("Title\n\nNext line \x85 here\n".encode(), "control character U+0085", 3),
    ],
)
def test_refused_files_name_file_line_and_fix(
    tmp_path: Path, suffix: str, data: bytes, needle: str, line: int
) -> None:
    path = _write(tmp_path, f"bad{suffix}", data)
    with pytest.raises(IngestError) as caught:
        read_source(path)
    error = caught.value
    assert needle in error.message
    assert error.path == path
    assert error.line == line
    assert error.hint


def test_cp1252_hint_says_how_to_fix(tmp_path: Path) -> None:
    path = _write(tmp_path, "word.txt", "Title\n\nIt’s “smart”\n".encode("cp1252"))
    with pytest.raises(IngestError) as caught:
        read_source(path)
    assert caught.value.line == 3
    assert "UTF-8" in (caught.value.hint or "")
    assert "Windows-1252" in (caught.value.hint or "")


def test_missing_file_directory_and_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="file not found"):
        read_source(tmp_path / "nope.txt")
    with pytest.raises(IngestError, match="directory"):
        read_source(tmp_path)
    other = _write(tmp_path, "post.docx", b"PK\x03\x04")
    with pytest.raises(IngestError) as caught:
        read_source(other)
    assert "unsupported" in caught.value.message
    assert ".txt" in (caught.value.hint or "") and ".html" in (caught.value.hint or "")
