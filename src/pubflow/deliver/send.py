"""Sending an issue: plan who gets which locale, then deliver exactly once, at a steady rate.

:func:`plan_send` reads the subscribers and the delivery log and changes nothing (it is the dry
run). :func:`execute_send` walks the plan in subscriber-id order; for each recipient it claims
the delivery-log row, personalises the built email, sends it over one reused SMTP connection and
records the outcome (see :mod:`pubflow.deliver.deliveries` for why a crash at any point neither
loses nor duplicates a message). Transient failures are retried with a doubling back-off, up to
``smtp_retries`` times per message; the run stops early, resumable, when the server stays out of
reach or keeps deferring, or on a failure no retry can fix.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from filelock import FileLock, Timeout

from pubflow.config import Settings
from pubflow.deliver.deliveries import DeliveryLog
from pubflow.deliver.message import (
    IssueEmails,
    PreparedEmail,
    envelope_sender,
    personalise,
    serialise,
)
from pubflow.deliver.smtp import SmtpFailure, SmtpTransport
from pubflow.deliver.subscribers import Subscriber, SubscriberStore
from pubflow.deliver.tokens import ListSecret, TokenSigner, load_list_secret
from pubflow.errors import DeliveryError

MAX_BACKOFF = 60.0
MAX_CONSECUTIVE_DEFERRALS = 3
"""Recipients in a row whose retries all met 4xx answers before the run stops (resumable)."""

TEST_COPY_SUBSCRIBER_ID = 0
"""Test copies carry a well-formed token for this id, which no subscriber has: it never works."""


@dataclass(frozen=True)
class Recipient:
    """One subscriber and the locale of the email they get."""

    subscriber: Subscriber
    locale: str
    unbuilt: str | None = None  # their language, left out of this issue's build (not unpublished)

    @property
    def is_fallback(self) -> bool:
        return self.locale != self.subscriber.locale


@dataclass
class SendPlan:
    """What a send of ``issue`` would do now; :func:`plan_send` makes it."""

    issue: str
    emails: IssueEmails
    to_send: list[Recipient] = field(default_factory=list)
    already_sent: int = 0
    unconfirmed: list[Recipient] = field(default_factory=list)  # skipped: outcome unknown
    failed_before: list[Recipient] = field(default_factory=list)  # skipped: refused for good

    def counts_by_locale(self) -> dict[str, int]:
        """Emails to send per locale, published order."""
        counts = Counter(recipient.locale for recipient in self.to_send)
        return {locale: counts[locale] for locale in self.emails.locales if counts[locale]}

    @property
    def fallbacks(self) -> int:
        """Recipients getting another language because theirs is not published."""
        return sum(1 for r in self.to_send if r.is_fallback and r.unbuilt is None)

    def unbuilt(self) -> dict[str, int]:
        """Recipients per locale that is not built for this issue (yet published, or not)."""
        return dict(sorted(Counter(r.unbuilt for r in self.to_send if r.unbuilt).items()))


@dataclass(frozen=True)
class FailedRecipient:
    email: str
    locale: str
    error: str
    bounced: bool = False


@dataclass
class SendReport:
    """What :func:`execute_send` did."""

    issue: str
    sent: int = 0
    skipped_sent: int = 0
    skipped_inactive: int = 0  # unsubscribed (or sent elsewhere) while the batch ran
    skipped_refused: int = 0  # refused for good by an earlier run (retry_failed to retry)
    failed: list[FailedRecipient] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    aborted: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unconfirmed and self.aborted is None

    @classmethod
    def start(cls, plan: SendPlan) -> SendReport:
        """The report before anything is sent: what the plan skips."""
        return cls(
            plan.issue,
            skipped_sent=plan.already_sent,
            skipped_refused=len(plan.failed_before),
            unconfirmed=[recipient.subscriber.email for recipient in plan.unconfirmed],
        )


Event = Literal["sent", "failed", "unconfirmed", "skipped", "retry"]


def plan_send(
    store: SubscriberStore,
    log: DeliveryLog,
    emails: IssueEmails,
    *,
    locales: Sequence[str] | None = None,
    resend_unconfirmed: bool = False,
    retry_failed: bool = False,
) -> SendPlan:
    """Active subscribers (of ``locales`` if given) who still need ``emails.issue``."""
    plan = SendPlan(emails.issue, emails)
    done = log.for_issue(emails.issue)
    for subscriber in store.iter(statuses=["active"], locales=locales):
        recipient = Recipient(
            subscriber, emails.locale_for(subscriber.locale), emails.unbuilt_for(subscriber.locale)
        )
        delivery = done.get(subscriber.id)
        if delivery is None:
            plan.to_send.append(recipient)
        elif delivery.state == "sent":
            plan.already_sent += 1
        elif delivery.unconfirmed and not resend_unconfirmed:
            plan.unconfirmed.append(recipient)
        elif (
            delivery.state == "failed" and delivery.failure_kind == "permanent" and not retry_failed
        ):
            plan.failed_before.append(recipient)
        else:  # pending before the hand-over, transient failure, or asked to resend
            plan.to_send.append(recipient)
    return plan


class Pacer:
    """At most ``rate`` sends per second: spaces the starts of consecutive attempts."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        now = self.clock()
        if self._next is not None and self._next > now:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


