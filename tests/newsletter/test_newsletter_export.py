"""The .eml writer: parts decode to exactly what was given, RFC line limits, same bytes each time."""

from __future__ import annotations

import datetime as dt
import random
import re
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.errors import RenderError
from pubflow.newsletter import export as export_module
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


# RFC 2047 subjects and display names -----------------------------------------------------

ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")

# Words a subject in each script is made of (with the punctuation and emoji subjects carry).
_SCRIPTS: dict[str, str | list[str]] = {
    "ar": "ثلاث طرق للاستفادة من النشرة الإخبارية الشهرية عدد يونيو إيجاد الراحة",
    "ja": "日本語 の ニュースレター テスト 三つ の 方法 で 痛み を 和らげる 六月号",
    "ru": "Три способа облегчить боль выпуск июнь новости для читателей",
    "el": "Τρεις τρόποι για ανακούφιση τεύχος Ιουνίου ενημερωτικό δελτίο",
    "pl": "Zażółć gęślą jaźń Łódź trzy sposoby na ulgę wydanie czerwcowe",
    "ko": "한국어 뉴스레터 세 가지 방법 6월호 통증 완화",
    "hi": "दर्द से राहत के तीन तरीके जून अंक समाचार पत्र",
    "he": "שלוש דרכים להקלה גיליון יוני ניוזלטר",
    "th": "สามวิธี บรรเทา อาการปวด ฉบับ มิถุนายน",
    "en": "Three ways to relief issue June newsletter ok PDF 2026 A/B",
    "mixed": ["—", "–", "🎉", "🎉🎉", "👩‍👩‍👧‍👦", "🇩🇪", "👍🏽", "é", "n\u0303o", "«", "»", "!", "?", "#3", "=", "_", "?=", "=?x"],
}
WORDS = {script: words.split() if isinstance(words, str) else words for script, words in _SCRIPTS.items()}


def _decoded(data: bytes) -> EmailMessage:
    head = data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    message = message_from_bytes(head, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _assert_header_limits(data: bytes) -> None:
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    for line in head.split("\r\n"):
        # Only an unbreakable URL may be longer (List-Unsubscribe's mailto with a long token).
        assert len(line) <= 78 or "mailto:" in line, line
    for word in ENCODED_WORD.findall(head):
        assert len(word) <= 75, word


def test_a_long_multilingual_subject_keeps_every_space() -> None:
    # The email package put the space of "ثلاث طرق" between two encoded words, where RFC 2047
    # §6.2 drops it ("ثلاثطرق"), and wrote encoded words of 76 characters on lines of 79.
    subject = "Łódź 日本語のニュースレター 🎉🎉 Zażółć gęślą jaźń — ثلاث طرق للاستفادة 한국어 テスト ok"
    data = build_email(headers(subject), "text", "<p>html</p>")
    assert str(_decoded(data)["Subject"]) == subject
    _assert_header_limits(data)


def test_random_subjects_in_many_scripts_read_back_exactly() -> None:
    rng = random.Random(2047)
    scripts = list(WORDS)
    for _ in range(400):
        chosen = rng.sample(scripts, rng.randint(1, 3))
        words = [rng.choice(WORDS[rng.choice(chosen)]) for _ in range(rng.randint(1, 18))]
        separators = [rng.choice([" ", " ", " ", "  ", " - "]) for _ in words[1:]]
        subject = words[0] + "".join(sep + word for sep, word in zip(separators, words[1:], strict=True))
        data = build_email(headers(subject), "t", "<p>h</p>")
        assert str(_decoded(data)["Subject"]) == subject
        _assert_header_limits(data)


@pytest.mark.parametrize(
    "name",
    ["Ńewsletter Ünïcode", "نشرة بي فلو الإخبارية", "パブフロー・ニュースレター", "Редакция pubflow"],
)
def test_non_ascii_display_names_read_back_exactly(name: str) -> None:
    data = build_email(
        headers(
            mail_from=f"{name} <news@example.org>",
            reply_to=f'"{name}" <team@example.org>',
            list_id=f"{name} <news.example.org>",
        ),
        "t",
        "<p>h</p>",
    )
    message = _decoded(data)
    assert message["From"].addresses[0].display_name == name
    assert message["Reply-To"].addresses[0].display_name == name
    assert str(message["List-Id"]) == f"{name} <news.example.org>"
    _assert_header_limits(data)


def test_a_display_name_too_long_for_one_encoded_word_is_refused() -> None:
    # Two encoded words read back differently in Python (space kept) and RFC 2047 readers
    # (space dropped): such a name is refused, not sent garbled.
    name = "ثلاث طرق للاستفادة من النشرة الإخبارية الشهرية"
    with pytest.raises(RenderError, match="too long for a mail header"):
        build_email(headers(mail_from=f"{name} <news@example.org>"), "t", "<p>h</p>")


def test_a_subject_that_would_not_read_back_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    # The read-back check: a folding that loses a space is caught before anything is written.
    def losing_space(name: str, text: str) -> str:  # the space outside, between the words
        return "=?utf-8?q?Drei?=\r\n =?utf-8?q?Wege?="

    monkeypatch.setattr(export_module, "fold_unstructured", losing_space)
    with pytest.raises(RenderError, match="subject does not read back as written"):
        build_email(headers("Drei Wege"), "t", "<p>h</p>")
