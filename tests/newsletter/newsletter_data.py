"""Catalogs for the newsletter tests: the UI strings of templates/newsletter and the first issue.

Written into a ``project`` copy (never into the repository) and compiled by the build itself.
German and Arabic are complete, so both locales are published; the newsletter strings come
from the first issue (``content/newsletters/2026-12.toml``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polib

from pubflow.ingest import ingest
from pubflow.config import load_settings
from pubflow.i18n.checks import max_length
from pubflow.i18n.extract import extract_messages
from pubflow.i18n.pofile import dump_catalog
from pubflow.i18n.states import provenance_comment
from pubflow.ingest.newsletter import PREHEADER_CONTEXT, SUBJECT_CONTEXT
from pubflow.locales import PSEUDO_LOCALE, plural_count, plural_forms_header

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "content" / "sources" / "achieving-relief-with-ketamine-therapy.txt"
ARTICLE = "achieving-relief-with-ketamine-therapy"
ISSUE = "2026-12"
DOMAIN = f"newsletter-{ISSUE}"

SUBJECT = "Three ways to get more from ketamine therapy"
PREHEADER = "How it works, how to prepare, and how to make the relief last."
INTRO = (
    "This month we look at what helps ketamine therapy work — before, during and after a session."
)

UI = {
    "de": {
        "This email was translated by machine and has not been reviewed yet.":
            "Diese E-Mail wurde maschinell übersetzt und noch nicht geprüft.",
        "From the article:": "Aus dem Artikel:",
        "Tip %(number)s": "Tipp %(number)s",
        "Tip %(number)s: %(heading)s": "Tipp %(number)s: %(heading)s",
        "Read the tip": "Zum Tipp",
        "Read the full article": "Den ganzen Artikel lesen",
        "Related reading": "Mehr zum Thema",
        "You are receiving this email because you subscribed to the %(site)s newsletter.":
            "Sie erhalten diese E-Mail, weil Sie den Newsletter von %(site)s abonniert haben.",
        "View in your browser": "Im Browser ansehen",
        "Unsubscribe": "Abmelden",
        "This is the web version of the %(site)s newsletter.":
            "Dies ist die Webversion des Newsletters von %(site)s.",
        "Links in this email": "Links in dieser E-Mail",
    },
    "ar": {
        "This email was translated by machine and has not been reviewed yet.":
            "تُرجمت هذه الرسالة آليًا ولم تُراجع بعد.",
        "From the article:": "من المقال:",
        "Tip %(number)s": "النصيحة %(number)s",
        "Tip %(number)s: %(heading)s": "النصيحة %(number)s: %(heading)s",
        "Read the tip": "اقرأ النصيحة",
        "Read the full article": "اقرأ المقال كاملًا",
        "Related reading": "قراءات ذات صلة",
        "You are receiving this email because you subscribed to the %(site)s newsletter.":
            "تصلك هذه الرسالة لأنك مشترك في النشرة الإخبارية لموقع %(site)s.",
        "View in your browser": "اعرضها في المتصفح",
        "Unsubscribe": "إلغاء الاشتراك",
        "This is the web version of the %(site)s newsletter.":
            "هذه هي النسخة الإلكترونية من النشرة الإخبارية لموقع %(site)s.",
        "Links in this email": "الروابط في هذه الرسالة",
    },
}

NEWSLETTER = {
    "de": {
        SUBJECT: "Drei Wege, mehr aus Ihrer Ketamintherapie herauszuholen",
        PREHEADER: "Wie Ketamin wirkt, wie Sie sich vorbereiten und wie die Linderung anhält.",
        INTRO: "Diesen Monat sehen wir uns an, was zum Erfolg einer Ketamintherapie beiträgt – "
        "vor, während und nach einer Sitzung.",
    },
    "ar": {
        SUBJECT: "ثلاث طرق للاستفادة أكثر من العلاج بالكيتامين",
        PREHEADER: "كيف يعمل، وكيف تستعد له، وكيف تجعل الراحة تدوم.",
        INTRO: "نتناول هذا الشهر ما يساعد العلاج بالكيتامين على تحقيق نتائجه، قبل الجلسة وأثناءها وبعدها.",
    },
}

CONTEXTS = {SUBJECT: SUBJECT_CONTEXT, PREHEADER: PREHEADER_CONTEXT}


def write_po(
    path: Path,
    locale: str,
    entries: list[tuple[str | None, str, str]],
    *,
    machine: str | None = None,
    plurals: dict[str, tuple[str, dict[int, str]]] | None = None,
) -> None:
    """A reviewed catalog: (msgctxt, msgid, msgstr) each; python-format where %(…)s appears.

    ``machine``: mark every entry as a machine suggestion of that backend (fuzzy + provenance).
    ``plurals``: msgid → (msgid_plural, forms) for plural entries.
    """
    po = polib.POFile(wrapwidth=79, encoding="utf-8")
    po.metadata = {
        "Project-Id-Version": "pubflow tests",
        "Language": locale,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": plural_forms_header(locale),
    }
    for msgctxt, msgid, msgstr in entries:
        flags = ["python-format"] if "%(" in msgid else []
        entry = polib.POEntry(msgctxt=msgctxt, msgid=msgid, msgstr=msgstr, flags=flags)
        if plurals and msgid in plurals:
            entry.msgid_plural, entry.msgstr_plural = plurals[msgid][0], plurals[msgid][1]
            entry.msgstr = ""
        if machine:
            entry.flags.append("fuzzy")
            entry.tcomment = provenance_comment(machine, dt.date(2026, 11, 25))
        po.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    # pubflow's own writer: polib's save() splits strings at U+2028 and loses characters.
    path.write_text(dump_catalog(po), encoding="utf-8")


def po_file(root: Path, locale: str, domain: str) -> Path:
    return root / "locales" / locale / "LC_MESSAGES" / f"{domain}.po"


def write_newsletter_po(root: Path, locale: str, overrides: dict[str, str] | None = None) -> Path:
    """The issue's catalog for ``locale`` (``overrides``: msgid → msgstr replacing ours)."""
    texts = {**NEWSLETTER[locale], **(overrides or {})}
    path = po_file(root, locale, DOMAIN)
    write_po(path, locale, [(CONTEXTS.get(msgid), msgid, text) for msgid, text in texts.items()])
    return path


