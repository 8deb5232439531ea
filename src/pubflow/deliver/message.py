"""The built emails of an issue and their personalisation for one recipient.

The newsletter build writes one generic ``dist/newsletter/<issue>/<lang>/email.eml`` per
published locale, with :data:`~pubflow.deliver.links.UNSUBSCRIBE_TOKEN_PLACEHOLDER` wherever
the personal token belongs. Personalising a copy sets ``To``, a fresh ``Date``, a
``Message-ID`` of its own (deterministic per issue and subscriber, so a resent copy can be
recognised as the same message), and replaces the placeholder in every header and text part.
Text parts are decoded before the replacement and re-encoded as quoted-printable afterwards:
a raw replacement could miss a placeholder split by a soft line break.

The email package needs some 15 ms to parse, personalise and write one copy, so a batch uses
:class:`PreparedEmail`: each locale's email is encoded once with every placeholder standing
alone (its own quoted-printable line between soft line breaks, or in a header as the build
folded it), and a copy is then a byte substitution plus three header lines. Anything that
would not survive that (an overlong token or header line, an unexpected placeholder count)
takes the slow path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email import message_from_bytes, policy, quoprimime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from pubflow.deliver.links import UNSUBSCRIBE_TOKEN_PLACEHOLDER
from pubflow.errors import DeliveryError

EMAIL_FILE_NAME = "email.eml"

# Headers we write unfolded up to RFC 5322's hard limit (998). With the default 78 the email
# package turns a long unbreakable URL (List-Unsubscribe) into RFC 2047 encoded words, which
# mail providers do not decode for that header.
SEND_POLICY = policy.SMTP.clone(max_line_length=998)

_ISSUE_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")

# Headers replaced per recipient; a Bcc in a built file would leak to everyone, so it goes.
_PER_RECIPIENT = ("To", "Cc", "Bcc", "Date", "Message-ID")


def validate_issue_id(issue: str) -> str:
    """Return ``issue`` if it is a safe issue id (a folder name, never a path)."""
    if not _ISSUE_SHAPE.match(issue) or ".." in issue:
        raise DeliveryError(
            f"{issue!r} is not a newsletter issue id",
            hint="use the issue's id as in content/newsletters/<id>.toml, e.g. 2025-06",
        )
    return issue


@dataclass(frozen=True)
class IssueEmails:
    """The built ``email.eml`` of each published locale of one issue."""

    issue: str
    folder: Path
    source_locale: str
    files: dict[str, Path]  # locale → email.eml
    failed: tuple[str, ...] = ()
    """Locales whose last build failed its checks (their subscribers are not sent anything
    while it stands: see :func:`refuse_failed`)."""
    unbuilt: frozenset[str] = frozenset()
    """Configured locales the manifest has no entry for: published or not, no build of this
    issue has looked at them (``build newsletter ISSUE -l en``). Not the same as "not
    published": see :func:`refuse_unbuilt`."""

    @property
    def locales(self) -> list[str]:
        """Published locales, source first."""
        return sorted(self.files, key=lambda code: (code != self.source_locale, code))

    def locale_for(self, wanted: str) -> str:
        """The locale whose email a subscriber of ``wanted`` gets.

        Their own when published, else the same language's (``de_AT`` → ``de``), else the
        source locale.
        """
        if wanted in self.files:
            return wanted
        language = wanted.split("_")[0]
        if language in self.files:
            return language
        return self.source_locale

    def unbuilt_for(self, wanted: str) -> str | None:
        """The locale that would serve a subscriber of ``wanted`` but is not built for this
        issue (so :meth:`locale_for` falls back past it), or None."""
        for code in dict.fromkeys((wanted, wanted.split("_")[0])):
            if code in self.files:
                return None
            if code in self.unbuilt:
                return code
        return None

    def read(self, locale: str) -> bytes:
        path = self.files[locale]
        try:
            return path.read_bytes()
        except OSError as exc:
            raise DeliveryError(
                f"cannot read the built email: {exc.strerror or exc}",
                path=path,
                hint="rebuild the newsletter: pubflow build newsletter",
            ) from exc


MANIFEST_NAME = "manifest.json"