@dataclass
class _Outcome:
    kind: Literal["sent", "failed", "unconfirmed", "abort"]
    failure: SmtpFailure | None = None
    deferred: bool = False  # failed only because retries ran out on 4xx answers


def _deliver(
    transport: SmtpTransport,
    sender: str,
    recipient: str,
    data: bytes,
    *,
    pacer: Pacer,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
    on_hand_over: Callable[[], None] = lambda: None,
    on_retry: Callable[[SmtpFailure], None] = lambda failure: None,
) -> _Outcome:
    """Send one message, retrying transient failures with a doubling back-off."""
    attempt = 0
    while True:
        pacer.wait()
        try:
            transport.send(sender, recipient, data, on_hand_over)
            return _Outcome("sent")
        except SmtpFailure as failure:
            if failure.kind == "fatal":
                return _Outcome("abort", failure)
            if failure.kind == "permanent":
                return _Outcome("failed", failure)
            if failure.after_hand_over:
                return _Outcome("unconfirmed", failure)
            attempt += 1
            if attempt > retries:
                if failure.kind == "connection":
                    return _Outcome("abort", failure)
                return _Outcome("failed", failure, deferred=True)
            on_retry(failure)
            sleep(min(backoff * 2 ** (attempt - 1), MAX_BACKOFF))


def _note_retry(
    log: DeliveryLog,
    issue: str,
    recipient: Recipient,
    emit: Callable[[Event, Recipient, str], None],
    failure: SmtpFailure,
) -> None:
    log.attempt_again(issue, recipient.subscriber.id)
    emit("retry", recipient, str(failure))


def execute_send(
    plan: SendPlan,
    store: SubscriberStore,
    log: DeliveryLog,
    transport: SmtpTransport,
    signer: TokenSigner,
    *,
    rate: float,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None] = time.sleep,
    on_event: Callable[[Event, Recipient, str], None] | None = None,
) -> SendReport:
    """Send ``plan`` (see the module docstring); never raises for a single recipient."""
    report = SendReport.start(plan)
    issue = plan.issue
    emails = plan.emails
    prepared = {
        locale: PreparedEmail.prepare(emails.read(locale), path=emails.files[locale])
        for locale in {recipient.locale for recipient in plan.to_send}
    }
    senders = {email.sender for email in prepared.values()}
    if len(senders) > 1:
        raise DeliveryError(
            f"the locales of issue {issue!r} have different From addresses: {sorted(senders)}",
            path=emails.folder,
            hint="use one mail_from for every locale and rebuild the newsletter",
        )
    sender = senders.pop() if senders else ""
    pacer = Pacer(rate, sleep=sleep)
    deferrals_in_a_row = 0

    def emit(event: Event, recipient: Recipient, detail: str = "") -> None:
        if on_event is not None:
            on_event(event, recipient, detail)

    try:
        for recipient in plan.to_send:
            subscriber = recipient.subscriber
            if not log.claim(issue, subscriber.id, recipient.locale):
                report.skipped_inactive += 1
                emit("skipped", recipient)
                continue
            email = prepared[recipient.locale]
            data = email.render(
                to=subscriber.email,
                token=signer.sign(subscriber.id, issue, subscriber.secret),
                # The same id on every try: a resent copy is recognisably the same message.
                message_id=signer.message_id(subscriber.id, issue, subscriber.secret, email.domain),
            )
            outcome = _deliver(
                transport,
                sender,
                subscriber.email,
                data,
                pacer=pacer,
                retries=retries,
                backoff=backoff,
                sleep=sleep,
                on_hand_over=functools.partial(log.hand_over, issue, subscriber.id),
                on_retry=functools.partial(_note_retry, log, issue, recipient, emit),
            )
            failure = outcome.failure
            if outcome.kind == "sent":
                log.mark_sent(issue, subscriber.id)
                report.sent += 1
                deferrals_in_a_row = 0
                emit("sent", recipient)
            elif outcome.kind == "unconfirmed":
                assert failure is not None
                report.unconfirmed.append(subscriber.email)
                emit("unconfirmed", recipient, str(failure))
            elif outcome.kind == "failed":
                assert failure is not None
                log.mark_failed(
                    issue,
                    subscriber.id,
                    "transient" if outcome.deferred else "permanent",
                    str(failure),
                )
                if failure.bounce:
                    store.set_status(subscriber.id, "bounced", f"{issue}: {failure}")
                report.failed.append(
                    FailedRecipient(
                        subscriber.email, recipient.locale, str(failure), failure.bounce
                    )
                )
                emit("failed", recipient, str(failure))
                deferrals_in_a_row = deferrals_in_a_row + 1 if outcome.deferred else 0
                if deferrals_in_a_row >= MAX_CONSECUTIVE_DEFERRALS:
                    report.aborted = (
                        f"the server deferred {deferrals_in_a_row} recipients in a row "
                        f"(last: {failure})"
                    )
                    break
            else:  # abort: the row stays pending before the hand-over, so a re-run sends it
                assert failure is not None
                log.release(issue, subscriber.id)
                report.aborted = str(failure)
                break
    finally:
        transport.close()
    return report


