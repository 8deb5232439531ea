"""The machine-translation backends: names, limits, credentials, language codes, translators.

Every network backend goes through deep-translator 1.11.4; ``pseudo`` is offline and only makes
the pseudo-locale. Language codes are ours to pick (``pt_BR`` is ``pt`` for Google and
Microsoft, ``PT-BR`` for DeepL, ``pt-BR`` for MyMemory): deep-translator's own tables are out of
date (no Arabic for DeepL, no regional targets), so our subclasses take the code as given.

Credentials come from :class:`~pubflow.config.Settings` (``PUBFLOW_DEEPL_API_KEY`` …, or a
Prefect Secret block passed by the flows) and are only ever handed to the translator object.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pubflow.errors import ConfigError
from pubflow.locales import PSEUDO_LOCALE

if TYPE_CHECKING:
    from pubflow.config import Settings
    from pubflow.i18n.machine.client import TranslatorFactory

Role = Literal["source", "target"]


@dataclass(frozen=True)
class Backend:
    """A backend's fixed facts."""

    name: str
    max_chars: int
    """Longest text sent in one request (deep-translator rejects ``len >= limit``)."""
    key_setting: str | None = None
    key_required: bool = False
    network: bool = True

    @property
    def key_env_var(self) -> str | None:
        return f"PUBFLOW_{self.key_setting.upper()}" if self.key_setting else None


BACKENDS: dict[str, Backend] = {
    "google": Backend("google", max_chars=4999),
    "deepl": Backend("deepl", max_chars=4999, key_setting="deepl_api_key", key_required=True),
    "microsoft": Backend(
        "microsoft", max_chars=4999, key_setting="microsoft_api_key", key_required=True
    ),
    # A self-hosted LibreTranslate needs no key, but deep-translator insists on one.
    "libre": Backend("libre", max_chars=4999, key_setting="libre_api_key"),
    "mymemory": Backend("mymemory", max_chars=499),
    "pseudo": Backend("pseudo", max_chars=10**9, network=False),
}

DEFAULT_BACKEND = "google"


def get_backend(name: str) -> Backend:
    """The backend called ``name``; :class:`ConfigError` listing the known ones otherwise."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise ConfigError(
            f"unknown translation backend {name!r}",
            hint=f"use one of: {', '.join(BACKENDS)}",
        ) from None


# --- language codes -----------------------------------------------------------------------------

_GOOGLE_SPECIAL = {
    "he": "iw", "jv": "jw", "nb": "no", "nn": "no", "fil": "tl",
    "zh": "zh-CN", "zh_CN": "zh-CN", "zh_Hans": "zh-CN", "zh_SG": "zh-CN",
    "zh_TW": "zh-TW", "zh_Hant": "zh-TW", "zh_HK": "zh-TW",
}  # fmt: skip
_DEEPL_TARGET_SPECIAL = {
    "en": "EN-US", "en_US": "EN-US", "en_GB": "EN-GB",
    "pt": "PT-PT", "pt_PT": "PT-PT", "pt_BR": "PT-BR",
    "zh_TW": "ZH-HANT", "zh_Hant": "ZH-HANT", "zh_HK": "ZH-HANT",
    "nn": "NB", "no": "NB",
}  # fmt: skip
_DEEPL_EXTRA = {"ar", "ko", "nb"}  # supported by DeepL, missing from deep-translator 1.11.4
_MICROSOFT_SPECIAL = {
    "pt_PT": "pt-pt", "pt_BR": "pt",
    "zh": "zh-Hans", "zh_CN": "zh-Hans", "zh_Hans": "zh-Hans",
    "zh_TW": "zh-Hant", "zh_Hant": "zh-Hant", "zh_HK": "zh-Hant",
    "no": "nb", "sr_Latn": "sr-Latn", "sr_Cyrl": "sr-Cyrl",
}  # fmt: skip
_LIBRE_SPECIAL = {"zh_TW": "zt", "zh_Hant": "zt", "zh_HK": "zt"}


def backend_language(backend: str, locale: str, *, role: Role = "target") -> str:
    """The code ``backend`` uses for ``locale``; :class:`ConfigError` when it has none."""
    from deep_translator import constants as dt

    language = locale.split("_")[0]
    hint = f"use --backend pseudo for {PSEUDO_LOCALE} and a real backend for other locales"
    if backend == "pseudo":
        if role == "target" and locale != PSEUDO_LOCALE:
            raise ConfigError(
                f"the pseudo backend only makes the pseudo-locale {PSEUDO_LOCALE}, not {locale}",
                hint=hint,
            )
        return locale
    if locale == PSEUDO_LOCALE:
        raise ConfigError(
            f"{PSEUDO_LOCALE} is the pseudo-locale: {backend} cannot make it", hint=hint
        )
    code: str | None
    if backend == "google":
        known = set(dt.GOOGLE_LANGUAGES_TO_CODES.values())
        code = _GOOGLE_SPECIAL.get(locale) or _GOOGLE_SPECIAL.get(language)
        code = code or (locale.replace("_", "-") if locale.replace("_", "-") in known else language)
        code = code if code in known else None
    elif backend == "deepl":
        known = {value.upper() for value in dt.DEEPL_LANGUAGE_TO_CODE.values()} | {
            extra.upper() for extra in _DEEPL_EXTRA
        }
        if role == "source":
            code = language.upper() if language.upper() in known else None
        else:
            code = _DEEPL_TARGET_SPECIAL.get(locale) or _DEEPL_TARGET_SPECIAL.get(language)
            code = code or (language.upper() if language.upper() in known else None)
    elif backend == "microsoft":
        code = _MICROSOFT_SPECIAL.get(locale) or _MICROSOFT_SPECIAL.get(language) or language
    elif backend == "libre":
        code = _LIBRE_SPECIAL.get(locale) or language
    elif backend == "mymemory":
        code = locale.replace("_", "-")
    else:
        get_backend(backend)
        code = None
    if not code:
        raise ConfigError(
            f"{backend} does not translate {'from' if role == 'source' else 'into'} {locale}",
            hint="pick another --backend for this locale",
        )
    return code


# --- credentials --------------------------------------------------------------------------------


def backend_key(backend: Backend, settings: Settings) -> str | None:
    """The backend's API key from the settings, or None; never log or show the value."""
    if backend.key_setting is None:
        return None
    secret = getattr(settings, backend.key_setting)
    value = secret.get_secret_value() if secret is not None else None
    return value or None


