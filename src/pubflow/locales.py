"""Locale codes: validation, Babel data, text direction and the pseudo-locale.

Locale codes are gettext style (``pt_BR``); HTML ``lang`` attributes use BCP 47 (``pt-BR``).
The pseudo-locale ``en_XA`` is not known to CLDR, so its formatting data comes from ``en``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import babel
from babel import Locale, UnknownLocaleError

from pubflow.errors import ConfigError

PSEUDO_LOCALE = "en_XA"
"""Made by the offline ``pseudo`` backend: accented, ~35% longer, bracketed."""

# Strict shape before anything touches the file system: a code becomes a directory name, so
# "../", absolute paths and NUL bytes must never get through.
_LOCALE_SHAPE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2}|_[A-Z][a-z]{3}(_[A-Z]{2})?)?\Z")


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


# Autonyms and text directions come from each language's CLDR data, which Babel loads whole
# (20-30 ms a language, most of it merging in CLDR's root data). Every language switcher needs
# every language's autonym, so a build that re-renders one language paid for all of them.
# They change only with Babel, so builds keep them in a small file (load/save_locale_facts).
# The Plural-Forms headers Babel derives (languages outside _GETTEXT_PLURAL_FORMS) are kept
# there too: deriving one imports babel.messages (~12 ms of a process that merges or loads
# a single language's catalogs after a translator's save).
# Bump _FACTS_FORMAT when display_name(), text_direction() or plural_forms_header() compute
# differently.
_FACTS_FORMAT = 2
LOCALE_FACTS_NAME = "locale-facts.json"
"""Their file, in the build's cache folder (``Settings.cache_path``)."""
_FACT_KINDS = ("names", "directions", "plurals")
# Every fact this process knows (read from a file or computed), and what each file held.
_known: dict[str, dict[str, str]] = {kind: {} for kind in _FACT_KINDS}
_files: dict[Path, dict[str, dict[str, str]]] = {}


def load_locale_facts(path: Path) -> None:
    """Take the autonyms and directions a build saved in ``path`` (ignored when it is missing,
    damaged or from another Babel: the facts are then computed again)."""
    held: dict[str, dict[str, str]] = {kind: {} for kind in _FACT_KINDS}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if isinstance(data, dict) and data.get("format") == _FACTS_FORMAT and data.get("babel") == babel.__version__:
        for kind in _FACT_KINDS:
            found = data.get(kind)
            if isinstance(found, dict):
                held[kind] = {
                    k: v
                    for k, v in found.items()
                    if isinstance(k, str)
                    and isinstance(v, str)
                    # A header goes into every catalog: only one of the shape Babel gives.
                    and (kind != "plurals" or _PLURAL_SHAPE.fullmatch(v) is not None)
                }
                _known[kind].update(held[kind])
    _files[path] = held


def save_locale_facts(path: Path) -> None:
    """Write every fact this process knows to ``path``, unless it already held them all when
    :func:`load_locale_facts` read it."""
    held = _files.get(path)
    if held is not None and all(_known[kind].items() <= held[kind].items() for kind in _FACT_KINDS):
        return
    from pubflow.fsutil import atomic_write_text

    facts = {kind: dict(_known[kind]) for kind in _FACT_KINDS}
    text = json.dumps({"format": _FACTS_FORMAT, "babel": babel.__version__, **facts}, sort_keys=True)
    try:
        atomic_write_text(path, text + "\n", durable=False)
    except OSError:
        return  # only saves work next time
    _files[path] = facts


def text_direction(code: str) -> str:
    """``rtl`` or ``ltr``."""
    known = _known["directions"].get(code)
    if known is None:
        known = _known["directions"][code] = babel_locale(code).text_direction
    return known


def preload_locale_data(code: str) -> None:
    """Load the language's CLDR data now (dates, numbers and names need it; Babel loads it on
    first use): before forking workers, so that each does not load it again."""
    babel_locale(code).character_order  # any data property: Babel loads the whole locale