def find_issue_emails(
    dist_path: Path,
    issue: str,
    source_locale: str,
    *,
    source: Path | None = None,
    configured: Iterable[str] = (),
) -> IssueEmails:
    """The emails of ``issue`` its last build made, by its manifest: only the locales that
    build published and built ("built"), each ``email.eml`` still as the manifest records it;
    the source locale's must be one of them.

    An email left on disk by an earlier build (a language published then, not now; a locale
    that failed this time) is never sent: its links would lead to pages no longer on the site,
    or its text would not be the one checked. ``source`` (the issue's ``.toml``) must exist and
    hold what the build read (``source_sha256`` in the manifest): an issue deleted or edited
    since is not sent as it was. Locales in ``configured`` (the project's) that the manifest
    does not mention at all are :attr:`IssueEmails.unbuilt`.
    """
    import hashlib
    import json

    validate_issue_id(issue)
    folder = dist_path / "newsletter" / issue
    rebuild = f"build it first: pubflow build newsletter {issue}"
    if not folder.is_dir():
        raise DeliveryError(f"newsletter issue {issue!r} has not been built", path=folder, hint=rebuild)
    manifest_path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = manifest["locales"]
        if not isinstance(entries, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError):
        raise DeliveryError(
            f"issue {issue!r} has no readable build manifest", path=manifest_path, hint=rebuild
        ) from None
    if source is not None:
        if not source.is_file():
            raise DeliveryError(
                f"issue {issue!r} was built, but its source is gone (deleted?)",
                path=source,
                hint="restore the issue file to send it; a deleted issue is not sent",
            )
        read = manifest.get("source_sha256")
        if read is not None and hashlib.sha256(source.read_bytes()).hexdigest() != read:
            raise DeliveryError(
                f"issue {issue!r} changed after its last build: the built emails are out of date",
                path=source,
                hint=f"rebuild it: pubflow build newsletter {issue}",
            )
    files: dict[str, Path] = {}
    failed: list[str] = []
    for locale, entry in sorted(entries.items()):
        status = entry.get("status") if isinstance(entry, dict) else None
        if status == "failed":
            failed.append(locale)
        if status != "built":
            continue  # not published in this language: its subscribers get the fallback
        path = folder / locale / EMAIL_FILE_NAME
        recorded = (entry.get("files") or {}).get(EMAIL_FILE_NAME) or {}
        try:
            current = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            current = None
        if current is None or current != recorded.get("sha256"):
            raise DeliveryError(
                f"the {locale} email of issue {issue!r} is not the one its last build made",
                path=path,
                hint=rebuild,
            )
        files[locale] = path
    if source_locale not in files:
        raise DeliveryError(
            f"issue {issue!r} has no {source_locale} email (the fallback for every locale)",
            path=folder / source_locale / EMAIL_FILE_NAME,
            hint=f"build it first: pubflow build newsletter {issue}",
        )
    unbuilt = frozenset(code for code in configured if code not in entries)
    return IssueEmails(issue, folder, source_locale, files, tuple(failed), unbuilt)


def refuse_failed(emails: IssueEmails, locales: list[str] | None) -> None:
    """DeliveryError when a locale to be sent (``locales``; None: all) failed its checks in
    the issue's last build: its subscribers would otherwise get the fallback language without
    anyone having decided so."""
    blocked = [code for code in emails.failed if locales is None or code in locales]
    if blocked:
        raise DeliveryError(
            f"issue {emails.issue!r} failed its checks in {', '.join(blocked)} in its last build",
            path=emails.folder / MANIFEST_NAME,
            hint=f"fix it and rebuild (pubflow build newsletter {emails.issue}), or send the "
            "other languages with --locale",
        )


def refuse_unbuilt(emails: IssueEmails, subscriber_locales: Iterable[str]) -> None:
    """DeliveryError when subscribers of these locales would get the fallback only because
    their language was left out of the issue's build (``-l``), not because it is unpublished:
    nobody decided to mail them another language."""
    missing = sorted({code for wanted in subscriber_locales if (code := emails.unbuilt_for(wanted))})
    if missing:
        raise DeliveryError(
            f"issue {emails.issue!r} is not built in {', '.join(missing)}, which subscribers "
            f"have (they would get the {emails.source_locale} email)",
            path=emails.folder / MANIFEST_NAME,
            hint=f"run: pubflow build newsletter {emails.issue} (or send the other languages "
            "with --locale)",
        )


