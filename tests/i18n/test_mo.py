"""Our .mo writer against polib's ``to_binary`` (the reference) and GNU msgunfmt; our reader
against :class:`gettext.GNUTranslations`."""

from __future__ import annotations

import gettext
import io
import struct
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

import polib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubflow.errors import CatalogError
from pubflow.i18n.compile import mo_plural_forms
from pubflow.i18n.mo import mo_bytes, mo_header, read_mo
from pubflow.i18n.pofile import parse_catalog

REPO = Path(__file__).resolve().parents[2]
MSGUNFMT = "/usr/bin/msgunfmt"

METADATA = {
    "Language": "de",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=2; plural=(n != 1);",
}


def polib_mo(metadata: dict[str, str], entries: Iterable[polib.POEntry]) -> bytes:
    """The reference: how compile built .mo files with polib before it had its own writer."""
    catalog = polib.POFile(encoding="utf-8")
    catalog.metadata = dict(metadata)
    for entry in entries:
        catalog.append(
            polib.POEntry(
                msgid=entry.msgid,
                msgctxt=entry.msgctxt,
                msgid_plural=entry.msgid_plural,
                msgstr=entry.msgstr,
                msgstr_plural=dict(entry.msgstr_plural),
            )
        )
    return bytes(catalog.to_binary())


def readable(path: Path) -> polib.POFile | None:
    try:
        return parse_catalog(path.read_bytes(), path)
    except CatalogError:
        return None


def repo_catalogs() -> list[Path]:
    """Every catalog of the repository that reads (the hostile samples include unreadable ones)."""
    folders = [REPO / "locales", REPO / "tests" / "hardening" / "po", REPO / "tests" / "i18n" / "broken"]
    paths = sorted(path for folder in folders for path in folder.rglob("*.po"))
    return [path for path in paths if readable(path) is not None]


