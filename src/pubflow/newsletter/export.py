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

Folding: ``policy.SMTP`` (CRLF, lines folded at 78 with RFC 2047 encoded words for non-ASCII
subjects), except that ``List-Unsubscribe`` is folded by us between its two URLs:
the email package would otherwise encode the long mailto URL as an encoded word, which mail
providers do not decode in that header.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from urllib.parse import quote

from pubflow.errors import RenderError

BUILD_POLICY = policy.SMTP.clone(refold_source="none")
"""SMTP policy; headers we set raw (List-Unsubscribe) are written exactly as we folded them."""

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


def _domain_of(address: str) -> str:
    _, bare = parseaddr(address)
    return bare.rpartition("@")[2] or "pubflow.invalid"


def unsubscribe_mailto_url(address: str, token: str) -> str:
    """``mailto:<address>?subject=unsubscribe-<token>`` (RFC 6068 encoded)."""
    return f"mailto:{address}?subject={quote(f'unsubscribe-{token}', safe='-')}"


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
    message = EmailMessage(policy=BUILD_POLICY)
    message["Subject"] = headers.subject
    message["From"] = headers.mail_from
    if headers.reply_to:
        message["Reply-To"] = headers.reply_to
    sent = dt.datetime.combine(headers.date, dt.time(SEND_HOUR_UTC, 0), tzinfo=dt.timezone.utc)
    message["Date"] = format_datetime(sent)
    domain = _domain_of(headers.mail_from)
    message["Message-ID"] = f"<{headers.issue_id}.{headers.locale}.{fingerprint[:20]}@{domain}>"
    message["List-Id"] = headers.list_id
    message.set_raw("List-Unsubscribe", f"<{headers.unsubscribe_url}>,\r\n <{mailto}>")
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After the content: set_content() drops every Content-* header it finds.
    message["Content-Language"] = headers.language
    for part in message.iter_parts():
        del part["MIME-Version"]  # belongs on the top-level message only
    # A boundary cannot occur in quoted-printable bodies ("=" is always "=3D" there).
    message.set_boundary(f"=_pubflow_{fingerprint[:32]}")
    data = message.as_bytes()
    # The email package decodes encoded words in values it is given and may write a decoded
    # CR LF out raw: read the result back and refuse it if any header line appeared.
    written = BytesParser(policy=policy.default).parsebytes(data, headersonly=True)
    if [name.lower() for name in written.keys()] != [name.lower() for name in message.keys()]:
        raise RenderError(
            "a header value turned into extra header lines when the email was written",
            hint="remove =?…?= encoded words and line breaks from the subject and the mail settings",
        )
    return data

