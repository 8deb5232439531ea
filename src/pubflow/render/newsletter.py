"""The newsletter renderer, under the name the design sketch gives it.

The stage lives in :mod:`pubflow.newsletter` (split by step: content, MJML check, plain text,
links, checks, export); this module re-exports its entry point.
"""

from __future__ import annotations

from pubflow.newsletter.build import LocaleResult, NewsletterReport, render_newsletter

__all__ = ["LocaleResult", "NewsletterReport", "render_newsletter"]
