"""Locale codes: validation, Babel data, text direction and the pseudo-locale.

Locale codes are gettext style (``pt_BR``); HTML ``lang`` attributes use BCP 47 (``pt-BR``).
The pseudo-locale ``en_XA`` is not known to CLDR, so its formatting data comes from ``en``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from pubflow.errors import ConfigError

PSEUDO_LOCALE = "en_XA"
"""Made by the offline ``pseudo`` backend: accented, ~35% longer, bracketed."""

# Strict shape before anything touches the file system: a code becomes a directory name, so
# "../", absolute paths and NUL bytes must never get through.
_LOCALE_SHAPE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2}|_[A-Z][a-z]{3}(_[A-Z]{2})?)?$")


def validate_locale(code: str, *, where: str = "locale") -> str:
    """Return ``code`` if it is a well-formed, known locale; raise :class:`ConfigError`."""
    if not isinstance(code, str) or not _LOCALE_SHAPE.match(code):
        raise ConfigError(
            f"{where}: {code!r} is not a locale code",
            hint="use a gettext code such as de, pt_BR or ar",
        )
    if code != PSEUDO_LOCALE and not _is_known_locale(code):
        raise ConfigError(
            f"{where}: unknown locale {code!r}", hint="use a CLDR locale such as de or pt_BR"
        )
    return code


@lru_cache(maxsize=512)
def _is_known_locale(code: str) -> bool:
    """Whether CLDR knows ``code`` (cached: paths are validated thousands of times a build)."""
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


@lru_cache(maxsize=None)
def babel_locale(code: str) -> Locale:
    """The Babel :class:`Locale` used for dates, plurals and names."""
    return Locale.parse("en" if code == PSEUDO_LOCALE else code)


def text_direction(code: str) -> str:
    """``rtl`` or ``ltr``."""
    return babel_locale(code).text_direction


def html_lang(code: str) -> str:
    """BCP 47 tag for ``lang``/``hreflang`` attributes: ``pt_BR`` → ``pt-BR``."""
    return code.replace("_", "-")


@lru_cache(maxsize=None)
def display_name(code: str) -> str:
    """The language's own name for itself (for language switchers)."""
    if code == PSEUDO_LOCALE:
        return "[Ƥšéûðö]"
    name = babel_locale(code).get_display_name(babel_locale(code)) or code
    return name[:1].upper() + name[1:]


# The Plural-Forms a catalog of each language carries are gettext's, as GNU gettext, Poedit and
# Weblate write them, not whatever the installed Babel derives from CLDR:
# - Babel's own table orders some forms differently from CLDR (for Arabic it maps 11–99 to
#   form 5 and 100–102 to form 4); translators' tools follow CLDR's order (zero, one, two, few,
#   many, other), so they would show the wrong examples.
# - Babel 2.19 (CLDR 47) gives French, Spanish, Italian, Portuguese and Catalan a third form
#   for exact millions ("un million de …"); gettext's tools keep two, the catalogs in the wild
#   have two, and a header must not change when a newer Babel is installed.
_GETTEXT_PLURAL_FORMS = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    "fr": "nplurals=2; plural=(n > 1);",
    "pt": "nplurals=2; plural=(n > 1);",  # Brazil (and CLDR's "pt")
    "pt_PT": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "it": "nplurals=2; plural=(n != 1);",
    "ca": "nplurals=2; plural=(n != 1);",
}
_NPLURALS = re.compile(r"nplurals\s*=\s*(\d+)")


@lru_cache(maxsize=None)
def plural_forms_header(code: str) -> str:
    """The ``Plural-Forms`` header value gettext expects for this locale."""
    from babel.messages.plurals import get_plural

    locale = babel_locale(code)
    for key in (f"{locale.language}_{locale.territory}", locale.language):
        if key in _GETTEXT_PLURAL_FORMS:
            return _GETTEXT_PLURAL_FORMS[key]
    plural = get_plural(locale)
    return f"nplurals={plural.num_plurals}; plural={plural.plural_expr};"


def plural_count(code: str) -> int:
    """How many plural forms the locale's catalogs must carry (their header's ``nplurals``)."""
    found = _NPLURALS.search(plural_forms_header(code))
    assert found is not None  # every header above and Babel's carry one
    return int(found.group(1))