def parse_email(data: bytes, *, path: Path | None = None) -> EmailMessage:
    """Parse a built ``.eml``; DeliveryError if it lacks what sending needs."""
    message = message_from_bytes(data, policy=policy.SMTP)
    assert isinstance(message, EmailMessage)
    if not message["From"] or not message["Subject"]:
        raise DeliveryError(
            "the built email has no From or Subject header",
            path=path,
            hint="rebuild the newsletter: pubflow build newsletter",
        )
    if message.get_content_maintype() not in ("multipart", "text"):
        raise DeliveryError(
            f"the built email is {message.get_content_type()}, not text or multipart",
            path=path,
            hint="rebuild the newsletter: pubflow build newsletter",
        )
    return message


def message_id_domain(message: EmailMessage) -> str:
    """The domain for new Message-IDs: the built one's, else the sender's."""
    _, _, domain = str(message.get("Message-ID", "")).strip("<> ").rpartition("@")
    if not domain:
        _, _, domain = parseaddr(str(message.get("From", "")))[1].rpartition("@")
    return domain or "pubflow.invalid"


def envelope_sender(message: EmailMessage) -> str:
    """The bare address of ``From`` (for MAIL FROM)."""
    address = parseaddr(str(message.get("From", "")))[1]
    if not address:
        raise DeliveryError("the built email's From header has no address")
    return address


def personalise(
    data: bytes, *, to: str, token: str, message_id: str | None = None, path: Path | None = None
) -> EmailMessage:
    """One recipient's copy of a built email: To, Date, Message-ID and the token filled in."""
    message = parse_email(data, path=path)
    domain = message_id_domain(message)
    for name in _PER_RECIPIENT:
        del message[name]
    _rewrite_headers(message, token)
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        assert isinstance(part, EmailMessage)
        text = part.get_content()
        if UNSUBSCRIBE_TOKEN_PLACEHOLDER in text:
            _replace_text(part, text.replace(UNSUBSCRIBE_TOKEN_PLACEHOLDER, token), message)
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    return message


def _rewrite_headers(message: EmailMessage, token: str) -> int:
    """Replace the placeholder in every header; return how many there were.

    The replacement is made in the value as written, so the lines stay folded where the build
    folded them (List-Unsubscribe between its two URLs: one unfolded line would run to some
    190 characters, where RFC 5322 asks for at most 78). Only a placeholder the written value
    does not show as such, or a value with encoded words (where a token's ``_`` would read as
    a space), makes the header be rewritten unfolded.
    """
    found = 0
    raw = list(message.raw_items())  # (name, value as written, folds included), in order
    for name in {name for name, value in message.items() if UNSUBSCRIBE_TOKEN_PLACEHOLDER in value}:
        values = [str(value) for value in message.get_all(name, [])]
        written = [value for key, value in raw if key.lower() == name.lower()]
        del message[name]
        for value, as_written in zip(values, written, strict=True):
            count = value.count(UNSUBSCRIBE_TOKEN_PLACEHOLDER)
            found += count
            if "=?" not in as_written and as_written.count(UNSUBSCRIBE_TOKEN_PLACEHOLDER) == count:
                message.set_raw(name, as_written.replace(UNSUBSCRIBE_TOKEN_PLACEHOLDER, token))
            else:
                # Unfolding leaves runs of spaces where the build folded; one is enough.
                message[name] = " ".join(value.replace(UNSUBSCRIBE_TOKEN_PLACEHOLDER, token).split())
    return found


