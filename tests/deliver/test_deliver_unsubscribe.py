"""The one-click unsubscribe app, served by uvicorn on 127.0.0.1 and driven with httpx."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import html5lib
import httpx
import polib
import pytest
from deliver_fixtures import served

from pubflow.config import Settings, load_settings
from pubflow.deliver.subscribers import SubscriberStore
from pubflow.deliver.tokens import TokenSigner, load_list_secret
from pubflow.deliver.unsubscribe import create_app, negotiate_locale

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
ISSUE = "2025-06"


@pytest.fixture
def settings(project: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("PUBFLOW_ROOT", str(project))
    return load_settings(project)


@pytest.fixture
def people(settings: Settings) -> dict[str, tuple[int, str]]:
    """Subscribers by name: (id, token for ISSUE)."""
    signer = TokenSigner(load_list_secret(settings).key)
    result = {}
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        for name, locale in (("ana", "de"), ("ben", "es"), ("carla", "ar"), ("dan", "fr")):
            subscriber = store.add(f"{name}@example.org", locale)
            result[name] = (subscriber.id, signer.sign(subscriber.id, ISSUE, subscriber.secret))
    return result


@pytest.fixture
def client(settings: Settings, people: dict[str, tuple[int, str]]) -> Iterator[httpx.Client]:
    with served(create_app(settings)) as http:
        yield http


def status_of(settings: Settings, name: str) -> str:
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        subscriber = store.find(f"{name}@example.org")
        assert subscriber is not None
        return subscriber.status


def statuses(settings: Settings) -> dict[str, str]:
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        return {s.email: s.status for s in store.iter()}


def compile_messages(settings: Settings, locale: str, translations: dict[str, str]) -> None:
    catalog = polib.POFile()
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": locale}
    for msgid, msgstr in translations.items():
        catalog.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    target = settings.compiled_locales_path / locale / "LC_MESSAGES" / "messages.mo"
    target.parent.mkdir(parents=True, exist_ok=True)
    catalog.save_as_mofile(str(target))


def test_get_shows_a_confirmation_and_changes_nothing(
    settings: Settings, people: dict, client: httpx.Client
) -> None:
    _, token = people["ana"]
    response = client.get(f"/unsubscribe/{token}")
    assert response.status_code == 200
    html5lib.HTMLParser(strict=True).parse(response.text)
    assert '<form method="post">' in response.text
    assert 'name="List-Unsubscribe" value="One-Click"' in response.text
    assert "ana@example.org" not in response.text
    assert status_of(settings, "ana") == "active"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in response.headers["x-robots-tag"]


def test_one_click_post_unsubscribes_only_that_subscriber(
    settings: Settings, people: dict, client: httpx.Client
) -> None:
    _, token = people["ben"]
    response = client.post(f"/unsubscribe/{token}", data=ONE_CLICK)
    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    assert statuses(settings) == {
        "ana@example.org": "active",
        "ben@example.org": "unsubscribed",
        "carla@example.org": "active",
        "dan@example.org": "active",
    }
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        ben = store.find("ben@example.org")
        assert ben is not None and ben.status_reason == f"one-click unsubscribe ({ISSUE})"


def test_multipart_one_click_body_is_accepted(
    settings: Settings, people: dict, client: httpx.Client
) -> None:
    _, token = people["dan"]
    response = client.post(f"/unsubscribe/{token}", files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200
    assert status_of(settings, "dan") == "unsubscribed"


def test_replay_and_already_unsubscribed_get_the_same_answer(
    settings: Settings, people: dict, client: httpx.Client
) -> None:
    _, token = people["ana"]
    before = client.get(f"/unsubscribe/{token}")
    first = client.post(f"/unsubscribe/{token}", data=ONE_CLICK)
    second = client.post(f"/unsubscribe/{token}", data=ONE_CLICK)
    after = client.get(f"/unsubscribe/{token}")
    assert first.status_code == second.status_code == 200
    assert first.text == second.text
    # The GET page does not reveal that the address has left in the meantime.
    assert before.status_code == after.status_code == 200 and before.text == after.text
    assert status_of(settings, "ana") == "unsubscribed"


def test_bounced_subscriber_gets_the_same_pages(
    settings: Settings, people: dict, client: httpx.Client
) -> None:
    ana_id, ana_token = people["ana"]
    dan_id, dan_token = people["dan"]
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        store.set_status(dan_id, "bounced", "550 5.1.1")
        store.conn.execute("UPDATE subscribers SET locale = 'de' WHERE id = ?", (dan_id,))
    active_page = client.get(f"/unsubscribe/{ana_token}")
    bounced_page = client.get(f"/unsubscribe/{dan_token}")
    assert active_page.text == bounced_page.text
    assert client.post(f"/unsubscribe/{dan_token}", data=ONE_CLICK).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_forged_altered_foreign_and_unknown_tokens_get_403_and_change_nothing(
    settings: Settings, people: dict, client: httpx.Client, method: str
) -> None:
    ana_id, ana_token = people["ana"]
    ben_id, ben_token = people["ben"]
    mac = ana_token.rsplit(".", 1)[1]
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    forged_signer = TokenSigner(b"an attacker's own secret, not ours")
    bad_tokens = [
        f"{ana_id}.{ISSUE}.{flipped}",  # altered MAC
        f"{ben_id}.{ISSUE}.{mac}",  # Ana's MAC on Ben's id: another's token
        f"{ana_id}.2025-07.{mac}",  # another issue
        forged_signer.sign(ana_id, ISSUE, "guessed"),  # forged
        f"999999.{ISSUE}.{mac}",  # unknown subscriber
        "PUBFLOW-UNSUBSCRIBE-TOKEN",  # an unpersonalised placeholder
        "x" * 500,
    ]
    before = statuses(settings)
    pages = set()
    for token in bad_tokens:
        if method == "get":
            response = client.get(f"/unsubscribe/{token}")
        else:
            response = client.post(f"/unsubscribe/{token}", data=ONE_CLICK)
        assert response.status_code == 403, token
        pages.add(response.text)
    assert statuses(settings) == before
    # One page for every kind of bad token: nothing tells an existing id from a missing one.
    assert len(pages) == 1
    assert "This unsubscribe link is not valid" in pages.pop()


def test_post_without_the_one_click_body_changes_nothing(
    settings: Settings, people: dict, client: httpx.Client
) -> None:
    _, token = people["ana"]
    assert client.post(f"/unsubscribe/{token}").status_code == 400
    assert client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "yes"}).status_code == 400
    response = client.post(
        f"/unsubscribe/{token}",
        content=b"--broken\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=nope"},
    )
    assert response.status_code == 400
    assert status_of(settings, "ana") == "active"


def test_pages_are_in_the_subscribers_language_and_direction(
    settings: Settings, people: dict
) -> None:
    compile_messages(
        settings,
        "de",
        {
            "Unsubscribe from %(list_name)s?": "Von %(list_name)s abmelden?",
            "Unsubscribe": "Abmelden",
            "You are unsubscribed": "Sie sind abgemeldet",
        },
    )
    compile_messages(settings, "ar", {"Unsubscribe": "إلغاء الاشتراك"})
    with served(create_app(settings)) as client:
        german = client.get(f"/unsubscribe/{people['ana'][1]}")
        assert '<html lang="de" dir="ltr">' in german.text
        assert "Von pubflow newsletter abmelden?" in german.text
        assert ">Abmelden</button>" in german.text
        done = client.post(f"/unsubscribe/{people['ana'][1]}", data=ONE_CLICK)
        assert "Sie sind abgemeldet" in done.text
        arabic = client.get(f"/unsubscribe/{people['carla'][1]}")
        assert '<html lang="ar" dir="rtl">' in arabic.text and "إلغاء الاشتراك" in arabic.text
        # Spanish has no compiled catalog: the page is in the source language, and says so.
        spanish = client.get(f"/unsubscribe/{people['ben'][1]}")
        assert '<html lang="en" dir="ltr">' in spanish.text
        assert "Unsubscribe from pubflow newsletter?" in spanish.text
        # Invalid links: the visitor's Accept-Language decides.
        invalid = client.get("/unsubscribe/nope", headers={"Accept-Language": "de-DE,de;q=0.9"})
        assert invalid.status_code == 403 and '<html lang="de"' in invalid.text


def test_a_translation_cannot_inject_markup(settings: Settings, people: dict) -> None:
    compile_messages(settings, "de", {"Unsubscribe": "<script>alert(1)</script>Abmelden"})
    with served(create_app(settings)) as client:
        page = client.get(f"/unsubscribe/{people['ana'][1]}")
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Abmelden" in page.text


def test_routes_follow_a_custom_unsubscribe_url(
    settings: Settings, people: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBFLOW_UNSUBSCRIBE_URL", "https://news.example.org/mail/leave/")
    custom = load_settings(settings.root)
    with served(create_app(custom)) as client:
        assert client.get(f"/mail/leave/{people['ana'][1]}").status_code == 200
        assert client.get(f"/unsubscribe/{people['ana'][1]}").status_code == 404


def test_healthz(settings: Settings, people: dict, client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_without_a_database_every_token_is_invalid(settings: Settings) -> None:
    signer = TokenSigner(load_list_secret(settings).key)
    with served(create_app(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        response = client.post(f"/unsubscribe/{signer.sign(1, ISSUE, 'x')}", data=ONE_CLICK)
    assert response.status_code == 403
    assert not settings.subscribers_db_path.exists()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("pt-BR", "pt_BR"),
        ("pt-PT", "pt_BR"),
        ("ja, ar;q=0.5", "ar"),
        ("fr;q=0, es;q=0.4", "es"),
        ("ja", None),
        ("", None),
    ],
)
def test_accept_language_negotiation(header: str, expected: str | None) -> None:
    assert negotiate_locale(header, ["en", "de", "es", "fr", "ar", "pt_BR"]) == expected


def test_serve_unsubscribe_command_runs_the_app(settings: Settings, people: dict) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PUBFLOW_ROOT": str(settings.root), "PUBFLOW_UNSUBSCRIBE_SECRET": "x" * 32}
    process = subprocess.Popen(
        [sys.executable, "-m", "pubflow", "serve-unsubscribe", "--port", str(port)],
        cwd=settings.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "serve-unsubscribe did not start"
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        # The people fixture signed with the generated file secret; the configured one wins
        # here, so their links are (rightly) not valid for this server.
        response = httpx.get(f"http://127.0.0.1:{port}/unsubscribe/{people['ana'][1]}")
        assert response.status_code == 403
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert f"unsubscribe endpoint on http://127.0.0.1:{port}" in out.decode()
    assert "secret from settings" in err.decode()
    assert "x" * 32 not in (out + err).decode()
    # No access log: paths carry personal tokens.
    assert people["ana"][1] not in (out + err).decode()


def test_serve_unsubscribe_on_a_busy_port_is_one_line(settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PUBFLOW_ROOT": str(settings.root), "PUBFLOW_UNSUBSCRIBE_SECRET": "x" * 32}
        done = subprocess.run(
            [sys.executable, "-m", "pubflow", "serve-unsubscribe", "--port", str(port)],
            cwd=settings.root, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr and "ERROR" not in done.stderr
