from __future__ import annotations

import logging
import threading
import time

import pytest
import requests
from deep_translator.exceptions import (
    AuthorizationException,
    ServerException,
    TooManyRequests,
    TranslationNotFound,
)
from libre_server import LibreTestServer

from pubflow.i18n.machine.client import (
    ClientOptions,
    Job,
    MachineClient,
    RateLimiter,
    http_scope,
    redacting_log_records,
)

FAST = ClientOptions(timeout=1.0, concurrency=4, requests_per_second=1000, retries=3, backoff=0.001)


def scripted(*steps: object):
    """A translator factory whose calls raise/return ``steps`` in order, then echo upper-case."""
    queue = list(steps)
    lock = threading.Lock()
    calls: list[str] = []

    def factory(source: str, target: str):
        def translate(text: str) -> object:
            with lock:
                calls.append(text)
                step = queue.pop(0) if queue else None
            if isinstance(step, BaseException):
                raise step
            return step if step is not None else text.upper()

        return translate

    return factory, calls


def test_429_without_status_code_is_retried_then_succeeds() -> None:
    factory, calls = scripted(ServerException(429), TooManyRequests())
    client = MachineClient(factory, FAST)
    outcome = client.translate_one(Job("en", "de", "hello"))
    assert outcome.ok and outcome.value == "HELLO"
    assert outcome.attempts == 3
    assert client.stats.retries == 2
    assert len(calls) == 3


def test_not_found_is_not_retried() -> None:
    factory, calls = scripted(TranslationNotFound("hello"))
    outcome = MachineClient(factory, FAST).translate_one(Job("en", "de", "hello"))
    assert outcome.reason == "the backend found no translation"
    assert len(calls) == 1


def test_a_refused_key_halts_the_run_and_never_shows_the_key() -> None:
    factory, calls = scripted(AuthorizationException("sk-TEST-SECRET-123"))
    client = MachineClient(factory, ClientOptions(concurrency=1, requests_per_second=1000, backoff=0.001))
    results = client.translate_all([Job("en", "de", f"text {n}") for n in range(5)])
    reasons = {outcome.reason for outcome in results.values()}
    assert len(calls) == 1  # the other four were never sent
    assert client.halted is not None and "API key" in client.halted
    assert all(reason and "sk-TEST" not in reason for reason in reasons)
    assert sum(1 for reason in reasons if reason.startswith("not sent")) == 1


def test_unexpected_exceptions_are_named_by_type_only() -> None:
    factory, _ = scripted(KeyError("translatedText sk-TEST-SECRET-123"))
    outcome = MachineClient(factory, FAST).translate_one(Job("en", "de", "x"))
    assert outcome.reason == "unexpected response from the backend (KeyError)"


def test_concurrency_is_bounded() -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def factory(source: str, target: str):
        def translate(text: str) -> str:
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.01)
            with lock:
                in_flight -= 1
            return text.upper()

        return translate

    options = ClientOptions(concurrency=3, requests_per_second=1000)
    results = MachineClient(factory, options).translate_all([Job("en", "de", f"t{n}") for n in range(20)])
    assert len(results) == 20 and all(outcome.ok for outcome in results.values())
    assert 1 <= peak <= 3


def test_duplicate_jobs_are_sent_once() -> None:
    factory, calls = scripted()
    jobs = [Job("en", "de", "same"), Job("en", "de", "same"), Job("en", "fr", "same")]
    results = MachineClient(factory, FAST).translate_all(jobs)
    assert len(calls) == 2 and len(results) == 2


def test_rate_limiter_spaces_slots_evenly() -> None:
    now = [100.0]
    limiter = RateLimiter(10, clock=lambda: now[0])
    assert [round(limiter.reserve(), 3) for _ in range(3)] == [0.0, 0.1, 0.2]
    now[0] += 1.0  # idle time is not saved up as a burst
    assert limiter.reserve() == 0.0
    assert round(limiter.reserve(), 3) == 0.1


def test_timeout_applies_inside_our_scope_only() -> None:
    with LibreTestServer() as server:
        server.state.default = "slow"
        server.state.slow_seconds = 0.5
        url = server.url + "translate?q=hi&source=en&target=de"
        # Outside a scope requests behaves as usual (no timeout imposed on other code).
        assert requests.post(url).json() == {"translatedText": "DE: HI"}
        with http_scope(0.05) as scope, pytest.raises(requests.ReadTimeout):
            requests.post(url)
        assert isinstance(scope.transport_error, requests.ReadTimeout)
        assert scope.requests == 1


def test_log_records_are_scrubbed_of_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logger = logging.getLogger("urllib3.connectionpool")
    with redacting_log_records(["sk-TEST-SECRET-123"]):
        logger.debug('"%s %s" %s', "POST", "/translate?q=x&api_key=sk-TEST-SECRET-123", 200)
        try:
            raise ValueError("url with api_key=sk-TEST-SECRET-123")
        except ValueError:
            logger.exception("failed")
    logger.debug("after %s", "sk-TEST-SECRET-123")  # outside the run: untouched
    text = caplog.text
    assert "api_key=***" in text
    assert text.count("sk-TEST-SECRET-123") == 1


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),  # an HTTP date, 30 s after "now"
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # already past
        ("soon", None),
        ("-5", None),
        (None, None),
    ],
)
def test_retry_after_header_values(header: str | None, seconds: float | None) -> None:
    from email.utils import parsedate_to_datetime

    from pubflow.i18n.machine.client import retry_after_seconds

    now = parsedate_to_datetime("Wed, 21 Oct 2015 07:28:00 GMT").timestamp()
    assert retry_after_seconds(header, now=now) == seconds
