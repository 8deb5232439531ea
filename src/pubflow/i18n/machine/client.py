"""Call a deep-translator backend safely: timeouts, retries, a rate limit and bounded concurrency.

deep-translator 1.11.4 calls ``requests.get``/``requests.post`` with no timeout, sends one
request per string and turns HTTP failures into unrelated exception types (429 is a
``ServerException('ERR_TOO_MANY_REQUESTS')`` without a status code, a refused connection escapes
as a raw ``requests`` error, Microsoft's client crashes with ``AttributeError`` on a network
error). Its messages may also carry the API key (Libre and DeepL put it in the query string,
which ``requests`` repeats in its errors), so they are never shown, logged or stored.

**Timeouts.** Every ``requests`` call ends in ``HTTPAdapter.send``, which receives the timeout.
We wrap that one method (once, process-wide) so that inside :func:`http_scope` — a context
variable set around each of *our* calls — a missing timeout becomes ours, and the HTTP status
or transport error is recorded for classification. Outside a scope the wrapper passes
everything through untouched, so other users of ``requests`` in the process see no change.
Worker threads with a deadline were the alternative; they cannot stop a blocked socket, so a
hanging server would leak one thread per call. A socket timeout bounds each connect and each
read; a server that trickles one byte per interval could stretch a call, which no engine does.

**Classification** uses what the transport saw first (status code, connection error, timeout),
then the exception type. Retried with exponential backoff and full jitter: 429, 5xx,
connection errors and timeouts. Not retried: other 4xx, malformed responses. A 401/403, or a
backend still unreachable after all retries, halts the run: every call still queued fails at
once with the same reason instead of waiting out its own retries.

**Retry-After.** A 429 or 503 that says how long to wait (seconds or an HTTP date, RFC 9110
§10.2.3) is waited out exactly, by every thread (the rate limiter's next slot moves past it):
the server told us when it will answer again, so guessing with backoff would only earn more
429s. A wait longer than :data:`LONGEST_RETRY_AFTER` (a quota reset, typically) halts the run
saying when to try again, instead of holding the command for an hour.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter

if TYPE_CHECKING:
    from pubflow.config import Settings

TranslateFn = Callable[[str], object]
"""Translate one text; returns whatever the backend gives (validated by the caller)."""

TranslatorFactory = Callable[[str, str], TranslateFn]
"""``(source_lang, target_lang) -> TranslateFn``; a fresh translator per call (thread safety)."""


# --- the transport hook -------------------------------------------------------------------------


@dataclass
class CallScope:
    """What one of our calls saw on the wire (filled in by the adapter hook)."""

    timeout: float
    requests: int = 0
    status: int | None = None
    transport_error: BaseException | None = None
    retry_after: float | None = None  # seconds, from the last answer's Retry-After header


_SCOPE: ContextVar[CallScope | None] = ContextVar("pubflow_mt_call_scope", default=None)
_HOOK_LOCK = threading.Lock()
_HOOK_MARK = "_pubflow_timeout_hook"


def _install_transport_hook() -> None:
    """Wrap ``HTTPAdapter.send`` once; a no-op outside :func:`http_scope`."""
    with _HOOK_LOCK:
        if getattr(HTTPAdapter.send, _HOOK_MARK, False):
            return
        original = HTTPAdapter.send

        def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
            scope = _SCOPE.get()
            if scope is None:
                return original(self, request, *args, **kwargs)
            # send(request, stream=False, timeout=None, ...): timeout is the second positional.
            if len(args) >= 2:
                if args[1] is None:
                    args = (args[0], scope.timeout, *args[2:])
            elif kwargs.get("timeout") is None:
                kwargs["timeout"] = scope.timeout
            scope.requests += 1
            scope.status = None
            scope.transport_error = None
            scope.retry_after = None
            try:
                response = original(self, request, *args, **kwargs)
            except requests.RequestException as exc:
                scope.transport_error = exc
                raise
            scope.status = response.status_code
            if response.status_code in (429, 503):
                scope.retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            return response

        setattr(send, _HOOK_MARK, True)
        HTTPAdapter.send = send  # type: ignore[method-assign]


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """A ``Retry-After`` header as seconds from now (None: absent or unreadable)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None  # not a date either: fall back to our own backoff
    if when.tzinfo is None:
        return None  # HTTP dates are GMT; one without a zone is not one
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@contextmanager
def http_scope(timeout: float) -> Iterator[CallScope]:
    """Within this block (this thread/context only) every ``requests`` call gets ``timeout``."""
    _install_transport_hook()
    scope = CallScope(timeout=timeout)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


# --- failures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """Why a call failed, in words safe to show (never the exception's own message)."""

    reason: str
    retryable: bool
    halts: bool = False  # retried in vain or refused outright: stop the whole run
    unreachable: bool = False
    retry_after: float | None = None  # the server said when to ask again (seconds)