def html_lang(code: str) -> str:
    """BCP 47 tag for ``lang``/``hreflang`` attributes: ``pt_BR`` → ``pt-BR``."""
    return code.replace("_", "-")


def display_name(code: str) -> str:
    """The language's own name for itself (for language switchers)."""
    if code == PSEUDO_LOCALE:
        return "[Ƥšéûðö]"
    known = _known["names"].get(code)
    if known is None:
        name = babel_locale(code).get_display_name(babel_locale(code)) or code
        known = _known["names"][code] = name[:1].upper() + name[1:]
    return known


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
_PLURAL_SHAPE = re.compile(r"nplurals=[1-9]; plural=[^;\n]+;")


@lru_cache(maxsize=None)
def plural_forms_header(code: str) -> str:
    """The ``Plural-Forms`` header value gettext expects for this locale."""
    locale = babel_locale(code)
    for key in (f"{locale.language}_{locale.territory}", locale.language):
        if key in _GETTEXT_PLURAL_FORMS:
            return _GETTEXT_PLURAL_FORMS[key]
    known = _known["plurals"].get(code)
    if known is None:
        from babel.messages.plurals import get_plural

        plural = get_plural(locale)
        known = _known["plurals"][code] = f"nplurals={plural.num_plurals}; plural={plural.plural_expr};"
    return known


def plural_count(code: str) -> int:
    """How many plural forms the locale's catalogs must carry (their header's ``nplurals``)."""
    found = _NPLURALS.search(plural_forms_header(code))
    assert found is not None  # every header above and Babel's carry one
    return int(found.group(1))

# A catalog header's Language ------------------------------------------------------------------


def _normal_code(code: str) -> str:
    language, _, rest = code.strip().replace("-", "_").partition("_")
    return f"{language.lower()}_{rest.upper()}" if rest else language.lower()


def language_subtag(code: str) -> str:
    """``de`` of ``de``, ``de_DE``, ``de-AT`` or ``DE``."""
    return _normal_code(code).partition("_")[0]


def same_locale(declared: str, locale: str) -> bool:
    """Whether a header's ``Language`` fits the ``locale`` folder: the same code, or (for a
    folder without a region, like ``de``) the same language with a region, as Poedit writes
    ``de_DE`` or ``de-AT``."""
    if _normal_code(declared) == _normal_code(locale):
        return True
    return "_" not in _normal_code(locale) and language_subtag(declared) == language_subtag(locale)


def _header_language(metadata: Mapping[str, str]) -> str | None:
    for key, value in metadata.items():
        if str(key).strip().lower() == "language":
            return str(value).strip()
    return None


def foreign_language(metadata: Mapping[str, str], locale: str) -> str | None:
    """The header's ``Language`` when it names another language than ``locale`` (another
    language subtag), else None (also when the header has none: only a check error).

    Such a catalog is another language's file in the wrong folder (a copy, a misplaced
    download): compiling it would publish that language on this one's pages, and a merge
    would rewrite its header to this locale, hiding the mistake for good.
    """
    declared = _header_language(metadata)
    if declared and language_subtag(declared) != language_subtag(locale):
        return declared
    return None


def foreign_language_hint(
    declared: str, locale: str, file_name: str, configured: Iterable[str] = ()
) -> str:
    """What to do about a catalog whose header names ``declared`` in the ``locale`` folder:
    move it to the folder of that language (a configured locale of it when there is one)."""
    wanted = _normal_code(declared)
    same_language = [code for code in configured if language_subtag(code) == language_subtag(wanted)]
    exact = [code for code in same_language if _normal_code(code) == wanted]
    folder = (exact or same_language or [wanted])[0]
    return (
        f"move it to locales/{folder}/LC_MESSAGES/{file_name} or fix the Language header "
        f"if it really is {locale}"
    )
