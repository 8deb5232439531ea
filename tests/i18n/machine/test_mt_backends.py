from __future__ import annotations

import pytest

from pubflow.errors import ConfigError
from pubflow.i18n.machine.backends import (
    BACKENDS,
    backend_language,
    base_url_for,
    display_url,
    get_backend,
    translator_factory,
)


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        ("google", ["de", "es", "fr", "ar", "pt"]),
        ("deepl", ["DE", "ES", "FR", "AR", "PT-BR"]),
        ("microsoft", ["de", "es", "fr", "ar", "pt"]),
        ("libre", ["de", "es", "fr", "ar", "pt"]),
        ("mymemory", ["de", "es", "fr", "ar", "pt-BR"]),
    ],
)
def test_release_locales_map_to_each_backends_codes(backend: str, expected: list[str]) -> None:
    assert [backend_language(backend, code) for code in ["de", "es", "fr", "ar", "pt_BR"]] == expected


def test_special_codes() -> None:
    assert backend_language("google", "he") == "iw"
    assert backend_language("google", "zh_TW") == "zh-TW"
    assert backend_language("deepl", "en", role="source") == "EN"
    assert backend_language("deepl", "en_GB") == "EN-GB"
    assert backend_language("microsoft", "pt_PT") == "pt-pt"


def test_unsupported_language_is_a_user_error() -> None:
    with pytest.raises(ConfigError, match="deepl does not translate into vi"):
        backend_language("deepl", "vi")


def test_limits_are_under_the_backend_maximum() -> None:
    assert BACKENDS["google"].max_chars < 5000
    assert BACKENDS["mymemory"].max_chars < 500


def test_base_url_gets_its_slash_and_loses_credentials_when_shown(project_settings) -> None:
    libre = get_backend("libre")
    assert base_url_for(libre, project_settings, "http://127.0.0.1:5000") == "http://127.0.0.1:5000/"
    assert base_url_for(libre, project_settings, "https://mt.example.org/api") == "https://mt.example.org/api/"
    assert display_url("https://user:sk-secret@mt.example.org/x?api_key=k") == "https://mt.example.org/x"


def test_microsoft_translator_is_built_without_a_network_call(project_settings, monkeypatch) -> None:
    import requests

    def no_network(*args, **kwargs):
        raise AssertionError("no request may be made while building a translator")

    monkeypatch.setattr(requests, "get", no_network)
    settings = project_settings.copy(microsoft_api_key="k")
    translate = translator_factory(get_backend("microsoft"), settings)("en", "de")
    assert callable(translate)
