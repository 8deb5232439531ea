"""Links shared by the newsletter build and delivery.

The built ``email.eml`` of each locale is generic: wherever a subscriber's personal unsubscribe
token belongs (the footer link in both parts, the ``List-Unsubscribe`` header) it carries
:data:`UNSUBSCRIBE_TOKEN_PLACEHOLDER`, which ``pubflow send`` replaces per recipient.
"""

from __future__ import annotations

UNSUBSCRIBE_TOKEN_PLACEHOLDER = "PUBFLOW-UNSUBSCRIBE-TOKEN"
"""URL-safe, so it survives HTML attributes, quoted-printable and header folding intact."""


def unsubscribe_link(base_url: str, token: str = UNSUBSCRIBE_TOKEN_PLACEHOLDER) -> str:
    """The https one-click unsubscribe URL for ``token`` under ``base_url``."""
    return f"{base_url.rstrip('/')}/{token}"
