"""The translatable strings of newsletter issues: one gettext domain per issue.

Domain ``newsletter-<issue-id>``; in file order: the subject (``msgctxt "newsletter subject (max
80 characters)"``), the preheader (``msgctxt "newsletter preheader (max 140 characters)"``), the
intro paragraphs and the call-to-action label. Each entry carries an extracted comment saying
what it is and where it shows, and a reference ``content/newsletters/<id>.toml:<line>``.
The length limits live in the contexts, so ``pubflow check`` enforces them for translators.

Registered with :func:`pubflow.i18n.extract.register_content_extractor`.
"""

from __future__ import annotations

from pathlib import Path

import polib

from pubflow.config import Settings
from pubflow.errors import CatalogError, IngestError
from pubflow.i18n.placeholders import literal_text_flags
from pubflow.i18n.extract import UnreadableSources
from pubflow.ingest.newsletter import (
    PREHEADER_CONTEXT,
    SUBJECT_CONTEXT,
    IssueSource,
    issue_domain,
    read_issue,
)


def _reference(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def issue_entries(source: IssueSource, root: Path) -> list[polib.POEntry]:
    """The entries of one issue, in the order they appear in its file."""
    issue = source.issue
    reference = _reference(source.path, root)

    def entry(msgid: str, key: str, comment: str, context: str | None = None) -> polib.POEntry:
        line = source.line(key)
        return polib.POEntry(
            msgid=msgid,
            msgstr="",
            msgctxt=context,
            comment=comment,
            occurrences=[(reference, str(line) if line else "")],
            flags=literal_text_flags(msgid),  # the issue's copy is shown as written
        )

    found = [
        entry(
            issue.subject,
            "subject",
            "email subject line: one line, at most 80 characters (inbox lists cut it earlier)",
            SUBJECT_CONTEXT,
        ),
        entry(
            issue.preheader,
            "preheader",
            "preheader: the preview text shown after the subject in inbox lists; one line, "
            "at most 140 characters",
            PREHEADER_CONTEXT,
        ),
    ]
    for number, paragraph in enumerate(issue.intro, start=1):
        found.append(entry(paragraph, f"intro.{number}", f"intro, paragraph {number}"))
    if issue.cta is not None:
        found.append(entry(issue.cta.label, "cta.label", "call-to-action button label (keep it short)"))
    # One entry per msgctxt + msgid: a repeated paragraph gets both references.
    unique: dict[tuple[str | None, str], polib.POEntry] = {}
    for item in found:
        key = (item.msgctxt, item.msgid)
        if key in unique:
            unique[key].occurrences.extend(item.occurrences)
        else:
            unique[key] = item
    return list(unique.values())


def newsletter_messages(settings: Settings) -> dict[str, list[polib.POEntry]]:
    """Domain → entries for every ``content/newsletters/*.toml``."""
    folder = settings.newsletters_path
    if not folder.is_dir():
        return {}
    domains: dict[str, list[polib.POEntry]] = {}
    errors: list[CatalogError] = []
    kept: set[str] = set()
    for path in sorted(folder.glob("*.toml")):
        try:
            source = read_issue(path)
        except IngestError as exc:
            # One issue being drafted with a typo must not hold up every catalog: its own
            # template and catalogs stay as they are, the others are extracted and merged.
            errors.append(CatalogError(exc.message, path=exc.path, line=exc.line, hint=exc.hint))
            kept.add(issue_domain(path.stem))
            continue
        domains[source.domain] = issue_entries(source, settings.root)
    if errors:
        raise UnreadableSources(errors, domains, kept)
    return domains
