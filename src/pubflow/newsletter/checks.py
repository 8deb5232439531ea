"""Checks a locale's newsletter must pass before anything of it is written.

Each check gives :class:`Finding` objects; an ``error`` stops the locale (nothing of it is
written, other locales still build), a ``warning`` is reported in the manifest and the CLI.

* ``size``: the HTML at most :data:`SIZE_LIMIT` bytes (Gmail clips larger messages and hides
  the rest, unsubscribe link included), a warning above :data:`SIZE_WARNING`;
* ``links``/``images``/``utm``: see :func:`pubflow.newsletter.links.check_links`;
* ``header``: subject and preheader one line (no CR, LF, U+2028, U+0085, …: header injection)
  and within the length their catalog context sets;
* ``translation``: a subject or preheader whose translation was refused by the catalog checks
  stops the locale, with the ``.po`` line (sending the source-language subject silently would
  be worse); other refused or escaped translations are warnings (the source text is shown);
* ``unsubscribe``: the unsubscribe link is in both parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pubflow.config import Settings
from pubflow.errors import CatalogError
from pubflow.i18n.pofile import po_path, read_catalog
from pubflow.i18n.states import State
from pubflow.render.shown import RenderProblem, Shown

Severity = Literal["error", "warning"]

SIZE_LIMIT = 102 * 1024
"""Bytes of HTML above which Gmail clips the message ("[Message clipped]")."""
SIZE_WARNING = 90 * 1024

CHECK_NAMES = (
    "mjml", "size", "links", "images", "utm", "header", "translation", "unsubscribe", "related",
)


@dataclass(frozen=True)
class Finding:
    """One check result worth reporting."""

    severity: Severity
    check: str
    message: str
    path: Path | None = None
    line: int | None = None

    def describe(self, *, severity: bool = True) -> str:
        """``path:line: error: check: message`` (``severity=False`` leaves the level out)."""
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        level = f"{self.severity}: " if severity else ""
        return f"{where}{level}{self.check}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "check": self.check,
            "message": self.message,
            "path": str(self.path) if self.path is not None else None,
            "line": self.line,
        }


def check_size(html: str, name: str = "email.html") -> list[Finding]:
    size = len(html.encode("utf-8"))
    if size > SIZE_LIMIT:
        return [
            Finding(
                "error",
                "size",
                f"{name} is {size:,} bytes, above the {SIZE_LIMIT:,} where Gmail clips messages "
                "(shorten the intro, feature fewer tips or related articles)",
            )
        ]
    if size > SIZE_WARNING:
        return [Finding("warning", "size", f"{name} is {size:,} bytes, close to Gmail's {SIZE_LIMIT:,}-byte clipping")]
    return []


def check_html(html: str, *, name: str, unsubscribe_url: str | None, tracked: bool) -> list[Finding]:
    """Links, images and UTM tags of one HTML output (``tracked``: the email, not the archive)."""
    # Imported here (as in check_text_part): the link checker and its HTML scanner are ~6 ms of
    # every build process's start, and a build with nothing to render never checks a link.
    from pubflow.newsletter.links import check_links

    untracked = [unsubscribe_url] if unsubscribe_url else []
    findings = [
        Finding(issue.severity, issue.check, f"{name} line {issue.line}: {issue.message}")  # type: ignore[arg-type]
        for issue in check_links(html, untracked=untracked, require_utm=tracked)
    ]
    if unsubscribe_url is not None and unsubscribe_url not in html:
        findings.append(Finding("error", "unsubscribe", f"{name} has no unsubscribe link"))
    return findings


def check_text_part(text: str, urls: Iterable[str], *, unsubscribe_url: str | None) -> list[Finding]:
    """The footnoted URLs of the plain-text part: absolute https or mailto; unsubscribe present."""
    from pubflow.newsletter.links import is_https, is_mailto

    findings: list[Finding] = []
    for url in urls:
        if not (is_https(url) or is_mailto(url)):
            findings.append(Finding("error", "links", f"email.txt link {url!r} is not an absolute https or mailto URL"))
    if unsubscribe_url is not None and unsubscribe_url not in text:
        findings.append(Finding("error", "unsubscribe", "email.txt has no unsubscribe link"))
    return findings


def _refused_entry(
    settings: Settings, locale: str, domain: str, msgid: str, context: str
) -> tuple[Path | None, int | None, str]:
    """Where the refused translation sits in its ``.po`` and what the catalog checks say."""
    from pubflow.i18n.checks import EntryText, check_entry, for_domain

    path = po_path(settings, locale, domain)
    shown = path.relative_to(settings.root) if path.is_relative_to(settings.root) else path
    try:
        catalog = read_catalog(path)
    except CatalogError:
        return shown, None, "the catalog cannot be read"
    entry = catalog.find(msgid, msgctxt=context)
    if entry is None:
        return shown, None, "the translation fails a catalog check"
    found = check_entry(
        for_domain(EntryText.from_polib(entry), domain),
        locale=locale,
        path=shown,
        source_locale=settings.source_locale,
    )
    errors = [d for d in found if d.is_error]
    reason = f"{errors[0].check}: {errors[0].message}" if errors else "the translation fails a catalog check"
    return shown, entry.linenum, reason


def check_header_text(
    settings: Settings,
    *,
    locale: str,
    domain: str,
    field: str,
    msgid: str,
    context: str,
    shown: Shown,
) -> list[Finding]:
    """Subject or preheader: refused translations, line breaks, control characters, length."""
    # The catalog checkers are imported where an issue renders, not with the module: a build
    # that finds every newsletter up to date never needs them (~15 ms of its start).
    from pubflow.i18n.checks import ENCODED_WORD, LINE_BREAKS, max_length

    findings: list[Finding] = []
    if shown.state is State.INVALID:
        path, line, reason = _refused_entry(settings, locale, domain, msgid, context)
        findings.append(
            Finding(
                "error",
                "translation",
                f"the {locale} {field} translation was refused ({reason}); fix it in the catalog "
                f"and run `pubflow check --locale {locale}`",
                path,
                line,
            )
        )
    elif shown.fallback and locale != settings.source_locale:
        findings.append(
            Finding("warning", "translation", f"the {field} is not translated into {locale}: the source text is used")
        )
    text = shown.text
    broken = next((char for char in text if char in LINE_BREAKS), None)
    if broken is not None:
        findings.append(
            Finding("error", "header", f"the {field} contains a line break (U+{ord(broken):04X}): refused, it could inject mail headers")
        )
    if ENCODED_WORD.search(text):
        findings.append(
            Finding(
                "error",
                "header",
                f"the {field} contains an encoded word (=?…?=): refused, mail programs would "
                "decode it, possibly into new header lines",
            )
        )
    control = next((char for char in text if ord(char) < 0x20 and char not in LINE_BREAKS), None)
    if control is not None:
        findings.append(Finding("error", "header", f"the {field} contains the control character U+{ord(control):04X}"))
    limit = max_length(context)
    if limit is not None and len(text) > limit:
        findings.append(
            Finding("error", "header", f"the {field} is {len(text)} characters long, more than {limit}")
        )
    return findings


def render_problem_findings(problems: Sequence[RenderProblem]) -> list[Finding]:
    """Translations the environment refused or escaped: warnings (a safe text was shown)."""
    return [Finding("warning", "translation", problem.describe()) for problem in problems]


def errors_of(findings: Iterable[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity == "error"]