@contextmanager
def exclusive_send(settings: Settings) -> Iterator[None]:
    """Hold the one-send-at-a-time lock of the subscriber database, or raise DeliveryError.

    Two sends at once would both claim the rows the other left pending and send them twice.
    """
    lock_path = Path(f"{settings.subscribers_db_path}.send.lock")
    lock = FileLock(lock_path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise DeliveryError(
            "another `pubflow send` is running on this subscriber database",
            path=lock_path,
            hint="wait for it to finish (it holds the lock until it exits)",
        ) from None
    try:
        yield
    finally:
        lock.release()


def send_issue(
    settings: Settings,
    plan: SendPlan,
    store: SubscriberStore,
    log: DeliveryLog,
    *,
    secret: ListSecret | None = None,
    on_event: Callable[[Event, Recipient, str], None] | None = None,
) -> SendReport:
    """Send ``plan`` with the SMTP server, rate and retries of ``settings``, under the lock.

    The entry point for the CLI and the Prefect flow; nothing is sent if the plan is empty.
    """
    if not plan.to_send:
        return SendReport.start(plan)
    signer = TokenSigner((secret or load_list_secret(settings)).key)
    with exclusive_send(settings):
        return execute_send(
            plan,
            store,
            log,
            SmtpTransport(settings),
            signer,
            rate=settings.send_rate,
            retries=settings.smtp_retries,
            backoff=settings.smtp_backoff,
            on_event=on_event,
        )


def send_test_copies(
    emails: IssueEmails,
    locales: Iterable[str],
    address: str,
    transport: SmtpTransport,
    signer: TokenSigner,
    *,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[SmtpFailure], None] = lambda failure: None,
) -> list[tuple[str, str | None]]:
    """Send one copy per locale to ``address`` (no delivery log); (locale, error or None).

    ``on_retry`` hears of each transient failure before its back-off (a server that is down
    costs ~1 minute of retries with the default settings: say so while it happens)."""
    results: list[tuple[str, str | None]] = []
    pacer = Pacer(1.0, sleep=sleep)
    try:
        for locale in locales:
            if locale not in emails.files:
                raise DeliveryError(
                    f"issue {emails.issue!r} has no {locale} email",
                    path=emails.folder,
                    hint=f"published locales: {', '.join(emails.locales)}",
                )
            data = emails.read(locale)
            token = signer.sign(TEST_COPY_SUBSCRIBER_ID, emails.issue, "test-copy")
            message = personalise(data, to=address, token=token, path=emails.files[locale])
            outcome = _deliver(
                transport,
                envelope_sender(message),
                address,
                serialise(message),
                pacer=pacer,
                retries=retries,
                backoff=backoff,
                sleep=sleep,
                on_retry=on_retry,
            )
            if outcome.kind == "abort":
                assert outcome.failure is not None
                raise DeliveryError(
                    f"test copy not sent: {outcome.failure}",
                    hint="check the smtp_* settings (PUBFLOW_SMTP_HOST, PUBFLOW_SMTP_PORT, ...)",
                )
            results.append((locale, None if outcome.kind == "sent" else str(outcome.failure)))
    finally:
        transport.close()
    return results