def secret_values(settings: Settings) -> list[str]:
    """Every credential the settings hold (to keep them out of output, logs and files)."""
    values = []
    for backend in BACKENDS.values():
        key = backend_key(backend, settings)
        if key:
            values.append(key)
    return values


def base_url_for(backend: Backend, settings: Settings, base_url: str | None) -> str | None:
    """The (validated) base URL, only meaningful for ``libre``; ends with ``/``."""
    url = base_url or (settings.mt_base_url if backend.name == "libre" else None)
    if url is None:
        return None
    if backend.name != "libre":
        raise ConfigError(
            f"--base-url only applies to the libre backend, not {backend.name}",
            hint="drop --base-url, or use --backend libre for a self-hosted LibreTranslate",
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--base-url {display_url(url)!r} is not an http(s) URL",
            hint="use e.g. http://127.0.0.1:5000/",
        )
    path = parts.path if parts.path.endswith("/") else f"{parts.path}/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def display_url(url: str) -> str:
    """``url`` without any ``user:password@`` part and query (safe to print)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


# --- translators --------------------------------------------------------------------------------


class _GivenCodes:
    """Take language codes as given: :func:`backend_language` already chose them."""

    def _map_language_to_code(self, *languages: str) -> Iterator[str]:
        return iter(languages)


def translator_factory(
    backend: Backend, settings: Settings, *, base_url: str | None = None
) -> TranslatorFactory:
    """``(source, target) -> translate(text)`` for a network backend.

    Raises :class:`ConfigError` (a user error) when a required key is missing. A fresh
    deep-translator object is made per call: they keep per-request state in ``_url_params``,
    so sharing one between worker threads would mix texts up.
    """
    from deep_translator import (
        DeeplTranslator,
        GoogleTranslator,
        LibreTranslator,
        MicrosoftTranslator,
        MyMemoryTranslator,
    )

    key = backend_key(backend, settings)
    url = base_url_for(backend, settings, base_url)
    if backend.key_required and not key:
        raise ConfigError(
            f"the {backend.name} backend needs an API key",
            hint=f"set {backend.key_env_var} (or give the flow a Prefect Secret block)",
        )

    if backend.name == "google":

        class Google(_GivenCodes, GoogleTranslator):  # type: ignore[misc]
            pass

        return lambda source, target: Google(source=source, target=target).translate

    if backend.name == "deepl":

        class Deepl(_GivenCodes, DeeplTranslator):  # type: ignore[misc]
            pass

        # DeepL's free-plan keys end in ":fx" and live on another host.
        free = bool(key and key.endswith(":fx"))
        return lambda source, target: Deepl(
            source=source, target=target, api_key=key, use_free_api=free
        ).translate

    if backend.name == "microsoft":

        class Microsoft(_GivenCodes, MicrosoftTranslator):  # type: ignore[misc]
            def _get_supported_languages(self) -> dict[str, str]:
                # The stock class downloads its language list at construction (no timeout,
                # one extra request per string); our table already picked the code.
                return {}

        region = settings.microsoft_region
        return lambda source, target: Microsoft(
            source=source, target=target, api_key=key, region=region
        ).translate

    if backend.name == "libre":
        if url is None and not key:
            raise ConfigError(
                "the libre backend needs --base-url (a self-hosted server) or an API key",
                hint=f"pass --base-url http://HOST:PORT/ or set {backend.key_env_var}",
            )

        class Libre(_GivenCodes, LibreTranslator):  # type: ignore[misc]
            pass

        # A self-hosted server ignores the key, but deep-translator refuses to run without one.
        libre_key = key or "pubflow-no-key"
        options: dict[str, Any] = {"custom_url": url} if url else {"use_free_api": False}
        return lambda source, target: Libre(
            source=source, target=target, api_key=libre_key, **options
        ).translate

    if backend.name == "mymemory":

        class MyMemory(_GivenCodes, MyMemoryTranslator):  # type: ignore[misc]
            pass

        email = settings.mymemory_email
        extra: dict[str, Any] = {"email": email} if email else {}
        return lambda source, target: MyMemory(source=source, target=target, **extra).translate

    raise ConfigError(
        f"{backend.name} is not a network backend", hint="use it through prefill_catalogs"
    )
