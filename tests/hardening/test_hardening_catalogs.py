"""Adversarial catalogs: each hostile .po is refused with file:line or loads with its bad entries
left out and reported; no page, feed or email ever carries a payload; nothing crashes.

The corpus lives in ``po/`` and ``po/corpus.toml`` says what each file must do; the 1 MB
catalogs are generated here instead of being committed.
"""

from __future__ import annotations

import email
import re
import tomllib
from email import policy
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hardening_support import (
    ARTICLE_SLUG,
    CORPUS,
    ISSUE,
    MARKER,
    NEWSLETTER_DOMAIN,
    assert_inert_html,
    output_files,
)
from pubflow.cli import app
from pubflow.config import Settings
from pubflow.errors import CatalogError
from pubflow.i18n.compile import compile_catalog
from pubflow.i18n.pofile import po_path, read_catalog
from pubflow.i18n.runtime import clear_cache
from pubflow.i18n.states import State

SPEC: dict[str, dict[str, Any]] = tomllib.loads((CORPUS / "corpus.toml").read_text("utf-8"))
DOMAINS = {"article": ARTICLE_SLUG, "messages": "messages", "newsletter": NEWSLETTER_DOMAIN}
# Headers a built .eml may carry; anything else (Bcc, X-PWNED) came from an injection.
EMAIL_HEADERS = {
    "subject", "from", "to", "reply-to", "date", "message-id", "list-id", "list-unsubscribe",
    "list-unsubscribe-post", "mime-version", "content-type", "content-transfer-encoding",
    "content-language", "x-pubflow-issue", "x-pubflow-locale", "precedence", "auto-submitted",
    "feedback-id", "x-auto-response-suppress",
}  # fmt: skip
HEADER_BREAKS = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029\x00-\x08\x0e-\x1f]")

runner = CliRunner()


def test_the_corpus_is_large_and_every_file_is_described() -> None:
    files = {path.name for path in CORPUS.glob("*.po")}
    assert files == set(SPEC), files ^ set(SPEC)
    assert len(files) >= 30
    refused = [name for name, spec in SPEC.items() if spec["expect"] == "refused"]
    assert len(refused) >= 10 and len(files) - len(refused) >= 20


def _install(settings: Settings, domain: str, data: bytes) -> Path:
    target = po_path(settings, "de", domain)
    target.write_bytes(data)
    return target


def _check_cli(settings: Settings, target: Path, domain: str, spec: dict[str, Any]) -> None:
    """`pubflow check` names the file and line of each problem, like a translator's tool."""
    result = runner.invoke(app, ["check", "-l", "de", "-d", domain])
    assert "Traceback" not in result.output and result.exit_code in (0, 1), result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    shown = target.relative_to(settings.root).as_posix()
    if spec["expect"] == "refused":
        assert result.exit_code == 1
        assert f"{shown}:{spec['line']}: error: catalog:" in result.output, result.output
    elif spec["checks"]:
        assert result.exit_code == 1
        for check in spec["checks"]:
            assert f": error: {check}:" in result.output, (check, result.output)
    else:
        assert result.exit_code == 0, result.output


def _compile(settings: Settings, domain: str, spec: dict[str, Any]) -> None:
    result, diagnostics = compile_catalog(settings, "de", domain)
    if spec["expect"] in ("refused", "unusable"):
        assert result.status == "failed"
        assert [(d.check, d.line) for d in diagnostics] == [("catalog", spec["line"])]
        return
    assert result.status == "compiled"
    assert result.counts[State.INVALID] == spec["invalid"]
    errors = [d for d in diagnostics if d.is_error]
    assert {d.check for d in errors} == set(spec["checks"])
    # Every left-out entry is reported where a translator can jump to it.
    assert all(d.line is not None for d in errors if d.check != "header")


