"""Unsubscribe tokens: HMAC-SHA256 over (subscriber id, issue id), URL-safe.

A token reads ``<subscriber id>.<issue id>.<mac>`` where ``mac`` is the first 128 bits of
HMAC-SHA256, keyed with the list's secret, over the subscriber id, the issue id and that
subscriber's own secret, in base64url without padding. So:

- nobody can make a token without the list secret; changing the id or the issue breaks it;
- rotating one subscriber's secret (:meth:`SubscriberStore.rotate_secret`) voids only their
  links; changing the list secret voids every link ever sent;
- the token carries no address, and all its characters are URL-unreserved, so it survives
  URLs, HTML attributes, quoted-printable and header folding unchanged.

The list secret comes from ``settings.unsubscribe_secret`` (``PUBFLOW_UNSUBSCRIBE_SECRET``);
otherwise it is generated once into ``var/unsubscribe-secret`` (mode 0600) and reused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from pubflow.config import Settings
from pubflow.errors import ConfigError

SECRET_FILE_NAME = "unsubscribe-secret"
MIN_SECRET_LENGTH = 16
_MAC_BYTES = 16  # 128 bits: far beyond guessing, and keeps links short
_DOMAIN = b"pubflow-unsubscribe-v1"  # binds the MAC to this use of the key
_MESSAGE_ID_DOMAIN = b"pubflow-message-id-v1"  # Message-IDs: another use of the same key
_MESSAGE_ID_BYTES = 20  # 160 bits: 32 base32 characters, no padding
_TOKEN_SHAPE = re.compile(
    r"^([1-9][0-9]{0,17})\.([A-Za-z0-9][A-Za-z0-9._-]{0,99})\.([A-Za-z0-9_-]{22})\Z"
)


@dataclass(frozen=True)
class ListSecret:
    """The list-wide signing key and where it came from (for a one-line note to the user)."""

    key: bytes
    origin: str  # "settings" | "file" | "generated"
    path: Path | None = None

    def describe(self) -> str:
        """What to tell the user: never the secret, only its source."""
        if self.origin == "settings":
            return "unsubscribe links signed with the secret from settings (unsubscribe_secret)"
        if self.origin == "generated":
            return (
                f"generated a new unsubscribe secret in {self.path} (mode 0600); keep it: "
                "replacing it breaks every unsubscribe link already sent"
            )
        return f"unsubscribe links signed with the secret in {self.path}"


def load_list_secret(settings: Settings, *, create: bool = True) -> ListSecret:
    """The list secret from settings, else from ``var/unsubscribe-secret`` (made if missing)."""
    if settings.unsubscribe_secret is not None:
        value = settings.unsubscribe_secret.get_secret_value()
        if len(value) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"unsubscribe_secret is too short (at least {MIN_SECRET_LENGTH} characters)",
                hint="generate one with: "
                'python -c "import secrets; print(secrets.token_urlsafe(32))"',
            )
        return ListSecret(value.encode("utf-8"), "settings")
    path = settings.var_path / SECRET_FILE_NAME
    if path.exists():
        return ListSecret(_read_secret_file(path), "file", path)
    if not create:
        raise ConfigError(
            "no unsubscribe secret yet",
            path=path,
            hint="set unsubscribe_secret (PUBFLOW_UNSUBSCRIBE_SECRET) or run a send once",
        )
    created = _create_secret_file(path)
    return ListSecret(_read_secret_file(path), "generated" if created else "file", path)


def _read_secret_file(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        value = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the unsubscribe secret: {exc}",
            path=path,
            hint="restore the file from a backup (a new one breaks the links already sent)",
        ) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            "the unsubscribe secret file is readable by other users",
            path=path,
            hint=f"chmod 600 {path}",
        )
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            "the unsubscribe secret file is empty or too short",
            path=path,
            hint="restore it from a backup, or delete it to generate a new one "
            "(which breaks the links already sent)",
        )
    return value.encode("ascii")


def _create_secret_file(path: Path) -> bool:
    """Write a new secret with mode 0600; False if another process made one first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails if the name exists: two first runs at once agree on one secret.
        os.link(temp, path)
        return True
    except FileExistsError:
        return False
    finally:
        temp.unlink(missing_ok=True)


@dataclass(frozen=True)
class TokenClaim:
    """What a well-formed token claims; only trust it after :meth:`TokenSigner.verify`."""

    subscriber_id: int
    issue: str
    mac: str


class TokenSigner:
    """Makes and checks unsubscribe tokens with one list secret."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_SECRET_LENGTH:
            raise ValueError("the list secret is too short")
        self._key = key

    def _mac(self, subscriber_id: int, issue: str, subscriber_secret: str) -> str:
        message = b"\x00".join(
            (
                _DOMAIN,
                str(subscriber_id).encode("ascii"),
                issue.encode("utf-8"),
                subscriber_secret.encode("utf-8"),
            )
        )
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def sign(self, subscriber_id: int, issue: str, subscriber_secret: str) -> str:
        """The token for this subscriber and issue."""
        return f"{subscriber_id}.{issue}.{self._mac(subscriber_id, issue, subscriber_secret)}"

    def message_id(self, subscriber_id: int, issue: str, subscriber_secret: str, domain: str) -> str:
        """``<mac@domain>``: the Message-ID of this subscriber's copy of ``issue``.

        The same on every try and resend (a client or the server recognises a resent copy as
        the same message), yet unpredictable and unique beyond this list: an HMAC keyed with
        the list secret over the issue, the subscriber's id and their own random secret, so it
        neither counts subscribers (as row ids did) nor collides with another project's or
        database's ids. Lowercase base32: unreserved in every Message-ID parser.
        """
        message = b"\x00".join(
            (
                _MESSAGE_ID_DOMAIN,
                str(subscriber_id).encode("ascii"),
                issue.encode("utf-8"),
                subscriber_secret.encode("utf-8"),
            )
        )
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:_MESSAGE_ID_BYTES]
        return f"<{base64.b32encode(digest).decode('ascii').lower()}@{domain}>"

    def verify(self, claim: TokenClaim, subscriber_secret: str) -> bool:
        """True if the token was made by :meth:`sign` for this subscriber (constant time)."""
        expected = self._mac(claim.subscriber_id, claim.issue, subscriber_secret)
        return hmac.compare_digest(expected.encode("ascii"), claim.mac.encode("ascii"))


def parse_token(token: str) -> TokenClaim | None:
    """Split a token into its claim, or None when it is not even shaped like one."""
    match = _TOKEN_SHAPE.match(token)
    if not match:
        return None
    return TokenClaim(int(match.group(1)), match.group(2), match.group(3))
