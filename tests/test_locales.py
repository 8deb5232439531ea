"""Plural-Forms headers are gettext's and do not move with the installed Babel's CLDR."""

from __future__ import annotations

import gettext

import pytest

from pubflow.locales import plural_count, plural_forms_header


@pytest.mark.parametrize(
    ("code", "header"),
    [
        ("fr", "nplurals=2; plural=(n > 1);"),
        ("pt_BR", "nplurals=2; plural=(n > 1);"),
        ("pt_PT", "nplurals=2; plural=(n != 1);"),
        ("es", "nplurals=2; plural=(n != 1);"),
        ("it", "nplurals=2; plural=(n != 1);"),
        ("de", "nplurals=2; plural=(n != 1);"),
        ("ja", "nplurals=1; plural=0;"),
    ],
)
def test_gettext_plural_forms(code: str, header: str) -> None:
    # Babel 2.19 (CLDR 47) gives fr/es/it/pt a third form for exact millions; the committed
    # catalogs, GNU gettext and Poedit have two: a newer Babel must not invalidate them.
    assert plural_forms_header(code) == header
    assert plural_count(code) == int(header.split("nplurals=")[1].split(";")[0])


def test_arabic_keeps_cldr_order_and_every_header_is_sound() -> None:
    for code in ("ar", "fr", "pt_BR", "es", "it", "de", "pl", "ja", "nl", "tr"):
        header = plural_forms_header(code)
        choose = gettext.c2py(header.split("plural=", 1)[1].rstrip(";"))
        assert {choose(n) for n in range(1001)} == set(range(plural_count(code))), code
    choose = gettext.c2py(plural_forms_header("ar").split("plural=", 1)[1].rstrip(";"))
    assert [choose(n) for n in (0, 1, 2, 3, 11, 100)] == [0, 1, 2, 3, 4, 5]
