"""Unsubscribe tokens: signing, tampering, rotation, and where the list secret comes from."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pubflow.config import load_settings
from pubflow.deliver.subscribers import SubscriberStore
from pubflow.deliver.tokens import (
    SECRET_FILE_NAME,
    TokenClaim,
    TokenSigner,
    load_list_secret,
    parse_token,
)
from pubflow.errors import ConfigError

SIGNER = TokenSigner(b"0123456789abcdef-list-secret")
URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._")

issue_ids = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,30}", fullmatch=True)
ids = st.integers(min_value=1, max_value=10**12)
secrets_ = st.text(min_size=1, max_size=40)


@hypothesis_settings(max_examples=150, deadline=None)
@given(subscriber_id=ids, issue=issue_ids, secret=secrets_)
def test_a_signed_token_verifies_and_is_url_safe(
    subscriber_id: int, issue: str, secret: str
) -> None:
    token = SIGNER.sign(subscriber_id, issue, secret)
    assert set(token) <= URL_SAFE
    claim = parse_token(token)
    assert claim is not None
    assert (claim.subscriber_id, claim.issue) == (subscriber_id, issue)
    assert SIGNER.verify(claim, secret)


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    subscriber_id=ids,
    issue=issue_ids,
    secret=secrets_,
    position=st.integers(min_value=0),
    replacement=st.sampled_from(sorted(URL_SAFE)),
)
def test_any_altered_character_breaks_the_token(
    subscriber_id: int, issue: str, secret: str, position: int, replacement: str
) -> None:
    token = SIGNER.sign(subscriber_id, issue, secret)
    index = position % len(token)
    altered = token[:index] + replacement + token[index + 1 :]
    if altered == token:
        return
    claim = parse_token(altered)
    # Either not even shaped like a token (rejected before any lookup), or the MAC no longer
    # matches: a changed id or issue is signed differently, a changed MAC is just wrong.
    assert claim is None or not SIGNER.verify(claim, secret)


def test_another_subscribers_or_issues_token_does_not_verify() -> None:
    token = SIGNER.sign(7, "2025-06", "secret-of-7")
    claim = parse_token(token)
    assert claim is not None
    mac = claim.mac
    assert not SIGNER.verify(TokenClaim(8, "2025-06", mac), "secret-of-8")
    assert not SIGNER.verify(TokenClaim(7, "2025-07", mac), "secret-of-7")
    assert not TokenSigner(b"another-list-secret-xyz").verify(claim, "secret-of-7")
    # Rotating the subscriber's own secret voids the old token.
    assert not SIGNER.verify(claim, "new-secret-of-7")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "0.2025-06.AAAAAAAAAAAAAAAAAAAAAA",
        "1.2025-06.short",
        "1..AAAAAAAAAAAAAAAAAAAAAA",
        "1.2025-06.AAAAAAAAAAAAAAAAAAAAA=",
        "-1.x.AAAAAAAAAAAAAAAAAAAAAA",
        "1./etc.AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_malformed_tokens_are_not_parsed(token: str) -> None:
    assert parse_token(token) is None


def test_secret_is_generated_once_with_mode_0600_and_reused(project: Path) -> None:
    settings = load_settings(project)
    first = load_list_secret(settings)
    assert first.origin == "generated"
    path = settings.var_path / SECRET_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "generated a new unsubscribe secret" in first.describe()
    assert first.key.decode() not in first.describe()
    second = load_list_secret(settings)
    assert second.origin == "file" and second.key == first.key
    assert str(path) in second.describe()


def test_secret_from_settings_wins_and_must_be_long_enough(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBFLOW_UNSUBSCRIBE_SECRET", "a-very-long-configured-secret")
    secret = load_list_secret(load_settings(project))
    assert secret.origin == "settings" and secret.key == b"a-very-long-configured-secret"
    assert "a-very-long-configured-secret" not in secret.describe()
    assert not (project / "var" / SECRET_FILE_NAME).exists()
    monkeypatch.setenv("PUBFLOW_UNSUBSCRIBE_SECRET", "short")
    with pytest.raises(ConfigError, match="too short"):
        load_list_secret(load_settings(project))


def test_a_secret_file_readable_by_others_is_refused(project: Path) -> None:
    settings = load_settings(project)
    load_list_secret(settings)
    path = settings.var_path / SECRET_FILE_NAME
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by other users") as caught:
        load_list_secret(settings)
    assert caught.value.hint == f"chmod 600 {path}"


def test_rotating_a_subscribers_secret_voids_only_their_tokens(tmp_path: Path) -> None:
    with SubscriberStore.open(tmp_path / "subscribers.sqlite3") as store:
        ana = store.add("ana@example.org", "de")
        ben = store.add("ben@example.org", "es")
        ana_token = parse_token(SIGNER.sign(ana.id, "2025-06", ana.secret))
        ben_token = parse_token(SIGNER.sign(ben.id, "2025-06", ben.secret))
        assert ana_token is not None and ben_token is not None
        store.rotate_secret(ana.id)
        assert not SIGNER.verify(ana_token, store.get(ana.id).secret)  # type: ignore[union-attr]
        assert SIGNER.verify(ben_token, store.get(ben.id).secret)  # type: ignore[union-attr]


def test_message_ids_are_stable_unpredictable_and_unique_per_list() -> None:
    # Were <pubflow.<issue>.<row id>@domain>: guessable, counting the subscribers, and the
    # same in every project and database.
    first = SIGNER.message_id(7, "2025-06", "subscriber-secret", "example.org")
    assert first == SIGNER.message_id(7, "2025-06", "subscriber-secret", "example.org")
    local, _, domain = first.strip("<>").partition("@")
    assert domain == "example.org" and len(local) == 32
    assert set(local) <= set("abcdefghijklmnopqrstuvwxyz234567")
    assert "2025" not in first and "pubflow" not in first
    others = {
        SIGNER.message_id(8, "2025-06", "subscriber-secret", "example.org"),
        SIGNER.message_id(7, "2025-07", "subscriber-secret", "example.org"),
        SIGNER.message_id(7, "2025-06", "another-secret", "example.org"),
        TokenSigner(b"another-list-secret").message_id(7, "2025-06", "subscriber-secret", "example.org"),
    }
    assert first not in others and len(others) == 4
    # Not the unsubscribe MAC either: one must not give away the other.
    assert SIGNER.sign(7, "2025-06", "subscriber-secret").rpartition(".")[2].lower() not in first
