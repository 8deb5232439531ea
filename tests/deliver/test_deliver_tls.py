"""STARTTLS and implicit TLS against aiosmtpd with a certificate made here; secrets stay secret."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from deliver_fixtures import (
    ISSUE,
    AuthResult,
    LoginPassword,
    LoopbackController,
    RecordingHandler,
    add_subscribers,
    built_issue,
)
from typer.testing import CliRunner

from pubflow.cli import app
from pubflow.config import load_settings

runner = CliRunner()

USER = "newsletter"
PASSWORD = "correct-horse-battery-staple-42"
LIST_SECRET = "list-secret-that-must-never-be-printed"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost: (cert.pem, key.pem)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pubflow test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = folder / "cert.pem"
    key_path = folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_project(
    project: Path, monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path]
) -> Path:
    monkeypatch.chdir(project)
    for key, value in {
        "PUBFLOW_ROOT": str(project),
        "PUBFLOW_SMTP_HOST": "127.0.0.1",
        "PUBFLOW_SMTP_USER": USER,
        "PUBFLOW_SMTP_PASSWORD": PASSWORD,
        "PUBFLOW_SMTP_CA_FILE": str(certificate[0]),
        "PUBFLOW_UNSUBSCRIBE_SECRET": LIST_SECRET,
        "PUBFLOW_SEND_RATE": "500",
        "PUBFLOW_SMTP_BACKOFF": "0.01",
        "PUBFLOW_SMTP_RETRIES": "1",
    }.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(project)
    built_issue(settings)
    add_subscribers(settings, [("ana@example.org", "de"), ("ben@example.org", "es")])
    return project


@pytest.fixture
def starttls_server(
    certificate: tuple[Path, Path],
) -> Iterator[tuple[LoopbackController, RecordingHandler]]:
    handler = RecordingHandler()
    controller = LoopbackController(
        handler,
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text
        assert LIST_SECRET not in text


def test_starttls_with_login_delivers_and_prints_no_secret(
    tls_project: Path, starttls_server: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller, handler = starttls_server
    monkeypatch.setenv("PUBFLOW_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("PUBFLOW_SMTP_SECURITY", "starttls")
    result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.stdout
    assert "secret from settings" in result.stderr
    assert sorted(r for item in handler.received for r in item.rcpt_tos) == [
        "ana@example.org",
        "ben@example.org",
    ]
    assert_no_secrets(result.stdout, result.stderr, *(i.data.decode() for i in handler.received))


def test_a_wrong_password_stops_the_send_without_showing_it(
    tls_project: Path, starttls_server: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller, handler = starttls_server
    monkeypatch.setenv("PUBFLOW_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("PUBFLOW_SMTP_SECURITY", "starttls")
    monkeypatch.setenv("PUBFLOW_SMTP_PASSWORD", "wrong-" + PASSWORD)
    result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert result.exit_code == 1
    assert "refused the login of 'newsletter'" in result.stderr
    assert "wrong-" not in result.output
    assert_no_secrets(result.stdout, result.stderr)
    assert handler.received == []


def test_starttls_is_required_when_configured(
    tls_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = RecordingHandler()
    plain = LoopbackController(handler)  # offers no STARTTLS, would take mail in clear
    plain.start()
    try:
        monkeypatch.setenv("PUBFLOW_SMTP_PORT", str(plain.port))
        monkeypatch.setenv("PUBFLOW_SMTP_SECURITY", "starttls")
        result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    finally:
        plain.stop()
    assert result.exit_code == 1
    assert "does not offer STARTTLS" in result.stderr
    assert handler.received == []


def test_implicit_tls_and_an_untrusted_certificate(
    tls_project: Path, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = RecordingHandler()
    controller = LoopbackController(
        handler,
        ssl_context=server_context(certificate),
        authenticator=authenticator,
        # aiosmtpd only counts STARTTLS as TLS; this whole connection is TLS already.
        auth_require_tls=False,
    )
    controller.start()
    try:
        monkeypatch.setenv("PUBFLOW_SMTP_PORT", str(controller.port))
        monkeypatch.setenv("PUBFLOW_SMTP_SECURITY", "ssl")
        monkeypatch.delenv("PUBFLOW_SMTP_CA_FILE")
        untrusted = runner.invoke(app, ["send", ISSUE, "--confirm"])
        assert untrusted.exit_code == 1
        assert "certificate of 127.0.0.1" in untrusted.stderr
        assert "is not trusted" in untrusted.stderr
        assert handler.received == []

        monkeypatch.setenv("PUBFLOW_SMTP_CA_FILE", str(certificate[0]))
        trusted = runner.invoke(app, ["send", ISSUE, "--confirm"])
        assert trusted.exit_code == 0, trusted.output
        assert len(handler.received) == 2
        assert_no_secrets(trusted.stdout, trusted.stderr)
    finally:
        controller.stop()
