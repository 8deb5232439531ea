"""Security: unsubscribe tokens, path traversal, header injection, secrets.

What the stage tests already prove (tests/deliver/test_deliver_unsubscribe.py: forged, altered,
another subscriber's, another issue's, unknown and replayed tokens; rotation) is not repeated;
this adds a fuzzer over the live app, path traversal through every CLI verb and the flow
parameter validators, header injection through the one translated header (Subject), the
``%`` directive attacks on the unsubscribe pages, and one run of every verb with test secrets
set, grepping everything it produced for them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from urllib.parse import quote
import shutil
import subprocess
import sys
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import polib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hardening_support import ISSUE, NEWSLETTER_DOMAIN, REPO, make_project, python_env, translate_all
from pubflow.cli import app
from pubflow.config import Settings, load_settings
from pubflow.deliver.subscribers import SubscriberStore
from pubflow.deliver.tokens import TokenSigner, load_list_secret
from pubflow.deliver.unsubscribe import create_app
from pubflow.i18n.pofile import edit_catalog, po_path
from pubflow.i18n.runtime import clear_cache
from pubflow.i18n.sync import sync_catalogs
from pubflow.newsletter import render_newsletter

sys.path.insert(0, str(REPO / "tests" / "deliver"))
sys.path.insert(0, str(REPO / "tests" / "i18n" / "machine"))
from deliver_fixtures import LoopbackController, RecordingHandler, served  # noqa: E402
from libre_server import LibreTestServer  # noqa: E402

runner = CliRunner()
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
TOKENS_TRIED: list[str] = []


# --- unsubscribe tokens ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, httpx.Client]]:
    """The unsubscribe app under uvicorn on 127.0.0.1, with two subscribers."""
    root = tmp_path_factory.mktemp("unsubscribe")
    settings = make_project(root, locales=("de",), issue=False)
    _people(settings)
    with served(create_app(settings)) as client:
        yield settings, client


def _people(settings: Settings) -> dict[str, tuple[int, str]]:
    signer = TokenSigner(load_list_secret(settings).key)
    found = {}
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        for name, locale in (("ana", "de"), ("ben", "en")):
            subscriber = store.find(f"{name}@example.org") or store.add(f"{name}@example.org", locale)
            found[name] = (subscriber.id, signer.sign(subscriber.id, ISSUE, subscriber.secret))
    return found


def _statuses(settings: Settings) -> dict[str, str]:
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        return {s.email: s.status for s in store.iter()}


TOKEN_PIECES = st.one_of(
    st.sampled_from(
        ["..", "../", "%2e%2e%2f", "%00", "\x00", "/", "//", "\\", ".", "1", "99999999999999999999",
         "-1", "0", "2027-01", "A" * 22, "=", "%", "?", "#", ";", " ", "\u202e", "é", "x" * 300]
    ),
    st.text(max_size=10),
)  # fmt: skip


RAW_PATHS = ["/unsubscribe/../healthz", "/unsubscribe/..%2f..%2fetc%2fpasswd", "/unsubscribe/%00",
             "/unsubscribe/", "/unsubscribe", "/unsubscribe/a/b", "/unsubscribe/%2e%2e"]  # fmt: skip


@settings(
    max_examples=150, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(pieces=st.lists(TOKEN_PIECES, min_size=1, max_size=6), post=st.booleans())
def test_any_token_but_a_real_one_changes_nothing_and_never_errors(
    live_app: tuple[Settings, httpx.Client], pieces: list[str], post: bool
) -> None:
    settings, client = live_app
    people = _people(settings)
    before = _statuses(settings)
    ana_id, ana_token = people["ana"]
    junk = "".join(pieces)
    tokens = [junk, f"{ana_id}.{ISSUE}.{junk}", ana_token + junk, ana_token[:-1] + junk[:1]]
    tokens.append(f"{people['ben'][0]}.{ISSUE}.{ana_token.rsplit('.', 1)[1]}")  # Ana's MAC on Ben
    for token in tokens:
        if token == ana_token:
            continue
        url = "/unsubscribe/" + quote(token, safe="")
        response = client.post(url, data=ONE_CLICK) if post else client.get(url)
        assert response.status_code in (307, 403, 404, 405), (token, response.status_code)
        TOKENS_TRIED.append(token)
    assert _statuses(settings) == before


def test_odd_paths_never_reach_a_subscriber(live_app: tuple[Settings, httpx.Client]) -> None:
    settings, client = live_app
    before = _statuses(settings)
    for path in RAW_PATHS:
        for method in ("GET", "POST"):
            response = client.request(method, path, data=ONE_CLICK if method == "POST" else None)
            assert response.status_code < 500, (method, path, response.status_code)
    assert _statuses(settings) == before
    print(f"\nunsubscribe: {len(TOKENS_TRIED)} bad tokens and {2 * len(RAW_PATHS)} odd paths refused")


def _compile_messages(settings: Settings, locale: str, translations: dict[str, str]) -> None:
    catalog = polib.POFile()
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": locale}
    for msgid, msgstr in translations.items():
        catalog.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    target = settings.compiled_locales_path / locale / "LC_MESSAGES" / "messages.mo"
    target.parent.mkdir(parents=True, exist_ok=True)
    catalog.save_as_mofile(str(target))


def test_percent_directives_in_a_translation_cannot_break_or_bloat_the_unsubscribe_page(
    tmp_path: Path,
) -> None:
    """Jinja formats every {% trans %} with %: a translation of a string without placeholders
    could answer 500 to every unsubscribe ("%(x)s") or build a 10 MB page ("%9999999s")."""
    settings = make_project(tmp_path / "p", locales=("de",), issue=False)
    _compile_messages(
        settings,
        "de",
        {
            "Unsubscribe": "Abmelden %(x)s",
            "Press the button to stop receiving this newsletter at this address.": "Los %9999999s",
            "You are unsubscribed": "Sie sind %s abgemeldet",
        },
    )
    people = _people(settings)
    _, token = people["ana"]
    with served(create_app(settings)) as client:
        page = client.get(f"/unsubscribe/{token}")
        assert page.status_code == 200 and len(page.content) < 100_000
        assert "Unsubscribe" in page.text and "%(x)s" not in page.text
        done = client.post(f"/unsubscribe/{token}", data=ONE_CLICK)
        assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert _statuses(settings)["ana@example.org"] == "unsubscribed"


# --- path traversal --------------------------------------------------------------------------------

BAD_CODES = ["../x", "..", "/tmp/pwned", "de/../../pwned", "de\x00", "de\x00/../pwned", "%2e%2e", "de\n", ""]
BAD_SLUGS = ["../pwned", "..", "/tmp/pwned", "a/../../pwned", "pwned\x00", "a\x00b", "A-B", "x" * 300, ""]


def _verbs() -> list[list[str]]:
    commands: list[list[str]] = []
    for code in BAD_CODES:
        commands += [
            ["catalogs", "init", "--locale", code],
            ["catalogs", "update", "--locale", code],
            ["check", "--locale", code],
            ["stats", "--locale", code],
            ["translate", "--locale", code, "-b", "pseudo"],
            ["build", "site", "--locale", code],
            ["build", "newsletter", ISSUE, "--locale", code],
            ["send", ISSUE, "--locale", code],
        ]
    for slug in BAD_SLUGS:
        commands += [
            ["check", "--domain", slug],
            ["stats", "--domain", slug],
            ["translate", "--domain", slug, "-b", "pseudo"],
            ["catalogs", "init", "--locale", "fr", "--domain", slug],
            ["build", "newsletter", slug],
            ["send", slug],
            ["send", slug, "--confirm"],
        ]
    return commands


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_traversal_through_every_verb_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    settings = make_project(root, locales=("de", "fr"))
    sync_catalogs(settings)
    for key in [k for k in os.environ if k.startswith("PUBFLOW_")]:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PUBFLOW_ROOT", str(root))
    monkeypatch.chdir(root)
    before = _tree(root)
    refused = 0
    for args in _verbs():
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("pubflow: error:"), (args, result.stderr)
        refused += 1
    assert _tree(root) == before  # nothing written anywhere in the project…
    outside = [p for p in tmp_path.rglob("*pwned*")] + [p for p in Path("/tmp").glob("pwned*")]
    assert outside == []  # …nor outside it
    print(f"\ntraversal: {refused} CLI invocations refused")


def test_ingest_refuses_a_source_whose_slug_is_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    make_project(root, articles=(), issue=False)
    monkeypatch.setenv("PUBFLOW_ROOT", str(root))
    monkeypatch.chdir(root)
    for slug in ("../../pwned", "/tmp/pwned", "a/b", "pwned\\x00"):
        source = root / "content" / "sources" / "evil.md"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(
            f'---\nslug: "{slug}"\ntitle: "Evil: 1 Tip"\nsummary: S\n---\n\n## Tips\n\n### T\n\nP.\n', "utf-8"
        )
        result = runner.invoke(app, ["ingest", str(source)])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert "slug" in result.stderr
    assert not list(tmp_path.rglob("*pwned*")) and not list(Path("/tmp").glob("pwned*"))
    assert not (root / "content" / "articles").exists() or not any((root / "content" / "articles").iterdir())


def test_preview_refuses_a_bad_locale_instead_of_serving(tmp_path: Path) -> None:
    """It used to log "rebuild failed" and serve forever (fixed in render/preview.py)."""
    root = tmp_path / "project"
    make_project(root, issue=False)
    for code in ("../x", "/tmp/pwned", "de/../.."):
        result = subprocess.run(
            [sys.executable, "-m", "pubflow", "preview", "--port", "0", "--locale", code],
            cwd=root, env=python_env(root), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 2, result.stdout + result.stderr
        assert "not configured" in result.stderr and "Serving" not in result.stdout


def test_flow_parameters_are_validated_before_they_become_paths() -> None:
    sys.path.insert(0, str(REPO))
    from pydantic import TypeAdapter, ValidationError

    from flows.common import FlowFailure, LocaleCode, checked_slugs

    assert checked_slugs(["calm-harbour", "a-1"]) == ["calm-harbour", "a-1"]
    assert checked_slugs(None) is None
    for slug in BAD_SLUGS:
        with pytest.raises(FlowFailure, match="not a valid slug"):
            checked_slugs([slug] if slug else ["", "x"])
    adapter = TypeAdapter(list[LocaleCode])  # what Prefect checks flow parameters with
    for code in BAD_CODES:
        with pytest.raises(ValidationError):
            adapter.validate_python([code])


# --- header injection (the one translated header: Subject) ---------------------------------------

SUBJECT_CONTEXT = "newsletter subject (max 80 characters)"
INJECTIONS = [
    "Zwei\r\nBcc: victim@example.org",
    "Zwei\nBcc: victim@example.org",
    "Zwei\rBcc: victim@example.org",
    "Zwei\x0bBcc: victim@example.org",
    "Zwei\x0cBcc: victim@example.org",
    "Zwei\x85Bcc: victim@example.org",
    "Zwei\u2028Bcc: victim@example.org",
    "Zwei\u2029Bcc: victim@example.org",
    "Zwei\x00Bcc: victim@example.org",
    "Zwei =?utf-8?q?=0D=0ABcc:_victim@example.org?=",  # an encoded word stays text
    "Zwei Gewohnheiten: Bcc: victim@example.org " + "ä" * 30,  # folded, still one header
]


@pytest.fixture(scope="module")
def newsletter_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("headers")
    settings = make_project(root, locales=("de",))
    sync_catalogs(settings)
    translate_all(settings, "de")
    sync_catalogs(settings)
    return root


@pytest.mark.parametrize("subject", INJECTIONS, ids=range(len(INJECTIONS)))
def test_a_translated_subject_cannot_add_headers(newsletter_base: Path, tmp_path: Path, subject: str) -> None:
    root = tmp_path / "project"
    shutil.copytree(newsletter_base, root)
    settings = load_settings(root)
    with edit_catalog(po_path(settings, "de", NEWSLETTER_DOMAIN)) as po:
        for entry in po:
            if entry.msgctxt == SUBJECT_CONTEXT:
                entry.msgstr = subject
    clear_cache()
    report = render_newsletter(settings, ISSUE, ["de"])
    eml = settings.dist_path / "newsletter" / ISSUE / "de" / "email.eml"
    if report.locales[0].status == "failed":
        assert report.locales[0].errors  # refused with a reason, and nothing written
        assert not eml.exists()
        return
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert "Bcc" not in message and len(message.get_all("Subject") or []) == 1
    assert "victim@example.org" not in {str(v) for k, v in message.items() if k != "Subject"}
    shown = str(message["Subject"])
    assert not any(c in shown for c in "\r\n\x0b\x0c\x85\u2028\u2029\x00")


# --- secrets ----------------------------------------------------------------------------------------

SECRETS = {
    "PUBFLOW_SMTP_PASSWORD": "smtp-pass-Q8zr7TnWv2",
    "PUBFLOW_UNSUBSCRIBE_SECRET": "list-secret-Hm4Kp9Lx2Rt6Vb8N",
    "PUBFLOW_LIBRE_API_KEY": "libre-key-Zx5Cv7Bn3Mq1",
    "PUBFLOW_DEEPL_API_KEY": "deepl-key-Wd2Fg4Hj6Kl8",
}


def test_secrets_never_reach_output_logs_files_or_mail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs request URLs (with the key) at DEBUG
    root = tmp_path / "project"
    make_project(root, locales=("de",))
    for key in [k for k in os.environ if k.startswith("PUBFLOW_")]:
        monkeypatch.delenv(key, raising=False)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PUBFLOW_ROOT", str(root))
    monkeypatch.chdir(root)
    people = root / "people.csv"
    people.write_text("email,locale\nana@example.org,de\nben@example.org,en\n", "utf-8")

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        return AuthResult(success=getattr(data, "password", b"") == SECRETS["PUBFLOW_SMTP_PASSWORD"].encode())

    handler = RecordingHandler()
    smtp = LoopbackController(handler, authenticator=authenticate, auth_require_tls=False)
    smtp.start()
    outputs: list[str] = []
    try:
        monkeypatch.setenv("PUBFLOW_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("PUBFLOW_SMTP_USER", "newsletter")
        monkeypatch.setenv("PUBFLOW_SEND_RATE", "1000")
        with LibreTestServer() as libre:
            libre.state.script = ["leak-key", "ok", "leak-key"]  # a backend echoing the key
            commands = [
                ["catalogs", "update"],
                ["translate", "-b", "libre", "--base-url", libre.url, "-l", "de"],
                ["check"], ["stats"], ["build", "site"], ["build", "newsletter", ISSUE],
                ["subscribers", "import", str(people)], ["send", ISSUE],
                ["send", ISSUE, "--to", "me@example.org", "--locale", "de"],
                ["send", ISSUE, "--confirm"], ["subscribers", "export"],
            ]  # fmt: skip
            for args in commands:
                result = runner.invoke(app, args)
                assert result.exit_code in (0, 1), (args, result.output)
                outputs += [result.stdout, result.stderr]
            assert libre.state.seen and all(
                s.params.get("api_key") == SECRETS["PUBFLOW_LIBRE_API_KEY"] for s in libre.state.seen if s.path == "/translate"
            )  # the key really was in use
    finally:
        smtp.stop()
    assert len(handler.received) == 3  # two subscribers and the test copy, with AUTH

    clear_cache()
    _, token = _people(load_settings(root))["ana"]
    with served(create_app(load_settings(root))) as client:
        outputs.append(client.get(f"/unsubscribe/{token}").text)
        outputs.append(client.post(f"/unsubscribe/{token}", data=ONE_CLICK).text)

    haystacks = {
        "command output": "\n".join(outputs).encode(),
        "log records": (caplog.text + "".join(str(r.__dict__) for r in caplog.records)).encode(),
        "mail at the server": b"".join(item.data for item in handler.received),
        **{f"file {p.relative_to(root)}": p.read_bytes() for p in root.rglob("*") if p.is_file()},
    }
    leaks = Counter()
    for name, secret in SECRETS.items():
        for where, data in haystacks.items():
            if secret.encode() in data:
                leaks[f"{name} in {where}"] += 1
    assert not leaks, leaks
    print(f"\nsecrets: 4 secrets, {len(haystacks)} outputs/files grepped, 0 leaks")


def test_each_layer_refuses_an_encoded_word_in_the_subject() -> None:
    """The header injection found here: "=?utf-8?q?=0D=0ABcc:_…?=" has no raw line break, but the
    email package decodes it when the Subject is set and wrote the CR LF out raw. Refused by the
    catalog check and the newsletter's header check; the writer encodes it as text."""
    import datetime as dt

    from pubflow.i18n.checks import EntryText, check_entry
    from pubflow.newsletter.export import EmailHeaders, build_email

    attack = "Zwei =?utf-8?q?=0D=0ABcc:_victim@example.org?="
    found = check_entry(
        EntryText(msgid="Two habits for a calm week", msgstr=attack, msgctxt=SUBJECT_CONTEXT), locale="de"
    )
    assert [d.check for d in found if d.is_error] == ["single-line"]
    headers = EmailHeaders(
        ISSUE, "de", "de", dt.date(2027, 1, 4), attack, "News <news@example.org>", None,
        "News <news.example.org>", "https://example.org/unsubscribe/T", "u@example.org", "T",
    )  # fmt: skip
    # The writer encodes what looks like an encoded word itself: it reads back as the text
    # the translator typed, on one line, and no header comes out of it.
    from email import message_from_bytes, policy

    written = message_from_bytes(build_email(headers, "text", "<p>html</p>"), policy=policy.default)
    assert written["Subject"] == attack and written["Bcc"] is None
