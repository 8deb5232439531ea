"""`pubflow translate`: exit codes, summary, and credentials kept out of everything it writes."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from mt_support import EMPTY_IN_GUIDE, MtProject
from libre_server import LibreTestServer, refused_url
from typer.testing import CliRunner

from pubflow.cli import app

SECRET = "sk-TEST-SECRET-123"


@pytest.fixture
def cli(mt_project: MtProject, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PUBFLOW_ROOT", str(mt_project.root))
    monkeypatch.setenv("PUBFLOW_MT_BACKOFF", "0.01")
    monkeypatch.setenv("PUBFLOW_MT_RETRIES", "1")
    monkeypatch.setenv("PUBFLOW_MT_TIMEOUT", "0.5")
    return CliRunner()


def test_libre_run_prints_a_summary_and_exits_0(cli: CliRunner, mt_project: MtProject, libre: LibreTestServer) -> None:
    result = cli.invoke(app, ["translate", "--backend", "libre", "--base-url", libre.url, "-l", "de", "-l", "fr"])
    assert result.exit_code == 0, result.output
    assert "machine pre-fill (libre)" in result.stdout
    assert f"{2 * (EMPTY_IN_GUIDE + 2)} filled, 6 skipped, 0 failed" in result.stdout
    assert mt_project.entry("de", "guide", "Read more").msgstr == "DE: READ MORE"


def test_failed_entries_exit_1_with_file_and_line(cli: CliRunner, mt_project: MtProject, libre: LibreTestServer) -> None:
    libre.state.default = "script"
    result = cli.invoke(app, ["translate", "-b", "libre", "--base-url", libre.url, "-l", "de", "-d", "messages"])
    assert result.exit_code == 1
    assert "0 filled" in result.stdout and "2 failed" in result.stdout
    assert "locales/de/LC_MESSAGES/messages.po:" in result.stderr
    assert "failed check markup" in result.stderr


def test_unreachable_backend_exits_1_and_says_why(cli: CliRunner, mt_project: MtProject) -> None:
    result = cli.invoke(app, ["translate", "-b", "libre", "--base-url", refused_url(), "-l", "de"])
    assert result.exit_code == 1
    assert "stopped early: cannot reach the backend" in result.stdout
    assert mt_project.entry("de", "guide", "Read more").msgstr == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-b", "babelfish", "-l", "de"], "unknown translation backend 'babelfish'"),
        (["-b", "deepl", "-l", "de"], "set PUBFLOW_DEEPL_API_KEY"),
        (["-b", "microsoft", "-l", "de"], "set PUBFLOW_MICROSOFT_API_KEY"),
        (["-b", "libre", "-l", "de"], "pass --base-url"),
        (["-b", "google", "-l", "en_XA"], "use --backend pseudo"),
        (["-b", "pseudo", "-l", "de"], "only makes the pseudo-locale"),
        (["-b", "google", "-l", "xx_YY"], "unknown locale"),
        (["-b", "google", "-l", "en"], "source locale"),
        (["-b", "google", "--base-url", "http://x/", "-l", "de"], "only applies to the libre backend"),
        (["-b", "libre", "--base-url", "ftp://x/", "-l", "de"], "not an http(s) URL"),
        # Not configured: its catalogs are not kept in step, so nothing is filled there.
        (["-b", "google", "-l", "es"], "locale 'es' is not configured"),
        (["-b", "pseudo"], "locale 'en_XA' is not configured"),
        (["-b", "google", "-l", "de", "-d", "nope"], "domain 'nope' has no template and no de catalog"),
        (["-b", "pseudo", "-l", "en_XA", "--show-failures", "-1"], "Invalid value"),
    ],
)
def test_user_errors_exit_2_with_one_line(cli: CliRunner, args: list[str], needle: str) -> None:
    result = cli.invoke(app, ["translate", *args])
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    assert "Traceback" not in result.output


def test_pseudo_backend_needs_no_network(
    cli: CliRunner, mt_project: MtProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mt_support import DOMAINS, make_catalog

    monkeypatch.setenv("PUBFLOW_LOCALES", "de,fr,en_XA")

    from pubflow.i18n.pofile import po_path, write_catalog

    settings = mt_project.settings()
    for domain, entries in DOMAINS.items():
        write_catalog(make_catalog("en_XA", entries), po_path(settings, "en_XA", domain))
    result = cli.invoke(app, ["translate", "--backend", "pseudo"])
    assert result.exit_code == 0, result.output
    assert mt_project.entry("en_XA", "guide", "Read more").msgstr.startswith("[Ŕéàđ ɱöŕé")


def _everything_written(root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())


@pytest.mark.parametrize("behaviour", ["ok", "403", "leak-key", "500", "refused"])
def test_the_api_key_never_leaks(
    cli: CliRunner,
    mt_project: MtProject,
    libre: LibreTestServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    behaviour: str,
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs request URLs (with the key) at DEBUG
    monkeypatch.setenv("PUBFLOW_LIBRE_API_KEY", SECRET)
    url = refused_url() if behaviour == "refused" else libre.url
    libre.state.default = behaviour
    result = cli.invoke(app, ["translate", "-b", "libre", "--base-url", url, "-l", "de"])
    assert result.exit_code in (0, 1)
    if behaviour != "refused":
        assert libre.state.seen[0].params["api_key"] == SECRET  # the key was really in use
    assert SECRET not in result.output and SECRET not in result.stderr
    assert SECRET not in caplog.text
    assert all(SECRET not in str(record.__dict__) for record in caplog.records)
    assert SECRET.encode() not in _everything_written(mt_project.root)
    if behaviour == "leak-key":
        assert "echoed a credential" in result.stderr
