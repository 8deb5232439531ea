from __future__ import annotations

from pathlib import Path

import pytest

from pubflow.config import load_settings
from pubflow.errors import ConfigError


def test_pyproject_settings_and_env_override(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
        # Values with a shape: checked after the type and limits.
        ("PUBFLOW_SITE_URL", "not a url", "not an http(s) address"),
        ("PUBFLOW_SITE_URL", "javascript:alert(1)//", "not an http(s) address"),
        ("PUBFLOW_UNSUBSCRIBE_MAILTO", "not mail", "not an email address"),
        ("PUBFLOW_LIST_ID", "a\nBcc: e@example.org", "line break"),
        ("PUBFLOW_MAIL_FROM", "news <n@example.org>\r\nBcc: x@example.org", "line break"),
        ("PUBFLOW_NEWSLETTER_TIMEZONE", "Mars/Olympus", "not a time zone"),
        ("PUBFLOW_LOCALES", "", "empty"),
        ("PUBFLOW_NEWSLETTER_CRON", "every day", "not a cron schedule"),
        ("PUBFLOW_HOST", "bad host", "not a host name"),
    ],
)
def test_bad_setting_names_it(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    needle: str,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(project)
    assert needle in str(caught.value)
    assert f"the {variable} variable" in caught.value.message
    assert "pyproject.toml" not in str(caught.value)  # the variable is wrong, not the file


def test_broken_pyproject_is_reported(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pubflow\nlocales = 3\n")
    from pubflow.config import find_root

    with pytest.raises(ConfigError) as caught:
        find_root(tmp_path)
    # The line is in the location, once; TOML's own "(at line 1, column 14)" is not repeated.
    assert caught.value.path == tmp_path / "pyproject.toml" and caught.value.line == 1
    assert "line" not in caught.value.message and "column" not in caught.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("de", ["de"]),
        ("de, fr", ["de", "fr"]),
        ('["de", "ar"]', ["de", "ar"]),
        (" es ,pt_BR,", ["es", "pt_BR"]),
    ],
)
def test_locales_variable_takes_commas_or_json(
    project: Path, monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("PUBFLOW_LOCALES", value)
    assert load_settings(project).locales == expected


def test_locales_variable_that_is_neither_is_named(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBFLOW_LOCALES", '["de", ')
    with pytest.raises(ConfigError) as caught:
        load_settings(project)
    assert "PUBFLOW_LOCALES" in str(caught.value) and "JSON list" in str(caught.value)


def _project_with(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.pubflow]\n' + table
    )
    return tmp_path


def test_a_bad_value_in_pyproject_names_its_line_and_what_is_allowed(
    tmp_path: Path,
) -> None:
    root = _project_with(tmp_path, 'source_locale = "en"\nworkers = -2\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(root)
    error = caught.value
    assert error.path == root / "pyproject.toml" and error.line == 6
    assert "workers" in error.message and "at least 0" in error.message
    assert "[tool.pubflow] workers" in (error.hint or "")


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('smtp_security = "tls"', "not one of 'none', 'starttls', 'ssl'"),
        ("coverage_threshold = 101", "at most 100"),
        ("mt_timeout = 0", "greater than 0"),
        ("smtp_port = true", "expected a whole number"),
        ("site_name = 3", "expected text"),
        ('locales = ["de", 3]', "expected a list of texts"),
        ("workers = 2.5", "expected a whole number"),
        ("send_rate = nan", "expected a number"),
    ],
)
def test_values_of_the_wrong_kind_are_refused(
    tmp_path: Path, line: str, needle: str
) -> None:
    root = _project_with(tmp_path, line + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(root)
    assert needle in caught.value.message
    assert caught.value.line == 5


def test_an_unknown_setting_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    root = _project_with(tmp_path, 'source_locale = "en"\nsmtp_prot = 25\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(root)
    assert "unknown setting 'smtp_prot'" in caught.value.message
    assert caught.value.line == 6 and "smtp_port" in (caught.value.hint or "")


def test_a_variable_error_names_the_variable(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBFLOW_WORKERS", "many")
    with pytest.raises(ConfigError) as caught:
        load_settings(project)
    assert "PUBFLOW_WORKERS variable" in caught.value.message
    assert "expected a whole number, got 'many'" in caught.value.message


def test_precedence_and_conversion(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("pubflow_coverage_threshold", " 75 ")  # any case, spaces around
    monkeypatch.setenv("PUBFLOW_WORKERS", "3")
    monkeypatch.setenv("PUBFLOW_SOMETHING_ELSE", "x")  # not ours: ignored
    settings = load_settings(project, workers=1, site_name=None)
    assert settings.coverage_threshold == 75.0 and settings.workers == 1
    assert settings.root == project.resolve()


def test_secrets_stay_out_of_reprs_and_fingerprints(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pubflow.config import Secret
    from pubflow.fingerprint import settings_fingerprint

    monkeypatch.setenv("PUBFLOW_SMTP_PASSWORD", "hunter2")
    settings = load_settings(project)
    assert isinstance(settings.smtp_password, Secret)
    assert settings.smtp_password.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.as_json())
    monkeypatch.setenv("PUBFLOW_SMTP_PASSWORD", "other")
    assert settings_fingerprint(load_settings(project)) == settings_fingerprint(
        settings
    )


def test_a_copy_is_checked_and_shares_nothing(project: Path) -> None:
    settings = load_settings(project)
    copy = settings.copy(workers="2")
    assert copy.workers == 2
    copy.locales.append("it")
    assert "it" not in settings.locales
    with pytest.raises(ConfigError, match="coverage_threshold"):
        settings.copy(coverage_threshold=-1)
    with pytest.raises(ConfigError, match="unknown setting"):
        settings.copy(no_such_setting=1)


def test_settings_load_without_pydantic() -> None:
    import subprocess
    import sys

    code = "import sys, pubflow.config, pubflow.cli\nprint('pydantic' in sys.modules)\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_good_values_with_a_shape_pass(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBFLOW_SITE_URL", "https://news.example.org/blog")
    monkeypatch.setenv("PUBFLOW_NEWSLETTER_TIMEZONE", "America/Sao_Paulo")
    monkeypatch.setenv("PUBFLOW_UNSUBSCRIBE_MAILTO", "leave@example.org")
    settings = load_settings(project)
    assert settings.site_url == "https://news.example.org/blog"
    assert settings.newsletter_timezone == "America/Sao_Paulo"


def test_a_project_folder_that_does_not_exist_is_refused_and_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-such-project"
    monkeypatch.setenv("PUBFLOW_ROOT", str(missing))
    with pytest.raises(ConfigError, match="project folder does not exist"):
        load_settings()
    assert not missing.exists()


def test_commands_outside_a_project_say_so_and_create_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pubflow.cli import app

    empty = tmp_path / "somewhere"
    empty.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.delenv("PUBFLOW_ROOT", raising=False)
    runner = CliRunner()
    for args in (["check"], ["catalogs", "update"], ["catalogs", "update", "--root", str(empty)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "no pubflow project here" in result.output
    assert list(empty.iterdir()) == []  # no build/, no catalogs


@pytest.mark.parametrize(
    ("variable", "make", "needle"),
    [
        ("PUBFLOW_BUILD_DIR", "file", "is a file"),
        ("PUBFLOW_DIST_DIR", "file", "is a file"),
        ("PUBFLOW_TRANSLATION_MEMORY", "folder", "is a folder"),
        ("PUBFLOW_SUBSCRIBERS_DB", "folder", "is a folder"),
    ],
)
def test_a_folder_setting_that_is_a_file_is_named(
    project: Path, monkeypatch: pytest.MonkeyPatch, variable: str, make: str, needle: str
) -> None:
    target = project / "somewhere"
    if make == "file":
        target.write_text("not a folder")
    else:
        target.mkdir()
    monkeypatch.setenv(variable, str(target))
    with pytest.raises(ConfigError) as caught:
        load_settings(project)
    assert needle in caught.value.message and variable.removeprefix("PUBFLOW_").lower() in caught.value.message
    # The variable is to blame, not pyproject.toml: no file:line in front of the message.
    assert f"the {variable} variable" in caught.value.message and caught.value.path is None


def test_a_folder_setting_from_pyproject_names_its_line(project: Path) -> None:
    (project / "somewhere").write_text("not a folder")
    pyproject = project / "pyproject.toml"
    lines = pyproject.read_text().splitlines()
    lines.insert(lines.index("[tool.pubflow]") + 1, 'build_dir = "somewhere"')
    pyproject.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(project)
    assert caught.value.path == pyproject
    assert caught.value.line == lines.index('build_dir = "somewhere"') + 1
    assert "is a file" in caught.value.message


def test_a_bad_variable_value_is_not_blamed_on_pyproject(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBFLOW_SMTP_PORT", "99999")
    with pytest.raises(ConfigError) as caught:
        load_settings(project)
    assert caught.value.path is None
    assert caught.value.describe().startswith("invalid setting smtp_port (from the PUBFLOW_SMTP_PORT variable)")


def test_a_mistyped_variable_is_warned_about_on_the_command_line(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pubflow.cli import app
    from pubflow.config import mistyped_variables

    monkeypatch.chdir(project)
    monkeypatch.setenv("PUBFLOW_LOCALE", "de")  # meant PUBFLOW_LOCALES
    monkeypatch.setenv("PUBFLOW_SOAK", "1")  # no setting is close: another tool's, silent
    assert mistyped_variables() == [("PUBFLOW_LOCALE", "PUBFLOW_LOCALES")]
    result = CliRunner().invoke(app, ["stats"])
    assert result.exit_code == 0
    assert (
        "pubflow: warning: PUBFLOW_LOCALE is not a setting (did you mean PUBFLOW_LOCALES?); "
        "it is ignored" in result.stderr
    )


def test_an_edited_pyproject_is_read_again_and_a_read_is_not_shared(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    first = load_settings(project)
    first.locales.append("it")  # a caller changing its copy changes no later read
    assert "it" not in load_settings(project).locales
    pyproject.write_text(text.replace("[tool.pubflow]", "[tool.pubflow]\nworkers = 3", 1))
    assert load_settings(project).workers == 3
    pyproject.write_text(text.replace("[tool.pubflow]", "[tool.pubflow]\nworkers = 3 = 4", 1))
    with pytest.raises(ConfigError, match="cannot read settings"):
        load_settings(project)  # a broken edit is seen at once, not hidden by an earlier read


@pytest.mark.parametrize(
    "url",
    ["https://unsub.example.org/u?list=a,b", "https://unsub.example.org/u#top", "https://unsub.example.org/u?"],
)
def test_an_unsubscribe_url_with_a_query_or_fragment_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    # The token is appended as a path segment: "<…/u?list=a,b/TOKEN>" would be a broken link.
    monkeypatch.setenv("PUBFLOW_UNSUBSCRIBE_URL", url)
    with pytest.raises(ConfigError) as caught:
        load_settings(project)
    assert "PUBFLOW_UNSUBSCRIBE_URL variable" in caught.value.message
    assert "query or fragment" in caught.value.message


def test_a_plain_unsubscribe_url_passes(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBFLOW_UNSUBSCRIBE_URL", "https://unsub.example.org/u/")
    assert load_settings(project).unsubscribe_url == "https://unsub.example.org/u/"