def write_pseudo_catalogs(root: Path) -> None:
    """Pseudo-translations (machine suggestions of the ``pseudo`` backend) of every domain."""
    # The machine package first: importing pubflow.i18n.pseudo on its own hits a circular
    # import between pseudo and machine.prefill (not ours; reported).
    import pubflow.i18n.machine  # noqa: F401
    from pubflow.i18n.pseudo import pseudolocalize

    for domain, template in extract_messages(load_settings(root)).items():
        entries, plurals = [], {}
        for entry in template:
            limit = max_length(entry.msgctxt)
            text = pseudolocalize(entry.msgid, max_length=limit)
            entries.append((entry.msgctxt, entry.msgid, text))
            if entry.msgid_plural:
                plurals[entry.msgid] = (
                    entry.msgid_plural,
                    {0: text, 1: pseudolocalize(entry.msgid_plural, max_length=limit)},
                )
        write_po(po_file(root, PSEUDO_LOCALE, domain), PSEUDO_LOCALE, entries, machine="pseudo", plurals=plurals)


def _complete_from_template(root: Path, locale: str, domain: str) -> None:
    """Add the template's strings the catalog lacks, reviewed as the source text: coverage
    counts every template string, and the emails show only ours (the rest are the site's)."""
    template = root / "locales" / f"{domain}.pot"
    if not template.is_file():
        return
    path = po_file(root, locale, domain)
    po = polib.pofile(str(path), wrapwidth=79)
    present = {(entry.msgctxt, entry.msgid) for entry in po}
    count = plural_count(locale)
    for entry in polib.pofile(str(template)):
        if entry.obsolete or (entry.msgctxt, entry.msgid) in present:
            continue
        added = polib.POEntry(msgctxt=entry.msgctxt, msgid=entry.msgid, flags=list(entry.flags))
        if entry.msgid_plural:
            added.msgid_plural = entry.msgid_plural
            added.msgstr_plural = {i: entry.msgid if i == 0 else entry.msgid_plural for i in range(count)}
        else:
            added.msgstr = entry.msgid
        po.append(added)
    path.write_text(dump_catalog(po), encoding="utf-8")


def prepare(root: Path) -> Path:
    """Make ``root`` (a ``project`` copy) build the first issue in en, de, ar and en_XA (QA)."""
    articles = root / "content" / "articles"
    if not (articles / f"{ARTICLE}.md").is_file():
        ingest([SEED], articles, date=dt.date(2026, 11, 25), lang="en")
    for locale, strings in UI.items():
        write_po(po_file(root, locale, "messages"), locale, [(None, k, v) for k, v in strings.items()])
        write_newsletter_po(root, locale)
        _complete_from_template(root, locale, "messages")
    write_pseudo_catalogs(root)
    # pt_BR's article is half translated (50 %): a threshold above that keeps it unpublished,
    # which the tests of skipped locales rely on.
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if "coverage_threshold" not in text:
        text = text.replace("[tool.pubflow]\n", "[tool.pubflow]\ncoverage_threshold = 60\n", 1)
        pyproject.write_text(text, encoding="utf-8")
    return root
