"""`pubflow send` against a real aiosmtpd server on 127.0.0.1: locales, tokens, exactly once."""

from __future__ import annotations

from deliver_fixtures import (
    GREETING,
    ISSUE,
    SUBJECT,
    add_subscribers,
    built_issue,
    record_in_manifest,
    served,
    tokens_in,
)
from typer.testing import CliRunner

from pubflow.cli import app
from pubflow.config import Settings
from pubflow.deliver.deliveries import DeliveryLog
from pubflow.deliver.subscribers import SubscriberStore
from pubflow.deliver.tokens import TokenSigner, load_list_secret, parse_token
from pubflow.deliver.unsubscribe import create_app

runner = CliRunner()

LIST = [
    ("ana@example.org", "de"),
    ("ben@example.org", "es"),
    ("cleo@example.org", "en"),
    ("dora@example.org", "de"),
    ("emil@example.org", "fr"),  # fr is not built for this issue: gets the English email
]


def test_dry_run_is_the_default_and_sends_nothing(settings: Settings, smtp_server: tuple) -> None:
    _, handler = smtp_server
    built_issue(settings)
    add_subscribers(settings, LIST)
    result = runner.invoke(app, ["send", ISSUE])
    assert result.exit_code == 0, result.output
    assert "ana@example.org → de" in result.stdout
    assert "emil@example.org → en  (their locale fr is not published)" in result.stdout
    assert "dry run: nothing was sent" in result.stdout
    assert handler.received == []
    # The dry run does not even make the unsubscribe secret.
    assert not (settings.var_path / "unsubscribe-secret").exists()
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        assert DeliveryLog(store.conn).for_issue(ISSUE) == {}