@pytest.mark.parametrize("path", repo_catalogs(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_repo_catalog_gives_polibs_bytes(path: Path) -> None:
    po = readable(path)
    assert po is not None
    live = [entry for entry in po if not entry.obsolete]
    reviewed = [entry for entry in live if not entry.fuzzy]
    for chosen in (reviewed, live, []):
        assert mo_bytes(METADATA, chosen) == polib_mo(METADATA, chosen)
    metadata = dict(po.metadata)  # the catalog's own header: order and odd keys too
    assert mo_bytes(metadata, reviewed) == polib_mo(metadata, reviewed)


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
plain = st.sampled_from(["", "a", "b", "Hello", "ä", "a\x04", "\x00x"])


@st.composite
def entries(draw: st.DrawFn) -> polib.POEntry:
    msgid = draw(st.one_of(plain, texts))
    msgctxt = draw(st.one_of(st.none(), plain, texts))
    if draw(st.booleans()):
        forms = draw(st.dictionaries(st.integers(0, 5), st.one_of(plain, texts), max_size=6))
        return polib.POEntry(
            msgid=msgid,
            msgctxt=msgctxt,
            msgid_plural=draw(st.one_of(plain, texts)),
            msgstr=draw(st.sampled_from(["", "", "x"])),
            msgstr_plural=forms,
        )
    return polib.POEntry(
        msgid=msgid,
        msgctxt=msgctxt,
        msgstr=draw(st.one_of(plain, texts)),
        msgstr_plural=draw(st.sampled_from([{}, {}, {0: ""}, {0: "y"}])),
    )


metadata_keys = st.sampled_from(
    ["Language", "Plural-Forms", "X-Generator", "x-10", "X-9", "Project-Id-Version", "Last-Translator", "a"]
)
# Generated .mo contents: entries and a header (the writer's and the reader's property tests).
generated_catalogs = given(
    st.lists(entries(), max_size=12),
    st.dictionaries(metadata_keys, st.one_of(plain, texts), max_size=5),
)
many_examples = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@many_examples
@generated_catalogs
def test_generated_entries_give_polibs_bytes(
    chosen: Sequence[polib.POEntry], metadata: dict[str, str]
) -> None:
    assert mo_bytes(metadata, chosen) == polib_mo(metadata, chosen)


def test_header_follows_polibs_order() -> None:
    assert mo_header({"X-b": "1", "Plural-Forms": "p", "Language": "de", "X-a10": "2", "X-a9": "3"}) == (
        "Language: de\nPlural-Forms: p\nX-a9: 3\nX-a10: 2\nX-b: 1\n"
    )
    assert mo_header({}) == ""


def test_gnu_msgunfmt_reads_back_every_message(tmp_path: Path) -> None:
    po = readable(REPO / "locales" / "ar" / "LC_MESSAGES" / "messages.po")
    assert po is not None
    reviewed = [entry for entry in po if not entry.obsolete and not entry.fuzzy and entry.translated()]
    extra = [
        polib.POEntry(msgid="Open", msgctxt="button", msgstr="Öffnen"),
        polib.POEntry(msgid="%d file", msgid_plural="%d files", msgstr_plural={0: "eine", 1: "viele"}),
    ]
    metadata = dict(METADATA, Language="ar")
    path = tmp_path / "messages.mo"
    path.write_bytes(mo_bytes(metadata, reviewed + extra))
    result = subprocess.run([MSGUNFMT, str(path)], capture_output=True, text=True, check=True)
    back = polib.pofile(result.stdout)
    found = {(e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in back}
    for entry in reviewed + extra:
        forms = {int(i): text for i, text in entry.msgstr_plural.items()} if entry.msgid_plural else {}
        assert found[(entry.msgctxt, entry.msgid)] == (entry.msgstr if not entry.msgid_plural else "", forms)
    assert back.metadata["Language"] == "ar"
    assert len(found) == len(reviewed) + len(extra)


GERMAN = "nplurals=2; plural=(n != 1);"


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        (GERMAN, GERMAN),
        ("nplurals=2; plural=n != 1", "nplurals=2; plural=n != 1;"),  # sound: the translator's
        ("nplurals=2; plural=(n == 1 ? 0 : 1);", "nplurals=2; plural=(n == 1 ? 0 : 1);"),  # the same
        ("nplurals=2; plural=(n > 1);", GERMAN),  # French's rule: not German's ("0 Datei")
        ("nplurals=2; plural=(n == 1);", GERMAN),  # the forms swapped ("1 Dateien")
        ("nplurals=3; plural=(n != 1);", GERMAN),  # German has two forms
        ("nplurals=2; plural=(n > 1 ? 2 : 0);", GERMAN),  # picks a form that does not exist
        ("nplurals=2; plural=(n > 500 ? 2 : 0);", GERMAN),  # … only for large n
        ("nplurals=2; plural=((n);", GERMAN),  # does not parse
        ("garbage", GERMAN),
        ("", GERMAN),
    ],
)
def test_plural_forms_are_the_languages_rule_and_the_same_when_remembered(
    declared: str, expected: str
) -> None:
    po = polib.POFile()
    po.metadata = {"Plural-Forms": declared} if declared else {}
    first = mo_plural_forms(po, "de")
    again = mo_plural_forms(po, "de")
    from pubflow.i18n.compile import _mo_plural_forms

    assert first == again == _mo_plural_forms.__wrapped__(declared, "de") == expected


# Reading ---------------------------------------------------------------------------------------


def gnu_reading(data: bytes) -> tuple[dict[object, str], str | None]:
    """The reference: the messages and Plural-Forms as the standard library reads them."""
    parsed = gettext.GNUTranslations(io.BytesIO(data))
    messages = dict(parsed._catalog)  # type: ignore[attr-defined]
    messages.pop("", None)
    return messages, parsed._info.get("plural-forms")  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", repo_catalogs(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_repo_catalog_reads_back_as_gettext_reads_it(path: Path) -> None:
    po = readable(path)
    assert po is not None
    live = [entry for entry in po if not entry.obsolete]
    data = mo_bytes(METADATA, live)
    contents = read_mo(data)
    assert (contents.messages, contents.plural_forms) == gnu_reading(data)
    assert contents.plural_forms == METADATA["Plural-Forms"]


@many_examples
@generated_catalogs
def test_generated_files_read_back_as_gettext_reads_them(
    chosen: Sequence[polib.POEntry], metadata: dict[str, str]
) -> None:
    # gettext reads header fields only from well-formed "name: value" lines of a UTF-8 header.
    metadata = {name: value.replace("\n", " ") for name, value in metadata.items()}
    metadata["Content-Type"] = "text/plain; charset=UTF-8"
    data = mo_bytes(metadata, chosen)
    try:
        expected = gnu_reading(data)
    except Exception:  # noqa: BLE001 — a header gettext itself cannot read: not our format
        return
    contents = read_mo(data)
    assert contents.messages == expected[0]
    if expected[1] is not None:
        assert contents.plural_forms == expected[1]


def test_a_big_endian_file_reads_the_same() -> None:
    entries = [
        polib.POEntry(msgid="Open", msgctxt="button", msgstr="Öffnen"),
        polib.POEntry(msgid="%d file", msgid_plural="%d files", msgstr_plural={0: "eine", 1: "viele"}),
    ]
    little = mo_bytes(METADATA, entries)
    count = struct.unpack_from("<I", little, 8)[0]
    words = 7 + 4 * count  # header and both tables are 32-bit words; the strings follow
    swapped = struct.pack(f">{words}I", *struct.unpack_from(f"<{words}I", little)) + little[4 * words :]
    assert read_mo(swapped) == read_mo(little)
    assert read_mo(little).messages == {
        "button\x04Open": "Öffnen",
        ("%d file", 0): "eine",
        ("%d file", 1): "viele",
    }


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[:20], "too short"),
        (lambda data: b"\x00\x00\x00\x00" + data[4:], "magic"),
        (lambda data: data[:4] + struct.pack("<I", 7 << 16) + data[8:], "revision 7"),
        (lambda data: data[:8] + struct.pack("<I", 10**6) + data[12:], "tables run past"),
        (lambda data: data[: len(data) - 10], "past the end"),
        (lambda data: data.replace("Öffnen".encode(), b"\xff" * len("Öffnen".encode())), "utf-8"),
    ],
)
def test_a_damaged_file_is_a_value_error(damage: object, message: str) -> None:
    data = mo_bytes(METADATA, [polib.POEntry(msgid="Open", msgstr="Öffnen")])
    assert read_mo(data).messages == {"Open": "Öffnen"}
    with pytest.raises(ValueError, match=message):
        read_mo(damage(data))  # type: ignore[operator]
