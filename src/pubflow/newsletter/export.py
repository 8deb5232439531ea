"""``email.eml``: the generic MIME message of one locale, built with the standard ``email`` package.

multipart/alternative with the plain text first and the HTML second (clients show the last
part they can display), both UTF-8 quoted-printable. Headers: localized ``Subject``, ``From``
and ``Reply-To`` from the settings, a deterministic ``Message-ID`` and ``Date``, ``List-Id``,
``List-Unsubscribe`` (https and mailto, carrying the placeholder token that sending replaces
per recipient), ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058) and
``Content-Language``. No ``To``: sending adds it.

Determinism: the Message-ID is derived from the issue, the locale and a hash of everything in
the message, the Date from the issue date, and the MIME boundary from the same hash, so
rebuilding unchanged inputs gives the same bytes (and the file is not rewritten).

Folding: ``policy.SMTP`` (CRLF, lines folded at 78), except for what we fold ourselves:
``List-Unsubscribe`` between its two URLs (the email package would otherwise encode the long
mailto URL as an encoded word, which mail providers do not decode in that header), and the
Subject, a non-ASCII List-Id and non-ASCII display names, whose RFC 2047 encoded words the
email package splits so that a space between two words is lost when read back
(:mod:`pubflow.newsletter.encoded_words`). The written headers are read back with
``email.policy.default``: a Subject or display name that would not arrive as written fails
the build of that locale.

Speed: the email package writes the top-level headers (folding and encoded words are where it
is worth its cost); the two parts, whose headers never change, are encoded with
:func:`binascii.b2a_qp` (C, lines of at most 76 characters as RFC 2045 asks) and joined with
the boundary as RFC 2046 lays out. Building them with ``set_content`` took some 5 ms per
email, mostly quoted-printable encoding and writing line by line in Python.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime, getaddresses, parseaddr
from functools import lru_cache
from urllib.parse import quote

from pubflow.errors import RenderError
from pubflow.newsletter.encoded_words import (
    MAX_LINE,
    encode_display_name,
    fold_unstructured,
)


class _HeaderClasses(HeaderRegistry):
    """The standard registry, but each header class is made once, not once per header set.

    (``HeaderRegistry.__getitem__`` builds a new class with ``type()`` every time a header is
    set: some 20 µs, ten times per email.)
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


BUILD_POLICY = policy.SMTP.clone(refold_source="none", header_factory=_HeaderClasses())
"""SMTP policy; headers we set raw (List-Unsubscribe) are written exactly as we folded them."""


@lru_cache(maxsize=256)
def _parsed_header(name: str, value: str) -> BaseHeader:
    """A header object, parsed once per value: From, List-Id, Date… repeat in every email.

    (What ``message[name] = value`` does, line-break refusal included; an object whose name
    matches is stored by the message as it is.)
    """
    if len(value.splitlines()) > 1:
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    return BUILD_POLICY.header_factory(name, value)


# The headers of each part, as set_content wrote them.
_PART_HEADERS = (
    'Content-Type: text/{subtype}; charset="utf-8"\r\n'
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
)

SEND_HOUR_UTC = 8
"""The Date of a built email: the issue date at 08:00 UTC (sending sets the real time)."""


@dataclass(frozen=True)
class EmailHeaders:
    """What goes into the headers of one locale's message."""

    issue_id: str
    locale: str  # gettext code
    language: str  # BCP 47 (Content-Language)
    date: dt.date
    subject: str
    mail_from: str
    reply_to: str | None
    list_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str  # bare address
    unsubscribe_token: str


@lru_cache(maxsize=64)
def _domain_of(address: str) -> str:
    _, bare = parseaddr(address)
    return bare.rpartition("@")[2] or "pubflow.invalid"


def unsubscribe_mailto_url(address: str, token: str) -> str:
    """``mailto:<address>?subject=unsubscribe-<token>`` (RFC 6068 encoded)."""
    return f"mailto:{address}?subject={quote(f'unsubscribe-{token}', safe='-')}"


@lru_cache(maxsize=64)  # the same settings come back for every email (a refusal is not cached)
def _check_address(value: str, setting: str) -> None:
    """Refuse an address header that would not parse (or smuggles a line break)."""
    if any(char in value for char in "\r\n"):
        raise RenderError(
            f"{setting} contains a line break",
            hint=f"set [tool.pubflow] {setting} to one address such as Name <a@example.org>",
        )
    addresses = getaddresses([value])
    if len(addresses) != 1 or "@" not in addresses[0][1]:
        raise RenderError(
            f"{setting} {value!r} is not one email address",
            hint=f"set [tool.pubflow] {setting} to e.g. \"Newsletter <news@example.org>\"",
        )


def _address_header(name: str, value: str, setting: str) -> BaseHeader | str:
    """The From or Reply-To header for ``value`` (already checked to be one address).

    A display name that is ASCII is the email package's to write. A non-ASCII one is written
    as one encoded word: Python's parser keeps the whitespace between two encoded words in a
    display name, RFC 2047 readers drop it, so one name split in two reads back differently.
    """
    parsed = _parsed_header(name, value)
    (address,) = parsed.addresses  # type: ignore[attr-defined]
    if address.display_name.isascii() and address.addr_spec.isascii():
        return parsed
    if not address.addr_spec.isascii():
        raise RenderError(
            f"{setting} {address.addr_spec!r} is not an ASCII address",
            hint=f"write its domain in ASCII (punycode, e.g. xn--mnchen-3ya.de) in {setting}",
        )
    word = encode_display_name(address.display_name, MAX_LINE - len(name) - 2)
    if word is None:
        raise RenderError(
            f"the name in {setting} ({address.display_name!r}) is too long for a mail header "
            "as one RFC 2047 encoded word (at most 75 characters encoded)",
            hint=f"shorten the name in [tool.pubflow] {setting} (some 40 Latin or 20 other letters)",
        )
    bracketed = f"<{address.addr_spec}>"
    fits = len(name) + 2 + len(word) + 1 + len(bracketed) <= MAX_LINE
    return f"{word}{' ' if fits else chr(13) + chr(10) + ' '}{bracketed}"


