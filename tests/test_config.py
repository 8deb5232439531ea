from __future__ import annotations

from pathlib import Path

import pytest

from pubflow.config import load_settings
from pubflow.errors import ConfigError


def test_pyproject_settings_and_env_override(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(project)
    assert settings.source_locale == "en"
    assert settings.all_locales[0] == "en"
    assert settings.subscribers_db_path == project / "var" / "subscribers.sqlite3"
    monkeypatch.setenv("PUBFLOW_SMTP_PORT", "2525")
    monkeypatch.setenv("PUBFLOW_SMTP_SECURITY", "starttls")
    settings = load_settings(project)
    assert settings.smtp_port == 2525
    assert settings.smtp_security == "starttls"


@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [
        ("PUBFLOW_SMTP_PORT", "not-a-port", "smtp_port"),
        ("PUBFLOW_SMTP_SECURITY", "tls13", "smtp_security"),
        ("PUBFLOW_LOCALES", '["../etc"]', "not a locale code"),
        ("PUBFLOW_LOCALES", '["xx_YY"]', "unknown locale"),
    ],
)
def test_bad_setting_names_it(
    project: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, needle: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(project)
    assert needle in str(caught.value)
    assert "pyproject.toml" in str(caught.value)


def test_broken_pyproject_is_reported(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pubflow\nlocales = 3\n")
    from pubflow.config import find_root

    with pytest.raises(ConfigError) as caught:
        find_root(tmp_path)
    assert "pyproject.toml" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("de", ["de"]), ("de, fr", ["de", "fr"]), ('["de", "ar"]', ["de", "ar"]), (" es ,pt_BR,", ["es", "pt_BR"])],
)
def test_locales_variable_takes_commas_or_json(
    project: Path, monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("PUBFLOW_LOCALES", value)
    assert load_settings(project).locales == expected


def test_locales_variable_that_is_neither_is_named(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBFLOW_LOCALES", '["de", ')
    with pytest.raises(ConfigError) as caught:
        load_settings(project)
    assert "PUBFLOW_LOCALES" in str(caught.value) and "JSON list" in str(caught.value)


def test_undecodable_variable_is_a_config_error_not_a_traceback(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic_settings import SettingsError

    from pubflow import config

    def settings(**values: object) -> None:
        raise SettingsError('error parsing value for field "future" from source "EnvSettingsSource"')

    monkeypatch.setattr(config, "Settings", settings)
    with pytest.raises(ConfigError) as caught:
        load_settings(project)
    assert '"future"' in str(caught.value) and "PUBFLOW_*" in str(caught.value)