def _replace_text(part: EmailMessage, text: str, root: EmailMessage) -> None:
    """Set a text part's content, keeping its subtype, parameters and other Content-* headers."""
    subtype = part.get_content_subtype()
    params = {
        key: value for key, value in part.get_params(failobj=[])[1:] if key.lower() != "charset"
    }
    kept = [
        (name, value)
        for name, value in part.items()
        if name.lower().startswith("content-")
        and name.lower() not in ("content-type", "content-transfer-encoding")
    ]
    had_mime_version = "MIME-Version" in part
    part.set_content(text, subtype=subtype, charset="utf-8", cte="quoted-printable", params=params)
    for name, value in kept:
        part[name] = value
    # set_content adds MIME-Version; it belongs on the top-level message only.
    if part is not root and not had_mime_version:
        del part["MIME-Version"]


def serialise(message: EmailMessage) -> bytes:
    """The bytes to send (CRLF line ends, long headers unfolded up to 998 characters)."""
    return message.as_bytes(policy=SEND_POLICY)


_PLACEHOLDER_BYTES = UNSUBSCRIBE_TOKEN_PLACEHOLDER.encode("ascii")
_QP_LINE = 76
_MAX_FAST_TOKEN = 70  # a token must fit on its own quoted-printable line (76 with the "=")
_HEADER_SAFE = re.compile(r"^[\x21-\x7e]+\Z")


@dataclass(frozen=True)
class PreparedEmail:
    """One locale's built email, encoded once for fast per-recipient copies."""

    source: bytes
    path: Path | None
    sender: str  # envelope sender (From's address)
    domain: str  # for Message-IDs
    template: bytes | None  # None: every copy takes the slow path

    @classmethod
    def prepare(cls, source: bytes, *, path: Path | None = None) -> PreparedEmail:
        message = parse_email(source, path=path)
        sender = envelope_sender(message)
        domain = message_id_domain(message)
        for name in _PER_RECIPIENT:
            del message[name]
        expected = _rewrite_headers(message, UNSUBSCRIBE_TOKEN_PLACEHOLDER)
        for part in message.walk():
            if part.is_multipart() or part.get_content_maintype() != "text":
                continue
            assert isinstance(part, EmailMessage)
            text = part.get_content()
            if UNSUBSCRIBE_TOKEN_PLACEHOLDER in text:
                expected += text.count(UNSUBSCRIBE_TOKEN_PLACEHOLDER)
                _encode_with_slots(part, text)
        template = serialise(message)
        if template.count(_PLACEHOLDER_BYTES) != expected:
            return cls(source, path, sender, domain, None)
        return cls(source, path, sender, domain, template)

    def render(self, *, to: str, token: str, message_id: str) -> bytes:
        """The bytes of one recipient's copy (the same result as :func:`personalise`)."""
        date = formatdate(localtime=False, usegmt=True)
        if (
            self.template is None
            or len(token) > _MAX_FAST_TOKEN
            or not all(_HEADER_SAFE.match(value) for value in (to, token, message_id))
        ):
            return serialise(
                personalise(self.source, to=to, token=token, message_id=message_id, path=self.path)
            )
        head = f"To: {to}\r\nDate: {date}\r\nMessage-ID: {message_id}\r\n".encode("ascii")
        data = head + self.template.replace(_PLACEHOLDER_BYTES, token.encode("ascii"))
        header_block = data.split(b"\r\n\r\n", 1)[0]
        if max(map(len, header_block.split(b"\r\n"))) > 998:
            return serialise(
                personalise(self.source, to=to, token=token, message_id=message_id, path=self.path)
            )
        return data


def _encode_with_slots(part: EmailMessage, text: str) -> None:
    """Quoted-printable UTF-8 content in which each placeholder stands on a line of its own.

    Encoded like ``set_content(cte="quoted-printable")`` would, piece by piece around the
    placeholders, each placeholder between soft line breaks (``=``): decoding gives the text
    back, and the placeholder can later be replaced by any token of up to 70 URL-safe characters.
    """
    raw = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    pieces = [
        quoprimime.body_encode(piece.decode("latin-1"), _QP_LINE)
        for piece in raw.split(_PLACEHOLDER_BYTES)
    ]
    encoded = f"=\n{UNSUBSCRIBE_TOKEN_PLACEHOLDER}=\n".join(pieces)
    del part["Content-Transfer-Encoding"]
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_param("charset", "utf-8")
    part.set_payload(encoded)
