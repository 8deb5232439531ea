"""The one-click unsubscribe endpoint: a small Starlette app.

Routes (the prefix is the path of ``settings.unsubscribe_base_url``, ``/unsubscribe`` by
default, so links and routes always agree):

- ``GET  {prefix}/{token}``: a confirmation page in the subscriber's language with a button;
  it changes nothing, because link checkers and mail scanners follow links;
- ``POST {prefix}/{token}``: the RFC 8058 one-click request (body
  ``List-Unsubscribe=One-Click``, form-urlencoded or multipart, which the page's button sends
  too): unsubscribes at once and shows a confirmation;
- ``GET  /healthz``: ``{"status": "ok"}`` when the subscriber database answers.

A forged, altered, unknown or foreign token gets 403 and changes nothing. Valid tokens get the
same pages whatever the subscriber's status, so the responses never tell whether an address is
(still) subscribed, and a replayed request is harmless. Pages are not cached, not indexed and
send no Referer (the URL carries the token).

Page strings go through gettext (domain ``messages``, compiled catalogs under
``build/locales``). Translations are escaped before they reach the page: Jinja2's i18n extension
would otherwise mark them safe under autoescape, letting a catalog inject markup.
"""

from __future__ import annotations

import gettext
import logging
import sqlite3
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from pubflow.config import Settings
from pubflow.deliver.subscribers import Subscriber, SubscriberStore, open_database
from pubflow.deliver.tokens import ListSecret, TokenSigner, load_list_secret, parse_token
from pubflow.errors import DeliveryError, PubflowError
from pubflow.i18n.placeholders import untrusted_directive
from pubflow.locales import html_lang, text_direction

logger = logging.getLogger(__name__)

TEMPLATE_FOLDER = "unsubscribe"
PAGES = ("confirm.html", "done.html", "invalid.html", "bad-request.html")
ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}

# Verifying against a made-up secret when the id is unknown keeps the response time the same
# for existing and missing ids.
_NO_SUBSCRIBER_SECRET = "no-such-subscriber"


def _formattable(translated: str, *sources: str) -> str:
    """``translated``, or the source when it holds a ``%`` directive the source does not.

    Jinja's newstyle gettext applies ``%`` to every result: "%(x)s" in the translation of a
    string without placeholders would answer 500 to every unsubscribe, "%999999999s" a gigabyte.
    """
    for source in sources:
        if untrusted_directive(source, translated) is None:
            return translated
    return sources[0]


class EscapedTranslations:
    """A gettext translations object whose results are escaped text, never markup."""

    def __init__(self, translations: gettext.NullTranslations) -> None:
        self._translations = translations

    def gettext(self, message: str) -> Markup:
        return escape(_formattable(self._translations.gettext(message), message))

    def ngettext(self, singular: str, plural: str, n: int) -> Markup:
        source = singular if n == 1 else plural
        translated = self._translations.ngettext(singular, plural, n)
        return escape(_formattable(translated, source, singular, plural))

    def pgettext(self, context: str, message: str) -> Markup:
        return escape(_formattable(self._translations.pgettext(context, message), message))

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> Markup:
        source = singular if n == 1 else plural
        translated = self._translations.npgettext(context, singular, plural, n)
        return escape(_formattable(translated, source, singular, plural))


def negotiate_locale(header: str, available: list[str]) -> str | None:
    """The best of ``available`` for an ``Accept-Language`` header, or None."""
    wanted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            wanted.append((-quality, position, tag.strip().replace("-", "_").lower()))
    by_lower = {code.lower(): code for code in available}
    for _, _, tag in sorted(wanted):
        if tag in by_lower:
            return by_lower[tag]
        language = tag.split("_")[0]
        if language in by_lower:
            return by_lower[language]
        for code in available:
            if code.lower().split("_")[0] == language:
                return code
    return None


