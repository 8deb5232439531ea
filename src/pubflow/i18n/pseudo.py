"""The pseudo-locale (``en_XA``): the source text, accented, about 35% longer and bracketed.

``"Save %(count)s files"`` → ``"[Šàṽé %(count)s ƒîļéš ·ļöŕé]"``. On a page it shows at a
glance which strings went through gettext (bracketed), which were left out (plain English),
whether accented glyphs render, and whether layouts survive longer languages. Placeholders,
markup, character references and URLs stay exactly as they are (masked like for a real
backend), so the entry passes every check; leading/trailing whitespace and line breaks stay
outside the brackets' business. Deterministic and offline: no network, no translation memory.
"""

from __future__ import annotations

import math

from pubflow.i18n.machine.masking import mask, split_whitespace, unmask

EXPANSION = 0.35
"""How much longer a pseudo-translation is than its source (German runs ~30% longer)."""

_ACCENTED = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "ÅƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŦÛṼŴẊÝŽàƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýž",
)
# Accented filler words: pseudo "lorem ipsum", so padding wraps like words do.
_PADDING = "ļöŕéɱ îþšûɱ đöļöŕ šîţ àɱéţ çöñšéçţéţûŕ àđîþîšçîñĝ éļîţ šéđ đö éîûšɱöđ ţéɱþöŕ"


def padding(length: int) -> str:
    """``length`` characters of accented filler (repeating; never ends in a space)."""
    if length <= 0:
        return ""
    text = (_PADDING + " ") * (length // (len(_PADDING) + 1) + 1)
    cut = text[:length]
    return cut if not cut.endswith(" ") else cut[:-1] + "·"


def pseudolocalize(text: str, *, max_length: int | None = None) -> str:
    """The pseudo-translation of ``text``; ``max_length`` (from a context limit) caps padding.

    Empty or whitespace-only text is returned unchanged (there is nothing to mark).
    """
    leading, core, trailing = split_whitespace(text)
    if not core:
        return text
    masked = mask(core)
    accented = unmask(masked.text.translate(_ACCENTED), masked)
    extra = math.ceil(len(core) * EXPANSION)
    # Brackets count toward the expansion: "OK" → "[ÖĶ]" is already 100% longer.
    pad = max(0, extra - 2 - 1)
    if max_length is not None:
        room = max_length - len(leading) - len(trailing) - len(accented) - 2
        pad = max(0, min(pad, room - 1))
        if room < 2:  # no room even for brackets: accents alone still show it went through
            return f"{leading}{accented}{trailing}"
    body = f"{accented} {padding(pad)}" if pad > 0 else accented
    return f"{leading}[{body}]{trailing}"
