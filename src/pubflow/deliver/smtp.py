"""SMTP with smtplib: one reusable connection, TLS as configured, every failure classified.

``smtp_security`` is ``none`` (plain, e.g. a local relay), ``starttls`` (upgrade required: a
server that does not offer STARTTLS is refused, never silently used in clear) or ``ssl``
(implicit TLS, usually port 465). Certificates are verified against the system store plus
``smtp_ca_file``. The password is only handed to ``SMTP.login`` and appears in no message.

Failures are :class:`SmtpFailure` with a ``kind`` that decides what the sender does:

- ``connection``: could not connect, connection lost, timeout, or ``421`` (server closing):
  reconnect after a back-off;
- ``transient``: a 4xx answer: try this message again after a back-off;
- ``permanent``: a 5xx answer to RCPT or DATA: this recipient fails, the batch goes on
  (``bounce`` is True when the answer says the mailbox does not exist);
- ``fatal``: a problem no retry fixes (login refused, sender refused, TLS not offered or the
  certificate not trusted): stop the batch.

The DATA step is written out here rather than via ``SMTP.sendmail`` so the caller can record
the hand-over just before the final ``.`` (see :mod:`pubflow.deliver.deliveries`).
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pubflow.config import Settings

FailureKind = Literal["connection", "transient", "permanent", "fatal"]

_ENHANCED_CODE = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_MAILBOX_UNKNOWN = re.compile(
    r"user unknown|unknown user|no such (?:user|mailbox|recipient)|unknown (?:mailbox|recipient)"
    r"|mailbox (?:not found|does not exist|unavailable)|does not exist|invalid recipient",
    re.IGNORECASE,
)
_LINE_ENDS = re.compile(rb"\r\n|\n|\r(?!\n)")
_LEADING_DOT = re.compile(rb"(?m)^\.")


@dataclass
class SmtpFailure(Exception):
    """One failed SMTP step, classified (see the module docstring)."""

    kind: FailureKind
    stage: str
    message: str
    code: int | None = None
    bounce: bool = False
    after_hand_over: bool = False  # lost after the final "." was sent: outcome unknown

    def __str__(self) -> str:
        return self.message


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    # Replies can span lines; keep one line, and never more than a sentence or two.
    return " ".join(text.split())[:300]


def is_mailbox_unknown(code: int, text: str) -> bool:
    """A 5xx answer meaning "this mailbox does not exist" (the address should be dropped)."""
    if code not in (550, 551, 553):
        return False
    enhanced = _ENHANCED_CODE.match(text)
    if enhanced:
        return enhanced.group(1) == "5" and enhanced.group(2) == "1"
    return bool(_MAILBOX_UNKNOWN.search(text))


def classify_reply(code: int, reply: bytes | str, stage: str) -> SmtpFailure:
    """The failure for a non-success reply ``code`` at ``stage`` (mail, rcpt, data, ...)."""
    text = _reply_text(reply)
    message = f"{code} {text}".strip()
    if code == 421:
        return SmtpFailure("connection", stage, message, code)
    if 400 <= code < 500:
        return SmtpFailure("transient", stage, message, code)
    if stage == "mail":
        # The sender itself is refused: every other message would be too.
        return SmtpFailure("fatal", stage, f"the server refused the sender: {message}", code)
    if stage in ("rcpt", "data"):
        return SmtpFailure("permanent", stage, message, code, bounce=is_mailbox_unknown(code, text))
    return SmtpFailure("fatal", stage, message, code)


class SmtpTransport:
    """A lazily opened, reusable SMTP connection configured from settings."""

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.security = settings.smtp_security
        self.timeout = settings.smtp_timeout
        self.user = settings.smtp_user
        self._password = settings.smtp_password
        self._ca_file = settings.path(settings.smtp_ca_file) if settings.smtp_ca_file else None
        self._conn: smtplib.SMTP | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self._ca_file is not None:
            try:
                context.load_verify_locations(cafile=str(self._ca_file))
            except (OSError, ssl.SSLError) as exc:
                raise SmtpFailure(
                    "fatal", "connect", f"cannot load smtp_ca_file {self._ca_file}: {exc}"
                ) from exc
        return context

    def connect(self) -> None:
        """Open the connection (TLS and login as configured) unless it is open."""
        if self._conn is not None:
            return
        conn: smtplib.SMTP | None = None
        try:
            if self.security == "ssl":
                conn = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self._ssl_context()
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            self._ehlo(conn)
            if self.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise SmtpFailure(
                        "fatal", "starttls", f"{self.address} does not offer STARTTLS"
                    )
                code, reply = conn.starttls(context=self._ssl_context())
                if code != 220:
                    raise classify_reply(code, reply, "starttls")
                self._ehlo(conn)
            if self.user:
                password = self._password.get_secret_value() if self._password else ""
                conn.login(self.user, password)
        except SmtpFailure:
            _close_quietly(conn)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _close_quietly(conn)
            raise SmtpFailure(
                "fatal",
                "login",
                f"{self.address} refused the login of {self.user!r}: "
                f"{exc.smtp_code} {_reply_text(exc.smtp_error)}",
                exc.smtp_code,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            _close_quietly(conn)
            raise SmtpFailure("fatal", "login", f"{self.address}: {exc}") from None
        except smtplib.SMTPConnectError as exc:
            _close_quietly(conn)
            failure = classify_reply(exc.smtp_code, exc.smtp_error, "connect")
            failure.kind = "connection" if 400 <= exc.smtp_code < 500 else "fatal"
            raise failure from None
        except ssl.SSLCertVerificationError as exc:
            _close_quietly(conn)
            raise SmtpFailure(
                "fatal",
                "tls",
                f"the certificate of {self.address} is not trusted: {exc.verify_message}",
            ) from None
        except smtplib.SMTPResponseException as exc:
            _close_quietly(conn)
            raise classify_reply(exc.smtp_code, exc.smtp_error, "connect") from None
        except (OSError, smtplib.SMTPException) as exc:
            _close_quietly(conn)
            raise SmtpFailure(
                "connection", "connect", f"cannot reach {self.address}: {_describe(exc)}"
            ) from None
        # The final "." goes out in a write of its own (after the hand-over is recorded):
        # without TCP_NODELAY, Nagle's algorithm would hold it for the previous write's ACK,
        # some 40 ms per message.
        if conn.sock is not None:
            with contextlib.suppress(OSError):
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._conn = conn

    @staticmethod
    def _ehlo(conn: smtplib.SMTP) -> None:
        code, reply = conn.ehlo()
        if code != 250:
            code, reply = conn.helo()
            if code != 250:
                raise classify_reply(code, reply, "helo")

    def send(
        self,
        sender: str,
        recipient: str,
        data: bytes,
        on_hand_over: Callable[[], None] = lambda: None,
    ) -> str:
        """Send one message to one recipient; the server's acceptance reply, or SmtpFailure."""
        self.connect()
        conn = self._conn
        assert conn is not None
        handed_over = False
        in_data = False
        try:
            options: list[str] = []
            if not data.isascii():
                if not conn.has_extn("8bitmime"):
                    raise SmtpFailure(
                        "fatal", "mail", f"{self.address} cannot take 8-bit messages (no 8BITMIME)"
                    )
                options.append("BODY=8BITMIME")
            code, reply = conn.mail(sender, options)
            if code != 250:
                raise classify_reply(code, reply, "mail")
            code, reply = conn.rcpt(recipient)
            if code not in (250, 251):
                raise classify_reply(code, reply, "rcpt")
            code, reply = conn.docmd("DATA")
            if code != 354:
                raise classify_reply(code, reply, "data")
            in_data = True
            body = _LEADING_DOT.sub(b"..", _LINE_ENDS.sub(b"\r\n", data))
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            conn.send(body)
            on_hand_over()
            conn.send(b".\r\n")
            handed_over = True
            code, reply = conn.getreply()
            in_data = False
            if code != 250:
                raise classify_reply(code, reply, "data")
            return _reply_text(reply)
        except SmtpFailure as failure:
            if failure.kind == "connection":
                self.close()
            else:
                self._reset()
            raise
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SmtpFailure(
                "connection",
                "send",
                f"connection to {self.address} lost: {_describe(exc)}",
                after_hand_over=handed_over,
            ) from None
        except BaseException:
            # Interrupted by something else (Ctrl-C, the delivery log failing to record the
            # hand-over): inside DATA even a polite QUIT would become message text, so hang up;
            # a message without its final "." is discarded by the server.
            if in_data:
                self._drop()
            raise

    def _drop(self) -> None:
        """Close the connection without a word."""
        conn, self._conn = self._conn, None
        _close_quietly(conn)

    def _reset(self) -> None:
        """RSET after a refused transaction; a connection that cannot even do that is dropped."""
        if self._conn is None:
            return
        try:
            code, _ = self._conn.rset()
            if code == 250:
                return
        except (OSError, smtplib.SMTPException):
            pass
        self.close()

    def close(self) -> None:
        """QUIT politely if possible; forget the connection either way."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            _close_quietly(conn)

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close_quietly(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        with contextlib.suppress(OSError):
            conn.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
