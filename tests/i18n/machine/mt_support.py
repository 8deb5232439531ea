"""Shared data and helpers of the machine pre-fill tests (imported by conftest and tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polib

from pubflow.config import Settings, load_settings
from pubflow.i18n.pofile import po_path, read_catalog, write_catalog
from pubflow.locales import plural_forms_header

SECRET_ENV = (
    "PUBFLOW_DEEPL_API_KEY",
    "PUBFLOW_MICROSOFT_API_KEY",
    "PUBFLOW_MICROSOFT_REGION",
    "PUBFLOW_LIBRE_API_KEY",
    "PUBFLOW_MYMEMORY_EMAIL",
    "PUBFLOW_MT_BACKEND",
    "PUBFLOW_MT_BASE_URL",
    "PUBFLOW_ROOT",
)

# Entries of the "guide" domain: (msgctxt, msgid, msgid_plural, state) — state says what the
# entry holds before a run; only "missing" ones may be filled.
GUIDE: list[dict[str, Any]] = [
    {"msgid": "Hello %(name)s, welcome!"},
    {"msgid": 'Read <a href="https://example.org/docs">the guide</a> before you start.'},
    {"msgid": "Next step: "},
    {"msgid": "Read more"},
    {"msgid": "%(num)d file", "msgid_plural": "%(num)d files"},
    {"msgctxt": "newsletter subject (max 40 characters)", "msgid": "Your weekly tips"},
    {"msgid": "Cancel", "msgstr": "REVIEWED Cancel"},
    {"msgid": "Old wording changed", "msgstr": "STALE text", "fuzzy": True,
     "previous_msgid": "Old wording"},
    {"msgid": "Suggested already", "msgstr": "MACHINE text", "fuzzy": True,
     "tcomment": "machine-translated: google 2026-01-01"},
    {"msgid": "Gone string", "msgstr": "OBSOLETE text", "obsolete": True},
]  # fmt: skip
MESSAGES: list[dict[str, Any]] = [
    {"msgid": "Read more"},  # same text as in "guide": sent once per language pair
    {"msgid": "Subscribe to {list}"},
]
DOMAINS = {"guide": GUIDE, "messages": MESSAGES}
EMPTY_IN_GUIDE = 6  # entries of GUIDE that are missing
DISTINCT_TEXTS = 8  # distinct source texts per language: plural counts twice, "Read more" once


def make_catalog(locale: str, entries: list[dict[str, Any]]) -> polib.POFile:
    """A catalog for ``locale`` holding ``entries`` (plural forms sized for the locale)."""
    po = polib.POFile(wrapwidth=79)
    po.metadata = {
        "Project-Id-Version": "pubflow",
        "Language": locale,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": plural_forms_header(locale),
    }
    count = int(plural_forms_header(locale).split(";")[0].split("=")[1])
    for spec in entries:
        entry = polib.POEntry(
            msgid=spec["msgid"],
            msgctxt=spec.get("msgctxt"),
            msgstr=spec.get("msgstr", "") if "msgid_plural" not in spec else "",
            obsolete=spec.get("obsolete", False),
            tcomment=spec.get("tcomment", ""),
            comment=spec.get("comment", ""),
            occurrences=[("content/articles/demo.md", "3")] if not spec.get("obsolete") else [],
        )
        if "msgid_plural" in spec:
            entry.msgid_plural = spec["msgid_plural"]
            entry.msgstr_plural = {index: spec.get("msgstr", "") for index in range(count)}
        if spec.get("fuzzy"):
            entry.flags.append("fuzzy")
        if spec.get("previous_msgid"):
            entry.previous_msgid = spec["previous_msgid"]
        po.append(entry)
    return po


@dataclass
class MtProject:
    """A throw-away project root with catalogs for ``locales``."""

    root: Path
    locales: tuple[str, ...]

    def settings(self, **overrides: Any) -> Settings:
        defaults: dict[str, Any] = {
            "mt_timeout": 2.0,
            "mt_retries": 2,
            "mt_backoff": 0.01,
            "mt_requests_per_second": 1000.0,
            "mt_concurrency": 4,
        }
        defaults.update(overrides)
        return load_settings(self.root, **defaults)

    def path(self, locale: str, domain: str) -> Path:
        return po_path(self.settings(), locale, domain)

    def catalog(self, locale: str, domain: str) -> polib.POFile:
        return read_catalog(self.path(locale, domain))

    def entry(self, locale: str, domain: str, msgid: str) -> polib.POEntry:
        found = [e for e in self.catalog(locale, domain) if e.msgid == msgid]
        assert len(found) == 1, msgid
        return found[0]

    def snapshot(self) -> dict[Path, bytes]:
        return {path: path.read_bytes() for path in sorted(self.root.rglob("*.po"))}


def write_project(root: Path, locales: tuple[str, ...], domains: dict[str, list[dict[str, Any]]]) -> MtProject:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        "[tool.pubflow]\n"
        'source_locale = "en"\n'
        f"locales = [{', '.join(repr(code).replace(chr(39), chr(34)) for code in locales)}]\n",
        encoding="utf-8",
    )
    project = MtProject(root, locales)
    settings = load_settings(root)
    for locale in locales:
        for domain, entries in domains.items():
            write_catalog(make_catalog(locale, entries), po_path(settings, locale, domain))
    return project


