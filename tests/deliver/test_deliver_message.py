"""Personalising a built email: the token everywhere it belongs, nothing else changed."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from deliver_fixtures import GREETING, SUBJECT, build_eml
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pubflow.deliver.links import UNSUBSCRIBE_TOKEN_PLACEHOLDER
from pubflow.deliver.message import PreparedEmail, find_issue_emails, personalise, serialise
from pubflow.errors import DeliveryError

BASE = "https://news.example.org/a/rather/long/path/to/the/unsubscribe"
TOKEN = "123456.2025-06.AbCdEfGhIjKlMnOpQrStUv"


def _parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_placeholder_replaced_in_headers_and_both_parts_across_qp_line_breaks(
    tmp_path: Path,
) -> None:
    path = build_eml(tmp_path, "2025-06", "ar", base_url=BASE)
    source = path.read_bytes()
    # Quoted-printable soft line breaks split the placeholder in both built parts, so a raw
    # byte replacement would miss them: personalising must decode the parts.
    assert source.count(UNSUBSCRIBE_TOKEN_PLACEHOLDER.encode()) == 2  # the header only
    data = serialise(personalise(source, to="ana@example.org", token=TOKEN, message_id="<x@y>"))
    assert UNSUBSCRIBE_TOKEN_PLACEHOLDER.encode() not in data
    message = _parse(data)
    assert message["To"] == "ana@example.org"
    assert message["Message-ID"] == "<x@y>"
    assert message["Subject"] == SUBJECT["ar"]
    assert str(message["List-Unsubscribe"]) == (
        f"<{BASE}/{TOKEN}>, <mailto:unsubscribe@pubflow.example.org?subject=unsubscribe-{TOKEN}>"
    )
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert f"{BASE}/{TOKEN}" in text.get_content()
    assert f'href="{BASE}/{TOKEN}"' in html.get_content()
    assert GREETING["ar"] in text.get_content() and GREETING["ar"] in html.get_content()
    # Every line stays within SMTP's limit and the body is 7-bit clean.
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert data.isascii()
    # Re-encoding a part adds no MIME-Version headers of its own.
    assert data.count(b"MIME-Version:") == source.count(b"MIME-Version:")


def test_per_recipient_headers_are_replaced_not_duplicated(tmp_path: Path) -> None:
    path = build_eml(tmp_path, "2025-06", "de", base_url=BASE)
    source = _parse(path.read_bytes())
    source["To"] = "everyone@example.org"
    source["Bcc"] = "secret-list@example.org"
    source.get_body(("plain",))["Content-Language"] = "de"  # type: ignore[index]
    data = serialise(personalise(source.as_bytes(), to="ben@example.org", token=TOKEN))
    message = _parse(data)
    assert message.get_all("To") == ["ben@example.org"]
    assert message.get_all("Bcc") is None
    assert len(message.get_all("Message-ID") or []) == 1
    assert len(message.get_all("Date") or []) == 1
    assert message.get_body(("plain",))["Content-Language"] == "de"  # type: ignore[index]
    assert message["List-Id"] == "pubflow newsletter <newsletter.pubflow.example.org>"


def test_issue_emails_fall_back_to_the_language_then_the_source(tmp_path: Path) -> None:
    for code in ("en", "de", "pt_BR"):
        build_eml(tmp_path, "2025-06", code, base_url=BASE)
    emails = find_issue_emails(tmp_path, "2025-06", "en")
    assert emails.locales == ["en", "de", "pt_BR"]
    assert emails.locale_for("pt_BR") == "pt_BR"
    assert emails.locale_for("de_AT") == "de"
    assert emails.locale_for("fr") == "en"


@pytest.mark.parametrize("issue", ["../secrets", "a/b", "", ".hidden", "x" * 101])
def test_issue_ids_that_could_be_paths_are_refused(tmp_path: Path, issue: str) -> None:
    with pytest.raises(DeliveryError, match="not a newsletter issue id"):
        find_issue_emails(tmp_path, issue, "en")


def test_a_built_email_without_from_is_refused(tmp_path: Path) -> None:
    message = EmailMessage()
    message["Subject"] = "x"
    message.set_content("hello")
    with pytest.raises(DeliveryError, match="no From or Subject"):
        personalise(message.as_bytes(), to="a@example.org", token=TOKEN)


_TEXT_BITS = st.sampled_from(
    list("abc xyz.=-_/\t")
    + ["\n", " \n", ".", "é", "ü", "–", "مرحبا", "日本", "\u2028", "…", "=3D"]
)
_PIECES = st.lists(st.lists(_TEXT_BITS, max_size=60).map("".join), min_size=1, max_size=4)


@hypothesis_settings(max_examples=80, deadline=None)
@given(
    text_pieces=_PIECES,
    html_pieces=_PIECES,
    subscriber_id=st.integers(min_value=1, max_value=10**9),
    issue=st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True),
)
def test_prepared_copies_equal_personalised_ones(
    text_pieces: list[str], html_pieces: list[str], subscriber_id: int, issue: str
) -> None:
    placeholder = UNSUBSCRIBE_TOKEN_PLACEHOLDER
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = "Ausgabe – Juni"
    message["From"] = "News <news@example.org>"
    message["Message-ID"] = "<built@example.org>"
    message["List-Unsubscribe"] = (
        f"<{BASE}/{placeholder}>, <mailto:u@example.org?subject={placeholder}>"
    )
    message.set_content(placeholder.join(text_pieces), charset="utf-8")
    message.add_alternative(placeholder.join(html_pieces), subtype="html", charset="utf-8")
    source = message.as_bytes()
    token = f"{subscriber_id}.{issue}.AbCdEfGhIjKlMnOpQrStUv"

    prepared = PreparedEmail.prepare(source)
    assert prepared.template is not None
    fast = _parse(prepared.render(to="ana@example.org", token=token, message_id="<m@example.org>"))
    slow = _parse(
        serialise(
            personalise(source, to="ana@example.org", token=token, message_id="<m@example.org>")
        )
    )
    assert {k: str(v) for k, v in fast.items() if k != "Date"} == {
        k: str(v) for k, v in slow.items() if k != "Date"
    }
    for kind, pieces in (("plain", text_pieces), ("html", html_pieces)):
        fast_part, slow_part = fast.get_body((kind,)), slow.get_body((kind,))
        assert fast_part is not None and slow_part is not None
        assert fast_part.get_content() == slow_part.get_content()
        assert token in fast_part.get_content() or len(pieces) == 1


def test_prepared_copies_keep_lines_within_limits(tmp_path: Path) -> None:
    path = build_eml(tmp_path, "2025-06", "de", base_url=BASE)
    prepared = PreparedEmail.prepare(path.read_bytes())
    data = prepared.render(to="ana@example.org", token=TOKEN, message_id="<m@example.org>")
    header, _, body = data.partition(b"\r\n\r\n")
    assert all(len(line) <= 998 for line in header.split(b"\r\n"))
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    assert data.isascii() and UNSUBSCRIBE_TOKEN_PLACEHOLDER.encode() not in data
    # A token too long for one quoted-printable line takes the slow path, still correct.
    long_token = "1." + "x" * 80 + ".AbCdEfGhIjKlMnOpQrStUv"
    slow = _parse(prepared.render(to="ana@example.org", token=long_token, message_id="<m@x.org>"))
    assert long_token in slow.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_list_unsubscribe_stays_folded_where_the_build_folded_it() -> None:
    # The build folds List-Unsubscribe between its two URLs; the per-recipient rewrite once
    # unfolded it into one ~190-character line (RFC 5322 §2.1.1 asks for at most 78).
    import datetime as dt

    from pubflow.newsletter.export import EmailHeaders, build_email

    base = "https://ex.org/u"  # short enough for each URL to fit a 78-character line
    headers = EmailHeaders(
        "2025-06", "de", "de", dt.date(2025, 6, 1), "Ausgabe Juni",
        "News <news@pubflow.example.org>", None, "News <news.pubflow.example.org>",
        f"{base}/{UNSUBSCRIBE_TOKEN_PLACEHOLDER}", "u@ex.org", UNSUBSCRIBE_TOKEN_PLACEHOLDER,
    )
    source = build_email(headers, f"Hallo\n{base}/{UNSUBSCRIBE_TOKEN_PLACEHOLDER}\n", "<p>Hallo</p>")
    token = "123456.2025-06.AbCdEfGhIjKlMnOpQrStUv"
    fast = PreparedEmail.prepare(source).render(to="ana@example.org", token=token, message_id="<m@x>")
    slow = serialise(personalise(source, to="ana@example.org", token=token, message_id="<m@x>"))
    for data in (fast, slow):
        head = data.partition(b"\r\n\r\n")[0].decode("ascii")
        start = head.index("List-Unsubscribe:")
        lines = head[start:].split("\r\n")
        assert lines[0] == f"List-Unsubscribe: <{base}/{token}>,"
        assert lines[1] == f" <mailto:u@ex.org?subject=unsubscribe-{token}>"
        assert all(len(line) <= 78 for line in lines[:2])
        assert len(lines[0] + lines[1]) > 78  # unfolded, the line would be too long
        assert str(_parse(data)["List-Unsubscribe"]) == (
            f"<{base}/{token}>, <mailto:u@ex.org?subject=unsubscribe-{token}>"
        )