def classify(exc: BaseException, scope: CallScope) -> Failure:
    """Map whatever deep-translator raised (plus what the wire saw) to a :class:`Failure`."""
    from deep_translator import exceptions as dt

    transport = scope.transport_error
    if isinstance(transport, requests.Timeout) and not isinstance(transport, requests.ConnectTimeout):
        return Failure(f"no answer within {scope.timeout:g}s (timeout)", True, unreachable=True)
    if isinstance(transport, requests.ConnectTimeout):
        return Failure(f"cannot connect within {scope.timeout:g}s (timeout)", True, unreachable=True)
    if isinstance(transport, requests.ConnectionError):
        return Failure("cannot reach the backend (connection refused or reset)", True, unreachable=True)
    if isinstance(transport, requests.RequestException):
        return Failure(f"request failed ({type(transport).__name__})", False)
    status = scope.status
    if status is not None and not 200 <= status <= 299:
        failure = _classify_status(status)
        if failure.retryable and scope.retry_after is not None:
            return dataclasses.replace(failure, retry_after=scope.retry_after)
        return failure
    # Nothing odd on the wire (or no request was made): look at the exception type.
    if isinstance(exc, dt.TooManyRequests) or (
        isinstance(exc, dt.ServerException) and exc.args[:1] == ("ERR_TOO_MANY_REQUESTS",)
    ):
        return Failure("rate limited by the backend (HTTP 429)", True)
    if isinstance(exc, dt.ServerException):
        return Failure("server error from the backend", True)
    if isinstance(exc, dt.AuthorizationException):
        return Failure("the backend refused the API key (HTTP 403)", False, halts=True)
    if isinstance(exc, dt.NotValidLength):
        return Failure("text too long for the backend", False)
    if isinstance(exc, dt.LanguageNotSupportedException):
        return Failure("language not supported by the backend", False, halts=True)
    if isinstance(exc, dt.TranslationNotFound):
        return Failure("the backend found no translation", False)
    if isinstance(exc, (json.JSONDecodeError, ValueError)):
        return Failure("malformed response from the backend (not the JSON expected)", False)
    return Failure(f"unexpected response from the backend ({type(exc).__name__})", False)


def _classify_status(status: int) -> Failure:
    if status == 429:
        return Failure("rate limited by the backend (HTTP 429)", True)
    if status in (401, 403):
        return Failure(f"the backend refused the API key (HTTP {status})", False, halts=True)
    if status == 456:  # DeepL: quota exceeded
        return Failure("the backend's quota is used up (HTTP 456)", False, halts=True)
    if status in (408, 425) or status >= 500:
        return Failure(f"server error from the backend (HTTP {status})", True)
    if status == 413:
        return Failure("text too long for the backend (HTTP 413)", False)
    return Failure(f"the backend rejected the request (HTTP {status})", False)


# --- rate limit ---------------------------------------------------------------------------------


