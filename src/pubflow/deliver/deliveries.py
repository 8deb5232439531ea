"""The delivery log: exactly one copy of an issue per subscriber, across crashes and re-runs.

Each (issue, subscriber) row moves through these steps, each committed before the next
network action:

1. ``claim``: state ``pending``, ``attempts + 1``, ``handed_over_at`` empty. Nothing has reached
   the server yet, so after a crash here the message is simply sent on the next run.
2. ``hand_over``: set ``handed_over_at`` just before the final ``.`` of SMTP DATA — the moment
   the server may take responsibility for the message.
3. ``sent`` after the server's 250, or ``failed`` (``transient`` or ``permanent``) after a refusal;
   ``release`` clears ``handed_over_at`` again when the server answered with a refusal, i.e.
   definitely did not take the message.

A row still ``pending`` with ``handed_over_at`` set after a crash is *unconfirmed*: the server
may or may not have accepted it (the crash hit between the final ``.`` and the recorded
answer, a window of one round trip). Re-runs never resend those by themselves — never twice
wins over never missed — and report them; ``resend_unconfirmed`` sends them again under the
same Message-ID, which lets receiving systems recognise a duplicate.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal, cast

from pubflow.deliver.subscribers import transaction, utc_now

State = Literal["pending", "sent", "failed"]
FailureKind = Literal["transient", "permanent"]


@dataclass(frozen=True)
class Delivery:
    """One row of ``deliveries``."""

    issue: str
    subscriber_id: int
    locale: str
    state: State
    attempts: int
    handed_over_at: str | None
    failure_kind: FailureKind | None
    last_error: str | None
    sent_at: str | None

    @property
    def unconfirmed(self) -> bool:
        """Left pending after the message may have reached the server (outcome unknown)."""
        return self.state == "pending" and self.handed_over_at is not None


_COLUMNS = (
    "issue, subscriber_id, locale, state, attempts, handed_over_at, failure_kind, last_error, "
    "sent_at"
)


def _delivery(row: tuple[object, ...]) -> Delivery:
    return Delivery(
        issue=str(row[0]),
        subscriber_id=int(cast(int, row[1])),
        locale=str(row[2]),
        state=cast(State, row[3]),
        attempts=int(cast(int, row[4])),
        handed_over_at=cast("str | None", row[5]),
        failure_kind=cast("FailureKind | None", row[6]),
        last_error=cast("str | None", row[7]),
        sent_at=cast("str | None", row[8]),
    )


class DeliveryLog:
    """Reads and writes the ``deliveries`` table; every write is its own transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def for_issue(self, issue: str) -> dict[int, Delivery]:
        """Every row of ``issue``, by subscriber id."""
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE issue = ?", (issue,)
        ).fetchall()
        return {delivery.subscriber_id: delivery for delivery in map(_delivery, rows)}

    def get(self, issue: str, subscriber_id: int) -> Delivery | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE issue = ? AND subscriber_id = ?",
            (issue, subscriber_id),
        ).fetchone()
        return _delivery(row) if row else None

    def counts(self, issue: str) -> dict[str, int]:
        """Rows of ``issue`` by state (``unconfirmed`` counted apart from ``pending``)."""
        counts = {"sent": 0, "failed": 0, "pending": 0, "unconfirmed": 0}
        for delivery in self.for_issue(issue).values():
            counts["unconfirmed" if delivery.unconfirmed else delivery.state] += 1
        return counts

    def claim(self, issue: str, subscriber_id: int, locale: str) -> bool:
        """Step 1: mark pending before anything is sent.

        Returns False (and changes nothing) when the row is already ``sent`` or the subscriber
        is no longer active — they may have unsubscribed while the batch was running.
        """
        now = utc_now()
        with transaction(self.conn):
            active = self.conn.execute(
                "SELECT 1 FROM subscribers WHERE id = ? AND status = 'active'", (subscriber_id,)
            ).fetchone()
            if not active:
                return False
            row = self.conn.execute(
                "SELECT state FROM deliveries WHERE issue = ? AND subscriber_id = ?",
                (issue, subscriber_id),
            ).fetchone()
            if row is None:
                self.conn.execute(
                    "INSERT INTO deliveries (issue, subscriber_id, locale, state, attempts, "
                    "created_at, updated_at) VALUES (?, ?, ?, 'pending', 1, ?, ?)",
                    (issue, subscriber_id, locale, now, now),
                )
                return True
            if row[0] == "sent":
                return False
            self.conn.execute(
                "UPDATE deliveries SET state = 'pending', locale = ?, attempts = attempts + 1, "
                "handed_over_at = NULL, failure_kind = NULL, updated_at = ? "
                "WHERE issue = ? AND subscriber_id = ?",
                (locale, now, issue, subscriber_id),
            )
            return True

    def hand_over(self, issue: str, subscriber_id: int) -> None:
        """Step 2: the message is about to be committed to the server."""
        self._update(issue, subscriber_id, "handed_over_at = ?", utc_now())

    def release(self, issue: str, subscriber_id: int) -> None:
        """The server refused the message after all: it is safe to send again."""
        self._update(issue, subscriber_id, "handed_over_at = NULL")

    def attempt_again(self, issue: str, subscriber_id: int) -> None:
        """Count one more try within the same run (after a transient failure)."""
        self._update(issue, subscriber_id, "attempts = attempts + 1, handed_over_at = NULL")

    def mark_sent(self, issue: str, subscriber_id: int) -> None:
        """Step 3: the server accepted the message."""
        now = utc_now()
        self._update(
            issue,
            subscriber_id,
            "state = 'sent', sent_at = ?, failure_kind = NULL, last_error = NULL",
            now,
        )

    def mark_failed(self, issue: str, subscriber_id: int, kind: FailureKind, error: str) -> None:
        """Step 3: refused; ``transient`` failures are tried again by the next run."""
        self._update(
            issue,
            subscriber_id,
            "state = 'failed', handed_over_at = NULL, failure_kind = ?, last_error = ?",
            kind,
            error[:1000],
        )

    def _update(self, issue: str, subscriber_id: int, assignments: str, *values: object) -> None:
        with transaction(self.conn):
            self.conn.execute(
                f"UPDATE deliveries SET {assignments}, updated_at = ? "
                "WHERE issue = ? AND subscriber_id = ?",
                (*values, utc_now(), issue, subscriber_id),
            )
