"""Newsletter issues: MJML emails per locale, their plain-text part, ``.eml`` and web copy.

Stages (one module each): :mod:`~pubflow.newsletter.content` (the localized template context),
:mod:`~pubflow.newsletter.mjml_check` (our MJML validation, then mjml-python),
:mod:`~pubflow.newsletter.plaintext`, :mod:`~pubflow.newsletter.links` (UTM, link rules),
:mod:`~pubflow.newsletter.checks`, :mod:`~pubflow.newsletter.export` (the ``.eml``),
:mod:`~pubflow.newsletter.extract` (the issue's catalog template) and
:mod:`~pubflow.newsletter.build` (:func:`render_newsletter`, which runs them all, and
:func:`render_newsletters`: several issues in one pass).
The issue file itself is read by :mod:`pubflow.ingest.newsletter`.
"""

from __future__ import annotations

from pubflow.newsletter.build import (
    LocaleResult,
    NewsletterReport,
    render_newsletter,
    render_newsletters,
)

__all__ = ["LocaleResult", "NewsletterReport", "render_newsletter", "render_newsletters"]