class RateLimiter:
    """At most ``rate`` call starts per second across threads (evenly spaced slots)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0.0

    def hold(self, seconds: float) -> None:
        """No call starts for ``seconds`` from now (a server's Retry-After, for every thread)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)

    def reserve(self) -> float:
        """Claim the next slot; returns how long to wait before using it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
            return slot - now


# --- the client ---------------------------------------------------------------------------------


LONGEST_RETRY_AFTER = 120.0
"""Seconds: a server asking for a longer pause halts the run instead of holding it."""


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass(frozen=True)
class ClientOptions:
    """How hard to try: per-request timeout, workers, rate, retries and backoff."""

    timeout: float = 20.0
    concurrency: int = 4
    requests_per_second: float = 5.0
    retries: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0
    consecutive_failures_to_halt: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientOptions:
        return cls(
            timeout=settings.mt_timeout,
            concurrency=settings.mt_concurrency,
            requests_per_second=settings.mt_requests_per_second,
            retries=settings.mt_retries,
            backoff=settings.mt_backoff,
        )


@dataclass(frozen=True)
class Job:
    """One text to translate from ``source`` to ``target`` (backend language codes)."""

    source: str
    target: str
    text: str


@dataclass(frozen=True)
class Outcome:
    """A raw result (``value``, not yet validated) or the reason there is none."""

    value: object = None
    reason: str | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    halted: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)


class MachineClient:
    """Run :class:`Job` s through a translator factory with every safety net on."""

    def __init__(
        self,
        translator_for: TranslatorFactory,
        options: ClientOptions | None = None,
        *,
        rng: random.Random | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self._translator_for = translator_for
        self.options = options or ClientOptions()
        self._limiter = RateLimiter(self.options.requests_per_second)
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._consecutive = 0
        self._log = logger or logging.getLogger("pubflow.mt")
        self.stats = ClientStats()

    @property
    def halted(self) -> str | None:
        """Why the run stopped sending (None while it goes on)."""
        return self.stats.halted

    def translate_all(
        self, jobs: Sequence[Job], *, on_done: Callable[[Job, Outcome], None] | None = None
    ) -> dict[Job, Outcome]:
        """Translate every job (duplicates once); ``on_done`` is called in the caller's thread."""
        unique = list(dict.fromkeys(jobs))
        results: dict[Job, Outcome] = {}
        if not unique:
            return results
        workers = min(self.options.concurrency, len(unique))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pubflow-mt") as pool:
            futures = {pool.submit(self.translate_one, job): job for job in unique}
            for future in as_completed(futures):
                job = futures[future]
                results[job] = future.result()
                if on_done is not None:
                    on_done(job, results[job])
        return results

    def translate_one(self, job: Job) -> Outcome:
        """One job with rate limit, timeout and retries; never raises for backend trouble."""
        attempts = 0
        while True:
            if self._halt.is_set():
                return Outcome(reason=f"not sent: {self.stats.halted}", attempts=attempts)
            wait = self._limiter.reserve()
            if wait > 0 and self._halt.wait(wait):
                continue  # halted while waiting for a slot
            attempts += 1
            with http_scope(self.options.timeout) as scope:
                try:
                    value = self._translator_for(job.source, job.target)(job.text)
                except Exception as exc:  # deep-translator raises anything; classify, never re-show
                    failure = classify(exc, scope)
                else:
                    failure = None
            with self._lock:
                self.stats.requests += scope.requests
            if failure is None:
                with self._lock:
                    self._consecutive = 0
                return Outcome(value=value, attempts=attempts)
            # Only the category is logged: exception messages may contain the API key.
            self._log.debug("mt %s→%s attempt %d: %s", job.source, job.target, attempts, failure.reason)
            if failure.halts:
                self._stop(failure.reason)
                return self._failed(failure.reason, attempts)
            if failure.retry_after is not None and failure.retry_after > LONGEST_RETRY_AFTER:
                reason = f"{failure.reason}; the backend asks to wait {_duration(failure.retry_after)}"
                self._stop(f"{reason}: run it again then")
                return self._failed(reason, attempts)
            if failure.retryable and attempts <= self.options.retries:
                with self._lock:
                    self.stats.retries += 1
                if failure.retry_after is not None:
                    # Waited out by the slot reservation at the top of the loop, for every thread.
                    self._limiter.hold(failure.retry_after)
                    continue
                delay = min(self.options.max_backoff, self.options.backoff * 2 ** (attempts - 1))
                self._halt.wait(self._rng.uniform(delay / 2, delay))
                continue
            if failure.retryable:
                with self._lock:
                    self._consecutive += 1
                    give_up = (
                        failure.unreachable
                        or self._consecutive >= self.options.consecutive_failures_to_halt
                    )
                if give_up:
                    self._stop(f"{failure.reason}, after {attempts} attempts")
                    return self._failed(f"{failure.reason}, after {attempts} attempts", attempts)
            return self._failed(failure.reason, attempts)

    def _failed(self, reason: str, attempts: int) -> Outcome:
        with self._lock:
            self.stats.reasons[reason] = self.stats.reasons.get(reason, 0) + 1
        return Outcome(reason=reason, attempts=attempts)

    def _stop(self, reason: str) -> None:
        with self._lock:
            if self.stats.halted is None:
                self.stats.halted = reason
                self._log.warning("machine translation stopped: %s", reason)
        self._halt.set()


def run_jobs(
    translator_for: TranslatorFactory,
    jobs: Iterable[Job],
    options: ClientOptions | None = None,
) -> dict[Job, Outcome]:
    """Convenience: translate ``jobs`` with a fresh client (tests and one-off scripts)."""
    return MachineClient(translator_for, options).translate_all(list(jobs))


# --- keeping credentials out of logs ------------------------------------------------------------


@contextmanager
def redacting_log_records(secrets: Sequence[str]) -> Iterator[None]:
    """While active, any log record (any logger, any thread) has ``secrets`` replaced by ``***``.

    urllib3 logs every request line at DEBUG, query string included — and Libre and DeepL carry
    the key in the query string — so a user running with debug logging would otherwise see it.
    The record factory is the one place every record passes through, whatever its handler.
    """
    values = [secret for secret in secrets if secret]
    if not values:
        yield
        return
    previous = logging.getLogRecordFactory()

    def scrub(text: str) -> str:
        for secret in values:
            text = text.replace(secret, "***")
        return text

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a bad format string is the logger's problem
            message = str(record.msg)
        if any(secret in message for secret in values):
            record.msg, record.args = scrub(message), None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            text = "".join(traceback.format_exception(*record.exc_info))
            if any(secret in text for secret in values):
                record.exc_text = scrub(text.rstrip("\n"))
                record.exc_info = None
        return record

    logging.setLogRecordFactory(factory)
    try:
        yield
    finally:
        logging.setLogRecordFactory(previous)
