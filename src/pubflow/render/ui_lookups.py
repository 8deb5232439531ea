"""What a group of outputs shows of the UI catalog: the messages it looked up, and their hash.

The UI catalog (``messages``) holds the strings of every template: the site's and the
newsletters'. A group of outputs (one language of the site, one language of a newsletter
issue) records the messages its renders looked up (``LocaleEnvironment.ui_lookups``) and a
hash of what they showed (``Translations.shown_digest``), beside the fingerprint of the
compiled UI catalog it was built from. When that catalog changes, the group is still up to
date if every message it looked up looks up as before: a translator's save of a newsletter
string does not render the site again, nor a save of a site string the emails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pubflow.errors import PubflowError
from pubflow.i18n.runtime import Translations, load_translations, lookup_order
from pubflow.render.shown import UI_DOMAIN

if TYPE_CHECKING:
    from pubflow.config import Settings
    from pubflow.render.publishing import PublishPlan

Key = tuple[str, str | None, bool]
"""A looked-up message: (msgid, msgctxt, plural)."""


def ui_catalog(settings: Settings, plan: PublishPlan, locale: str) -> Translations:
    """The UI catalog of ``locale`` as its pages and emails read it (its publish policy)."""
    return load_translations(settings, locale, UI_DOMAIN, policy=plan.policy(locale))


def ui_record(catalog: Translations, compiled: str | None, keys: Iterable[Key]) -> dict[str, Any]:
    """What a group keeps: the compiled catalog's fingerprint, the keys, what they showed."""
    chosen = sorted(set(keys), key=lookup_order)
    return {"compiled": compiled, "keys": [list(key) for key in chosen], "digest": catalog.shown_digest(chosen)}


def recorded_keys(record: dict[str, Any]) -> list[Key]:
    """The keys a record keeps (KeyError, TypeError or ValueError: a damaged record)."""
    return [
        (str(msgid), None if context is None else str(context), bool(plural))
        for msgid, context, plural in record["keys"]
    ]


def ui_unchanged(
    record: object, compiled_now: str | None, catalog: Callable[[], Translations]
) -> dict[str, Any] | None:
    """The record to keep if a group's recorded lookups still show the same, else None.

    Unchanged: its compiled UI catalog is as recorded (the record itself is returned), or
    else every message it looked up looks up as before in ``catalog()`` (a new record with
    the new fingerprint, so the next build need not look again; the old one is left alone,
    as it belongs to the state read from disk). A missing or damaged record, or a catalog
    that cannot be read, counts as changed."""
    if not isinstance(record, dict):
        return None
    if record.get("compiled") == compiled_now:
        return record
    try:
        same = catalog().shown_digest(recorded_keys(record)) == record["digest"]
    except (KeyError, TypeError, ValueError, PubflowError):
        return None
    return {**record, "compiled": compiled_now} if same else None


__all__ = ["Key", "recorded_keys", "ui_catalog", "ui_record", "ui_unchanged"]