class UnsubscribePages:
    """Renders the pages in a locale, with the compiled ``messages`` catalog if there is one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = settings.templates_path / TEMPLATE_FOLDER
        missing = [name for name in PAGES if not (self.folder / name).is_file()]
        if missing:
            raise DeliveryError(
                f"unsubscribe page templates missing: {', '.join(missing)}",
                path=self.folder,
                hint="restore templates/unsubscribe/ from the repository",
            )
        self.list_name = parseaddr(settings.list_id)[0] or settings.site_name
        self._environments: dict[str, tuple[Environment, str]] = {}

    def translations(self, locale: str) -> tuple[gettext.NullTranslations, str]:
        """The catalog for ``locale`` and the locale the page is really in."""
        return _load_translations(
            self.settings.compiled_locales_path, locale, self.settings.source_locale
        )

    def environment(self, locale: str) -> tuple[Environment, str]:
        """One Jinja environment per locale: installed translations are environment-wide."""
        if locale in self._environments:
            return self._environments[locale]
        translations, page_locale = self.translations(locale)
        env = Environment(
            loader=FileSystemLoader(self.folder),
            # Explicitly on for .html; the pages never hold other formats.
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
        )
        env.install_gettext_translations(EscapedTranslations(translations), newstyle=True)  # type: ignore[attr-defined]
        self._environments[locale] = (env, page_locale)
        return env, page_locale

    def render(self, name: str, locale: str, **context: Any) -> str:
        env, page_locale = self.environment(locale)
        return env.get_template(name).render(
            lang=html_lang(page_locale),
            dir=text_direction(page_locale),
            list_name=self.list_name,
            site_url=self.settings.site_url,
            **context,
        )


def _load_translations(
    compiled: Path, locale: str, source_locale: str
) -> tuple[gettext.NullTranslations, str]:
    if locale == source_locale:
        return gettext.NullTranslations(), source_locale
    mo_path = compiled / locale / "LC_MESSAGES" / "messages.mo"
    if not mo_path.is_file():
        return gettext.NullTranslations(), source_locale
    try:
        with mo_path.open("rb") as handle:
            return gettext.GNUTranslations(handle), locale
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        # An unsubscribe must work even with a broken catalog: fall back to the source text.
        logger.warning("ignoring unreadable catalog %s: %s", mo_path, exc)
        return gettext.NullTranslations(), source_locale


def create_app(settings: Settings, secret: ListSecret | None = None) -> Starlette:
    """The unsubscribe app for ``settings`` (the list secret is loaded or made if not given)."""
    pages = UnsubscribePages(settings)
    signer = TokenSigner((secret or load_list_secret(settings)).key)
    db_path = settings.subscribers_db_path
    prefix = urlsplit(settings.unsubscribe_base_url).path.rstrip("/") or "/unsubscribe"

    def find_subscriber(token: str) -> Subscriber | None:
        claim = parse_token(token)
        if claim is None:
            return None
        subscriber = None
        if db_path.exists():  # no database yet: no subscriber, so no valid token
            with SubscriberStore(open_database(db_path, create=False)) as store:
                subscriber = store.get(claim.subscriber_id)
        secret_value = subscriber.secret if subscriber else _NO_SUBSCRIBER_SECRET
        valid = signer.verify(claim, secret_value)
        return subscriber if valid and subscriber is not None else None

    def unsubscribe(subscriber: Subscriber, issue: str) -> None:
        with SubscriberStore(open_database(db_path, create=False)) as store:
            current = store.get(subscriber.id)
            if current is not None and current.status != "unsubscribed":
                store.set_status(subscriber.id, "unsubscribed", f"one-click unsubscribe ({issue})")

    def page(name: str, locale: str, status: int, **context: Any) -> HTMLResponse:
        return HTMLResponse(
            pages.render(name, locale, **context), status_code=status, headers=SECURITY_HEADERS
        )

    def visitor_locale(request: Request) -> str:
        header = request.headers.get("accept-language", "")
        return negotiate_locale(header, settings.all_locales) or settings.source_locale

    async def show(request: Request) -> Response:
        token = request.path_params["token"]
        subscriber = await run_in_threadpool(find_subscriber, token)
        if subscriber is None:
            return page("invalid.html", visitor_locale(request), 403)
        return page(
            "confirm.html", subscriber.locale, 200, field=ONE_CLICK_FIELD, value=ONE_CLICK_VALUE
        )

    async def confirm(request: Request) -> Response:
        token = request.path_params["token"]
        subscriber = await run_in_threadpool(find_subscriber, token)
        if subscriber is None:
            return page("invalid.html", visitor_locale(request), 403)
        try:
            form = await request.form()
            one_click = form.get(ONE_CLICK_FIELD) == ONE_CLICK_VALUE
        except Exception:  # a malformed body is the client's problem, answered below
            one_click = False
        if not one_click:
            return page("bad-request.html", subscriber.locale, 400)
        claim = parse_token(token)
        assert claim is not None
        await run_in_threadpool(unsubscribe, subscriber, claim.issue)
        return page("done.html", subscriber.locale, 200)

    async def healthz(request: Request) -> Response:
        if db_path.exists():
            try:
                conn = open_database(db_path, create=False)
                try:
                    conn.execute("SELECT 1 FROM subscribers LIMIT 1")
                finally:
                    conn.close()
            except (PubflowError, sqlite3.Error) as exc:
                logger.error("health check: subscriber database unavailable: %s", exc)
                return JSONResponse({"status": "error"}, status_code=503)
        return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})

    return Starlette(
        routes=[
            Route(f"{prefix}/{{token}}", show, methods=["GET"]),
            Route(f"{prefix}/{{token}}", confirm, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
