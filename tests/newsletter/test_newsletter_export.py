"""The .eml writer: parts decode to exactly what was given, RFC line limits, same bytes each time."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.errors import RenderError
from pubflow.newsletter.export import EmailHeaders, build_email


def headers(subject: str = "Drei Wege zu mehr Linderung", **changes: object) -> EmailHeaders:
    values: dict[str, object] = dict(
        issue_id="2026-12",
        locale="de",
        language="de",
        date=dt.date(2026, 12, 1),
        subject=subject,
        mail_from="pubflow newsletter <newsletter@example.org>",
        reply_to="Team <team@example.org>",
        list_id="pubflow newsletter <newsletter.example.org>",
        unsubscribe_url="https://example.org/unsubscribe/TOKEN",
        unsubscribe_mailto="unsubscribe@example.org",
        unsubscribe_token="TOKEN",
    )
    values.update(changes)
    return EmailHeaders(**values)  # type: ignore[arg-type]


def parts_of(data: bytes) -> tuple[EmailMessage, str, str]:
    message = message_from_bytes(data, policy=policy.SMTP)
    assert isinstance(message, EmailMessage)
    assert message.get_content_type() == "multipart/alternative"
    assert not message.defects
    text_part, html_part = message.iter_parts()
    assert (text_part.get_content_type(), html_part.get_content_type()) == ("text/plain", "text/html")
    assert text_part["Content-Transfer-Encoding"] == "quoted-printable"
    return message, text_part.get_content(), html_part.get_content()


TRICKY_TEXT = (
    "Überschrift mit = und =3D\n=======\n\n"
    "trailing spaces   \n\ttab first\n.\nFrom the editor\n-- \n"
    + "ein sehr langes Wort" * 12 + "\n"
    + "日本語のテキスト" * 20 + "\n"
    + "https://example.org/" + "a" * 120 + "?utm_source=newsletter&x=1\n"
)
TRICKY_HTML = '<!doctype html><html lang="de"><body><p style="a:b">é = ü</p>' + "<td>x</td>" * 200 + "</body></html>"


def test_parts_decode_to_exactly_the_text_and_html_given() -> None:
    data = build_email(headers(), TRICKY_TEXT, TRICKY_HTML)
    message, text, html = parts_of(data)
    assert text.replace("\r\n", "\n") == TRICKY_TEXT
    assert html.replace("\r\n", "\n") == TRICKY_HTML + "\n"  # a last line end, as set_content adds
    assert message["Subject"] == "Drei Wege zu mehr Linderung"
    assert message["Reply-To"] == "Team <team@example.org>"
    assert message["Content-Language"] == "de"


def test_lines_keep_to_the_rfc_limits_and_ends_are_crlf() -> None:
    data = build_email(headers("日本語の件名" * 8), TRICKY_TEXT, TRICKY_HTML)
    head, body = data.split(b"\r\n\r\n", 1)
    assert b"\n" not in data.replace(b"\r\n", b"")  # no bare LF (or CR) anywhere
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))  # quoted-printable (RFC 2045)
    assert body.isascii()
    assert body.endswith(b"--\r\n")


def test_the_same_inputs_give_the_same_bytes_and_any_change_new_ones() -> None:
    first = build_email(headers(), TRICKY_TEXT, TRICKY_HTML)
    assert build_email(headers(), TRICKY_TEXT, TRICKY_HTML) == first
    assert build_email(headers(), TRICKY_TEXT, TRICKY_HTML + " ") != first
    assert build_email(headers(locale="at"), TRICKY_TEXT, TRICKY_HTML) != first


def test_mail_settings_are_still_checked() -> None:
    with pytest.raises(RenderError, match="mail_from"):
        build_email(headers(mail_from="News <news@example.org>\r\nBcc: x@example.org"), "t", "<p>h</p>")
    with pytest.raises(RenderError, match="reply_to"):
        build_email(headers(reply_to="not an address"), "t", "<p>h</p>")


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
    html=st.text(alphabet="<>p/=é \t.\nab\"", max_size=300),
)
def test_any_text_comes_back_as_it_went_in(text: str, html: str) -> None:
    _, text_back, html_back = parts_of(build_email(headers(), text, html))

    def lines(value: str) -> str:
        # What set_content did and still happens: lines split as bytes split (\n, \r, \r\n),
        # joined with \n, one line end at the end.
        return b"\n".join(value.encode("utf-8").splitlines()).decode("utf-8") + "\n"

    assert text_back.replace("\r\n", "\n") == lines(text)
    assert html_back.replace("\r\n", "\n") == lines(html)
