"""Helpers for delivery tests: built issue emails, a recording SMTP handler on loopback."""

from __future__ import annotations

import datetime as dt
import email
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pubflow.config import Settings
from pubflow.deliver.links import UNSUBSCRIBE_TOKEN_PLACEHOLDER, unsubscribe_link
from pubflow.deliver.subscribers import SubscriberStore

ISSUE = "2025-06"
MAILTO = "unsubscribe@pubflow.example.org"

GREETING = {
    "en": "Hello, reader",
    "de": "Hallo, liebe Leserin",
    "es": "Hola, lectora",
    "fr": "Bonjour, lectrice",
    "ar": "مرحبا أيها القارئ",
    "pt_BR": "Olá, leitora",
}
SUBJECT = {
    "en": "Finding relief — issue June",
    "de": "Linderung finden – Ausgabe Juni",
    "es": "Encontrar alivio – número de junio",
    "fr": "Trouver du soulagement – numéro de juin",
    "ar": "إيجاد الراحة – عدد يونيو",
    "pt_BR": "Encontrar alívio – edição de junho",
}


def build_eml(
    dist: Path, issue: str, locale: str, *, base_url: str, long_text: bool = True
) -> Path:
    """Write ``dist/newsletter/<issue>/<locale>/email.eml`` as the newsletter build would."""
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = SUBJECT[locale]
    message["From"] = "pubflow newsletter <newsletter@pubflow.example.org>"
    message["Reply-To"] = "editors@pubflow.example.org"
    message["Message-ID"] = f"<{issue}.{locale}@pubflow.example.org>"
    message["Date"] = formatdate(dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC).timestamp())
    message["List-Id"] = "pubflow newsletter <newsletter.pubflow.example.org>"
    link = unsubscribe_link(base_url)
    message["List-Unsubscribe"] = (
        f"<{link}>, <mailto:{MAILTO}?subject=unsubscribe-{UNSUBSCRIBE_TOKEN_PLACEHOLDER}>"
    )
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # A long line right before the link makes quoted-printable break lines near it.
    filler = ("Lorem ipsum dolor sit amet " * 8) if long_text else ""
    text = f"{GREETING[locale]}\n\n{filler}Unsubscribe: {link}\n"
    html = (
        f'<!DOCTYPE html><html lang="{locale.replace("_", "-")}"><body>'
        f"<p>{GREETING[locale]}</p><p>{filler}</p>"
        f'<p><a href="{link}">unsubscribe</a></p></body></html>'
    )
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    path = dist / "newsletter" / issue / locale / "email.eml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(message.as_bytes())
    record_in_manifest(path, locale)
    return path


def record_in_manifest(path: Path, locale: str, status: str = "built") -> None:
    """Enter ``path`` (an issue's ``<locale>/email.eml``) in the issue's manifest.json with
    ``status``, as the newsletter build records what it made (send only trusts that)."""
    import hashlib
    import json

    manifest_path = path.parent.parent / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"locales": {}}
    entry: dict[str, Any] = {"status": status}
    if status == "built":
        entry["files"] = {"email.eml": {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}}
    manifest["locales"][locale] = entry
    manifest_path.write_text(json.dumps(manifest))


@dataclass
class Received:
    """One message as the SMTP server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return part.get_content()

    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return part.get_content()


Hook = Callable[[Any, str], "str | None"]


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps every accepted message; hooks can refuse or hang up."""

    received: list[Received] = field(default_factory=list)
    mail_hook: Hook | None = None  # (server, sender) -> reply to send instead, or None
    rcpt_hook: Hook | None = None  # (server, address) -> reply to send instead, or None
    data_hook: Hook | None = None  # (server, first recipient) -> reply instead, or None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # type: ignore[no-untyped-def]
        if self.mail_hook is not None:
            reply = self.mail_hook(server, address)
            if reply is not None:
                return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if self.rcpt_hook is not None:
            reply = self.rcpt_hook(server, address)
            if reply is not None:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.data_hook is not None:
            reply = self.data_hook(server, envelope.rcpt_tos[0])
            if reply is not None:
                return reply
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)
                )
            )
        return "250 Message accepted for delivery"

    def by_recipient(self) -> dict[str, list[Received]]:
        result: dict[str, list[Received]] = {}
        for item in self.received:
            for rcpt in item.rcpt_tos:
                result.setdefault(rcpt, []).append(item)
        return result


def hang_up(server: Any) -> str:
    """Close the client's connection from the server side (the reply is never delivered)."""
    server.transport.close()
    return "421 closing"


class LoopbackController(Controller):
    """aiosmtpd on 127.0.0.1 with a port picked by the OS (no race for a "free" port)."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def built_issue(
    settings: Settings, locales: tuple[str, ...] = ("en", "de", "es"), issue: str = ISSUE
) -> None:
    source = settings.newsletters_path / f"{issue}.toml"  # sending checks it is as built
    if not source.exists():
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(f'id = "{issue}"\n')
    for code in locales:
        build_eml(settings.dist_path, issue, code, base_url=settings.unsubscribe_base_url)
    import hashlib
    import json

    manifest_path = settings.dist_path / "newsletter" / issue / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    # As a build of every language records them: the others are not published (a locale the
    # manifest does not mention was not built, and sending refuses to skip past it).
    for code in settings.all_locales:
        if code not in locales:
            manifest["locales"].setdefault(code, {"status": "not published"})
    manifest["source_sha256"] = hashlib.sha256(source.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))


def add_subscribers(settings: Settings, rows: list[tuple[str, str]]) -> None:
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        for address, code in rows:
            store.add(address, code)


TOKEN_IN_URL = re.compile(r"/unsubscribe/([A-Za-z0-9._-]+)")


def tokens_in(received: Received) -> dict[str, str]:
    """The token found in each place a personal token belongs."""
    message = received.message
    header = str(message["List-Unsubscribe"])
    mailto = re.search(r"subject=unsubscribe-([A-Za-z0-9._-]+)>", header)
    found = {
        "header": TOKEN_IN_URL.search(header).group(1),  # type: ignore[union-attr]
        "header_mailto": mailto.group(1) if mailto else "",
        "text": TOKEN_IN_URL.search(received.text()).group(1),  # type: ignore[union-attr]
        "html": TOKEN_IN_URL.search(received.html()).group(1),  # type: ignore[union-attr]
    }
    return found


__all__ = [
    "AuthResult",
    "LoginPassword",
    "ISSUE",
    "GREETING",
    "SUBJECT",
    "build_eml",
    "record_in_manifest",
    "built_issue",
    "add_subscribers",
    "tokens_in",
    "hang_up",
    "LoopbackController",
    "RecordingHandler",
    "Received",
    "served",
]


@contextmanager
def served(application: Any) -> Iterator[httpx.Client]:
    """Run an ASGI app with uvicorn on 127.0.0.1 (OS-picked port); yield a client for it."""
    config = uvicorn.Config(
        application, host="127.0.0.1", port=0, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    # The client drops idle connections after 2 s, before uvicorn's 5 s keep-alive timeout, so it
    # never sends a request on a connection the server is closing (the keep-alive race).
    limits = httpx.Limits(keepalive_expiry=2.0)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", timeout=10, limits=limits
        ) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)
