"""Every shape check refuses a value with a trailing newline.

In a Python regular expression ``$`` also matches before a final newline, so ``^…$`` with
``match`` let ``"ana-token\\n"`` through (found by the unsubscribe fuzzer: a real token plus a
newline was accepted). The checks anchor with ``\\Z``.
"""

from __future__ import annotations

import pytest

from pubflow.deliver import message, tokens
from pubflow.errors import PubflowError
from pubflow.fsutil import TEMP_FILE_NAME, validate_slug
from pubflow.i18n import markup
from pubflow.locales import validate_locale

TOKEN = "12.2027-01." + "A" * 22


@pytest.mark.parametrize("tail", ["", "\n"])
def test_shapes_hold_only_without_a_trailing_newline(tail: str) -> None:
    refused = bool(tail)
    assert (tokens.parse_token(TOKEN + tail) is None) is refused
    assert (message._ISSUE_SHAPE.match("2027-01" + tail) is None) is refused
    assert (message._HEADER_SAFE.match("<id@example.org>" + tail) is None) is refused
    assert (TEMP_FILE_NAME.match(".page.html.abcdefgh.tmp" + tail) is None) is refused
    assert (markup._TAG_NAME.match("strong" + tail) is None) is refused
    assert (markup._ATTRIBUTE_NAME.match("href" + tail) is None) is refused
    for check, value in ((validate_slug, "my-article"), (validate_locale, "de")):
        if refused:
            with pytest.raises(PubflowError):
                check(value + tail)
        else:
            assert check(value) == value