def test_each_subscriber_gets_one_message_in_their_language_with_working_links(
    settings: Settings, smtp_server: tuple
) -> None:
    _, handler = smtp_server
    built_issue(settings)
    add_subscribers(settings, LIST)

    result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert result.exit_code == 0, result.output
    assert "5 sent, 0 skipped (already sent), 0 failed" in result.stdout
    assert "generated a new unsubscribe secret" in result.stderr

    by_rcpt = handler.by_recipient()
    assert sorted(by_rcpt) == sorted(address for address, _ in LIST)
    expected_locale = {"ana": "de", "ben": "es", "cleo": "en", "dora": "de", "emil": "en"}
    secret = load_list_secret(settings)
    signer = TokenSigner(secret.key)
    with (
        served(create_app(settings, secret)) as client,
        SubscriberStore.open(settings.subscribers_db_path) as store,
    ):
        for address, copies in by_rcpt.items():
            assert len(copies) == 1, f"{address} got {len(copies)} copies"
            received = copies[0]
            message = received.message
            locale = expected_locale[address.split("@")[0]]
            assert message["To"] == address
            assert message["Subject"] == SUBJECT[locale]
            assert GREETING[locale] in received.text()
            assert GREETING[locale] in received.html()
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert "PUBFLOW-UNSUBSCRIBE-TOKEN" not in received.data.decode("ascii")
            tokens = tokens_in(received)
            assert len(set(tokens.values())) == 1, tokens  # the same token everywhere
            token = tokens["header"]
            claim = parse_token(token)
            subscriber = store.find(address)
            assert claim is not None and subscriber is not None
            assert (claim.subscriber_id, claim.issue) == (subscriber.id, ISSUE)
            assert signer.verify(claim, subscriber.secret)
            # An HMAC, not the row id: stable per (issue, subscriber), revealing nothing.
            assert message["Message-ID"] == signer.message_id(
                subscriber.id, ISSUE, subscriber.secret, "pubflow.example.org"
            )
            # The header is neither folded inside a URL nor RFC 2047-encoded.
            raw_header = next(
                line
                for line in received.data.split(b"\r\n")
                if line.startswith(b"List-Unsubscribe:")
            )
            assert f"/unsubscribe/{token}>".encode() in raw_header
        # Every copy has its own Message-ID.
        assert len({str(c[0].message["Message-ID"]) for c in by_rcpt.values()}) == len(LIST)

        # Click through: the German reader's link unsubscribes her, and only her.
        ana_token = tokens_in(by_rcpt["ana@example.org"][0])["html"]
        page = client.get(f"/unsubscribe/{ana_token}")
        assert page.status_code == 200 and 'lang="' in page.text
        assert store.find("ana@example.org").status == "active"  # type: ignore[union-attr]
        done = client.post(f"/unsubscribe/{ana_token}", data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
        assert store.find("ana@example.org").status == "unsubscribed"  # type: ignore[union-attr]
        assert store.find("dora@example.org").status == "active"  # type: ignore[union-attr]

    # A second send of the completed issue sends nothing and says so.
    again = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert again.exit_code == 0, again.output
    assert "already sent" in again.stdout and "nothing new to send" in again.stdout
    assert len(handler.received) == len(LIST)


def test_next_issue_skips_the_unsubscribed(settings: Settings, smtp_server: tuple) -> None:
    _, handler = smtp_server
    built_issue(settings)
    built_issue(settings, issue="2025-07")
    add_subscribers(settings, LIST)
    assert runner.invoke(app, ["send", ISSUE, "--confirm"]).exit_code == 0
    ben = next(r for r in handler.received if r.rcpt_tos == ["ben@example.org"])
    with served(create_app(settings)) as client:
        response = client.post(
            f"/unsubscribe/{tokens_in(ben)['header']}",
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 200
    handler.received.clear()

    dry = runner.invoke(app, ["send", "2025-07"])
    assert "ben@example.org" not in dry.stdout
    result = runner.invoke(app, ["send", "2025-07", "--confirm"])
    assert result.exit_code == 0, result.output
    assert sorted(handler.by_recipient()) == sorted(a for a, _ in LIST if a != "ben@example.org")


def test_locale_filter_sends_only_that_locale(settings: Settings, smtp_server: tuple) -> None:
    _, handler = smtp_server
    built_issue(settings)
    add_subscribers(settings, LIST)
    result = runner.invoke(app, ["send", ISSUE, "--confirm", "--locale", "de"])
    assert result.exit_code == 0, result.output
    assert sorted(handler.by_recipient()) == ["ana@example.org", "dora@example.org"]
    rest = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert "3 sent, 2 skipped (already sent)" in rest.stdout
    assert len(handler.received) == len(LIST)


def test_test_copy_goes_to_one_address_and_is_not_logged(
    settings: Settings, smtp_server: tuple
) -> None:
    _, handler = smtp_server
    built_issue(settings)
    add_subscribers(settings, LIST)
    result = runner.invoke(app, ["send", ISSUE, "--to", "editor@example.org", "--locale", "es"])
    assert result.exit_code == 0, result.output
    assert [r.rcpt_tos for r in handler.received] == [["editor@example.org"]]
    copy = handler.received[0]
    assert GREETING["es"] in copy.text()
    # The test copy's link is well formed but deliberately never valid.
    with served(create_app(settings)) as client:
        assert client.get(f"/unsubscribe/{tokens_in(copy)['html']}").status_code == 403
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        assert DeliveryLog(store.conn).for_issue(ISSUE) == {}
    # The real send still goes to everyone.
    assert runner.invoke(app, ["send", ISSUE, "--confirm"]).exit_code == 0
    assert len(handler.received) == 1 + len(LIST)


def test_missing_issue_and_missing_database_are_clear_errors(settings: Settings) -> None:
    result = runner.invoke(app, ["send", "2099-01"])
    assert result.exit_code == 2
    assert "has not been built" in result.stderr and "pubflow build newsletter" in result.stderr
    built_issue(settings)
    result = runner.invoke(app, ["send", ISSUE])
    assert result.exit_code == 2
    assert "no subscriber database yet" in result.stderr
    result = runner.invoke(app, ["send", "../etc"])
    assert result.exit_code == 2 and "not a newsletter issue id" in result.stderr


def test_unpublished_source_locale_is_refused(settings: Settings) -> None:
    built_issue(settings, locales=("de",))
    add_subscribers(settings, LIST)
    result = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert result.exit_code == 2
    assert "has no en email" in result.stderr


def test_only_what_the_last_build_made_and_checked_is_sent(settings: Settings, smtp_server: tuple) -> None:
    _, handler = smtp_server
    built_issue(settings)
    add_subscribers(settings, LIST)
    issue_folder = settings.dist_path / "newsletter" / ISSUE
    # es is no longer published: its old email stays on disk, but its subscribers get English.
    record_in_manifest(issue_folder / "es" / "email.eml", "es", status="not published")
    plan = runner.invoke(app, ["send", ISSUE])
    assert "ben@example.org → en" in plan.stdout, plan.output
    # de failed its checks in the last build: a dry run says so, a real send refuses.
    record_in_manifest(issue_folder / "de" / "email.eml", "de", status="failed")
    dry = runner.invoke(app, ["send", ISSUE])
    assert dry.exit_code == 0 and "failed its checks in the last build: de" in dry.stderr
    refused = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert refused.exit_code == 2 and "failed its checks in de" in refused.stderr
    assert handler.received == []
    # The other languages can still go, by name.
    others = runner.invoke(app, ["send", ISSUE, "--confirm", "--locale", "en"])
    assert others.exit_code == 0, others.output
    assert sorted(handler.by_recipient()) == ["cleo@example.org"]

    # An issue edited after its build is not sent as it was built.
    source = settings.newsletters_path / f"{ISSUE}.toml"
    source.write_text(source.read_text() + 'subject = "Edited after the build"\n')
    stale = runner.invoke(app, ["send", ISSUE, "--confirm", "--locale", "en"])
    assert stale.exit_code == 2 and "changed after its last build" in stale.stderr
    source.unlink()
    gone = runner.invoke(app, ["send", ISSUE])
    assert gone.exit_code == 2 and "its source is gone" in gone.stderr
    assert sorted(handler.by_recipient()) == ["cleo@example.org"]


def test_an_email_changed_after_its_build_and_to_with_confirm_are_refused(settings: Settings) -> None:
    built_issue(settings)
    email = settings.dist_path / "newsletter" / ISSUE / "de" / "email.eml"
    assert runner.invoke(app, ["send", ISSUE, "--to", "me@example.org", "--confirm"]).exit_code == 2
    email.write_bytes(email.read_bytes().replace(b"Hallo", b"Hello"))
    result = runner.invoke(app, ["send", ISSUE, "--to", "me@example.org", "--locale", "de"])
    assert result.exit_code == 2 and "is not the one its last build made" in result.stderr


def test_a_dry_run_names_the_first_recipients_and_counts_everyone(settings: Settings) -> None:
    built_issue(settings)
    add_subscribers(settings, [(f"reader{n:02d}@example.org", "de") for n in range(25)])
    result = runner.invoke(app, ["send", ISSUE])
    assert result.exit_code == 0, result.output
    named = [line for line in result.stdout.splitlines() if " → de" in line]
    assert len(named) == 20 and "… and 5 more" in result.stdout
    assert "25" in result.stdout  # the table counts every recipient


def test_a_test_copy_to_an_idn_domain_goes_to_its_ascii_form(
    settings: Settings, smtp_server: tuple
) -> None:
    # smtplib cannot put "münchen" in RCPT TO, and RFC 2047 forbids encoded words in an
    # address: the domain is sent as punycode, as subscriber import stores it.
    _, handler = smtp_server
    built_issue(settings)
    result = runner.invoke(app, ["send", ISSUE, "--to", "hans@münchen.de"])
    assert result.exit_code == 0, result.output
    assert [r.rcpt_tos for r in handler.received] == [["hans@xn--mnchen-3ya.de"]]
    raw_to = [line for line in handler.received[0].data.split(b"\r\n") if line.startswith(b"To:")]
    assert raw_to == [b"To: hans@xn--mnchen-3ya.de"]
    assert "sent to hans@xn--mnchen-3ya.de" in result.stdout


def test_a_test_copy_to_a_non_ascii_local_part_is_refused_in_one_line(
    settings: Settings, smtp_server: tuple
) -> None:
    _, handler = smtp_server
    built_issue(settings)
    result = runner.invoke(app, ["send", ISSUE, "--to", "jürgen@example.org"])
    assert result.exit_code == 2
    assert "--to:" in result.stderr and "before the @-sign" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1
    assert handler.received == []


def test_a_test_copy_may_go_to_a_reserved_test_domain(settings: Settings, smtp_server: tuple) -> None:
    _, handler = smtp_server
    built_issue(settings)
    for address in ("me@pubflow.test", "me@pubflow.example"):
        result = runner.invoke(app, ["send", ISSUE, "--to", address])
        assert result.exit_code == 0, result.output
    assert [r.rcpt_tos for r in handler.received] == [["me@pubflow.test"], ["me@pubflow.example"]]


def test_a_language_left_out_of_the_build_is_not_taken_for_an_unpublished_one(
    settings: Settings, smtp_server: tuple
) -> None:
    # `build newsletter ISSUE -l en` as the first build: the manifest says nothing of de. Its
    # subscribers were told "(their locale de is not published)" and --confirm mailed them
    # English without a word.
    import json

    _, handler = smtp_server
    built_issue(settings, locales=("en",))
    manifest_path = settings.dist_path / "newsletter" / ISSUE / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["locales"]["de"]
    manifest_path.write_text(json.dumps(manifest))
    add_subscribers(
        settings, [("ana@example.org", "de"), ("cleo@example.org", "en"), ("emil@example.org", "fr")]
    )
    dry = runner.invoke(app, ["send", ISSUE])
    assert dry.exit_code == 0, dry.output
    assert "ana@example.org → en  (their locale de is not built for this issue)" in dry.stdout
    assert "emil@example.org → en  (their locale fr is not published)" in dry.stdout
    assert "de is not built for this issue" in dry.stderr
    assert f"pubflow build newsletter {ISSUE}" in dry.stderr
    for command in (["--confirm"], ["--to", "me@example.org"]):
        refused = runner.invoke(app, ["send", ISSUE, *command])
        assert refused.exit_code == 2, refused.output
        assert "is not built in de, which subscribers have" in refused.stderr
        assert f"pubflow build newsletter {ISSUE}" in refused.stderr
    assert handler.received == []
    # The other languages can go by name; once de is built, everyone gets their own.
    others = runner.invoke(app, ["send", ISSUE, "--confirm", "--locale", "en"])
    assert others.exit_code == 0, others.output
    built_issue(settings, locales=("en", "de"))
    rest = runner.invoke(app, ["send", ISSUE, "--confirm"])
    assert rest.exit_code == 0, rest.output
    by_rcpt = handler.by_recipient()
    assert sorted(by_rcpt) == ["ana@example.org", "cleo@example.org", "emil@example.org"]
    assert by_rcpt["ana@example.org"][0].message["Subject"] == SUBJECT["de"]
    assert by_rcpt["emil@example.org"][0].message["Subject"] == SUBJECT["en"]