def _build(settings: Settings) -> None:
    """German site and newsletter through the CLI: exit 0/1, one-line reports, no traceback."""
    for args in (["build", "site", "-l", "de"], ["build", "newsletter", ISSUE, "-l", "de"]):
        clear_cache()
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 1), (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output


def _published_text(settings: Settings) -> str:
    """Everything a German reader can see: pages, feed, email parts and the subject."""
    dist = settings.dist_path
    parts = [p.read_text("utf-8") for p in output_files(dist / "site" / "de") if p.suffix in (".html", ".xml")]
    eml = dist / "newsletter" / ISSUE / "de" / "email.eml"
    if eml.is_file():
        message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        parts.append(str(message["Subject"]))
        parts.extend(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")
    return "\n".join(parts)


def _assert_clean_outputs(settings: Settings, never: list[str]) -> int:
    files = output_files(settings.dist_path)
    assert files, "the build wrote nothing"
    for path in files:
        data = path.read_bytes()
        for needle in [MARKER, *never]:
            assert needle.encode() not in data, (needle, path)
        if path.suffix == ".html":
            assert_inert_html(data.decode("utf-8"), path)
        if path.suffix == ".eml":
            message = email.message_from_bytes(data, policy=policy.default)
            names = {name.lower() for name in message.keys()}
            assert names <= EMAIL_HEADERS, names - EMAIL_HEADERS
            for name, value in message.items():
                assert not HEADER_BREAKS.search(str(value)), (name, value)
            for part in message.walk():
                if part.get_content_maintype() == "text":
                    content = part.get_content()
                    for needle in [MARKER, *never]:
                        assert needle not in content, (needle, path)
                if part.get_content_type() == "text/html":
                    assert_inert_html(part.get_content(), path)
    return len(files)


def exercise(settings: Settings, domain: str, data: bytes, spec: dict[str, Any]) -> int:
    """Install ``data`` as the de catalog of ``domain`` and hold it to ``spec``; files checked."""
    target = _install(settings, domain, data)
    if spec["expect"] == "refused":
        with pytest.raises(CatalogError) as caught:
            read_catalog(target)
        error = caught.value
        assert error.path == target and error.line == spec["line"], error.describe()
        assert spec["message"] in error.message, error.message
        assert error.describe().startswith(f"{target}:{spec['line']}: ") and error.hint
    else:
        read_catalog(target)
    _check_cli(settings, target, domain, spec)
    _compile(settings, domain, spec)
    _build(settings)
    checked = _assert_clean_outputs(settings, list(spec.get("never", [])))
    shown = _published_text(settings)
    for text in spec.get("published", []):
        assert text in shown, text
    # Building never rewrites (or "repairs") the translator's file.
    assert target.read_bytes() == data
    return checked


@pytest.mark.parametrize("name", sorted(SPEC), ids=lambda name: name.removesuffix(".po"))
def test_hostile_catalog(name: str, demo: Settings) -> None:
    spec = SPEC[name]
    exercise(demo, DOMAINS[spec["domain"]], (CORPUS / name).read_bytes(), spec)


HEADER = (
    'msgid ""\nmsgstr ""\n"Language: de\\n"\n"MIME-Version: 1.0\\n"\n'
    '"Content-Type: text/plain; charset=UTF-8\\n"\n"Content-Transfer-Encoding: 8bit\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
    'msgid "Calm Harbour: 2 Tips"\nmsgstr "Ruhiger Hafen: 2 Tipps"\n\n'
)
MEGABYTE = 1_000_000


def test_a_1mb_translation_with_a_script_at_its_end_is_left_out(demo: Settings) -> None:
    huge = ("Ruhig und gelassen. " * (MEGABYTE // 20)) + "<script>PWNED()</script>"
    data = HEADER + f'msgid "Ten minutes outside wake up body and mind."\nmsgstr "{huge}"\n'
    spec = {"expect": "loads", "invalid": 1, "checks": ["markup"], "published": ["Ruhiger Hafen: 2 Tipps"]}
    exercise(demo, ARTICLE_SLUG, data.encode(), spec)
    assert len(data) > MEGABYTE


def test_a_1mb_subject_is_left_out(demo: Settings) -> None:
    context = "newsletter subject (max 80 characters)"
    data = HEADER + f'msgctxt "{context}"\nmsgid "Two habits for a calm week"\nmsgstr "{"PWNED " * (MEGABYTE // 6)}"\n'
    spec = {"expect": "loads", "invalid": 1, "checks": ["length"]}
    exercise(demo, NEWSLETTER_DOMAIN, data.encode(), spec)


@pytest.mark.slow
def test_a_1mb_entry_of_plain_text_loads_and_builds(demo: Settings) -> None:
    """Big but harmless: an entry no template uses, 1 MB each way, on one line."""
    text = "calm " * (MEGABYTE // 5)
    data = HEADER + f'msgid "{text}"\nmsgstr "{text.upper()}"\n'
    spec = {"expect": "loads", "invalid": 0, "checks": [], "published": ["Ruhiger Hafen: 2 Tipps"]}
    exercise(demo, ARTICLE_SLUG, data.encode(), spec)