def _set_header(message: EmailMessage, name: str, value: BaseHeader | str) -> None:
    """A header object as usual; text as written (already folded and encoded by us)."""
    if isinstance(value, BaseHeader):
        message[name] = value
    else:
        message.set_raw(name, value)


def _read_back(head: bytes, headers: EmailHeaders) -> None:
    """RenderError unless the written Subject and display names decode to what was meant."""
    from email.parser import BytesHeaderParser as Parser

    back = Parser(policy=policy.default).parsebytes(head)
    got = str(back["Subject"])
    if got != headers.subject:
        raise RenderError(
            f"the subject does not read back as written from the email headers: {got!r} "
            f"instead of {headers.subject!r}",
            hint="report this as a pubflow bug; meanwhile change the subject's translation",
        )
    for name, value in (("From", headers.mail_from), ("Reply-To", headers.reply_to)):
        if not value:
            continue
        wanted = _parsed_header(name, value).addresses  # type: ignore[attr-defined]
        written = back[name].addresses
        if [(a.display_name, a.addr_spec) for a in written] != [
            (a.display_name, a.addr_spec) for a in wanted
        ]:
            raise RenderError(
                f"the {name} header does not read back as written ({str(back[name])!r})",
                hint=f"change the name in [tool.pubflow] {name.lower().replace('-', '_')}",
            )


def content_hash(*parts: str) -> str:
    """SHA-256 over the parts (length-prefixed, so parts cannot run into each other)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def build_email(headers: EmailHeaders, text: str, html: str) -> bytes:
    """The ``.eml`` bytes (CRLF line ends) for one locale."""
    _check_address(headers.mail_from, "mail_from")
    if headers.reply_to:
        _check_address(headers.reply_to, "reply_to")
    mailto = unsubscribe_mailto_url(headers.unsubscribe_mailto, headers.unsubscribe_token)
    fingerprint = content_hash(
        headers.issue_id,
        headers.locale,
        headers.date.isoformat(),
        headers.subject,
        headers.mail_from,
        headers.reply_to or "",
        headers.list_id,
        headers.unsubscribe_url,
        mailto,
        text,
        html,
    )
    boundary = f"=_pubflow_{fingerprint[:32]}"
    message = EmailMessage(policy=BUILD_POLICY)
    message.set_raw("Subject", fold_unstructured("Subject", headers.subject))
    _set_header(message, "From", _address_header("From", headers.mail_from, "mail_from"))
    if headers.reply_to:
        _set_header(
            message, "Reply-To", _address_header("Reply-To", headers.reply_to, "reply_to")
        )
    sent = dt.datetime.combine(headers.date, dt.time(SEND_HOUR_UTC, 0), tzinfo=dt.timezone.utc)
    message["Date"] = _parsed_header("Date", format_datetime(sent))
    domain = _domain_of(headers.mail_from)
    message["Message-ID"] = f"<{headers.issue_id}.{headers.locale}.{fingerprint[:20]}@{domain}>"
    if headers.list_id.isascii():
        message["List-Id"] = _parsed_header("List-Id", headers.list_id)
    else:  # a phrase that reads as unstructured text in Python and RFC 2047 readers alike
        message.set_raw("List-Id", fold_unstructured("List-Id", headers.list_id))
    message.set_raw("List-Unsubscribe", f"<{headers.unsubscribe_url}>,\r\n <{mailto}>")
    message["List-Unsubscribe-Post"] = _parsed_header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    message["MIME-Version"] = _parsed_header("MIME-Version", "1.0")
    # A boundary cannot occur in quoted-printable bodies ("=" is always "=3D" there).
    message["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
    message["Content-Language"] = _parsed_header("Content-Language", headers.language)
    # A multipart message whose payload is a string is written as headers, a blank line and
    # that string: here nothing, the body follows below.
    message.set_payload("")
    head = message.as_bytes()
    # The email package decodes encoded words in values it is given and may write a decoded
    # CR LF out raw: read the headers back and refuse them if any header line appeared.
    # (compat32 splits header lines as every policy does, without parsing the values.)
    written = BytesHeaderParser(policy=policy.compat32).parsebytes(head)
    if [name.lower() for name in written.keys()] != [name.lower() for name in message.keys()]:
        raise RenderError(
            "a header value turned into extra header lines when the email was written",
            hint="remove =?…?= encoded words and line breaks from the subject and the mail settings",
        )
    _read_back(head, headers)
    delimiter = f"--{boundary}\r\n".encode("ascii")
    return b"".join(
        (
            head,
            delimiter,
            _PART_HEADERS.format(subtype="plain").encode("ascii"),
            _quoted_printable(text),
            b"\r\n",
            delimiter,
            _PART_HEADERS.format(subtype="html").encode("ascii"),
            _quoted_printable(html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        )
    )


def _quoted_printable(text: str) -> bytes:
    """``text`` as UTF-8 quoted-printable with CRLF line ends, ending in a line break.

    (Line ends normalised and a last one added, as ``set_content`` does.)
    """
    body = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    return binascii.b2a_qp(body, quotetabs=False, istext=True, header=False).replace(b"\n", b"\r\n")
