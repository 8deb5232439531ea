"""What a newsletter template gets: the issue's strings, tips and related articles of one locale.

Everything a template prints is already localized (through the catalogs, by the locale's
:class:`~pubflow.render.environment.LocaleEnvironment`) and every link is already final:
absolute, pointing at the locale's pages, and UTM-tagged for the email (``utm_content`` names
the slot: ``header``, ``article``, ``tip-1``, ``related-3``, ``cta``, ``view-in-browser``).
The web archive copy gets the same content with untagged links and no unsubscribe link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pubflow.deliver.links import UNSUBSCRIBE_TOKEN_PLACEHOLDER, unsubscribe_link
from pubflow.ingest.newsletter import PREHEADER_CONTEXT, SUBJECT_CONTEXT, LoadedIssue
from pubflow.model import is_image_url
from pubflow.newsletter.links import add_utm, is_https
from pubflow.render.publishing import PublishPlan, absolute_url, page_dir
from pubflow.render.shown import Shown, TranslationRecord

if TYPE_CHECKING:
    from pubflow.render.environment import LocaleEnvironment

EXCERPT_LENGTH = 160
"""Characters of a tip's text shown in the email (cut at a word boundary, then "…")."""

FONT_STACK = "-apple-system, 'Segoe UI', Roboto, 'Noto Sans', Helvetica, Arial, sans-serif"
"""System fonts only: nothing is fetched when the email opens (privacy, speed, offline tests)."""

_TRAILING = " \t,;:—–-(/"


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """``text`` cut to about ``limit`` characters at a word boundary, ending in "…".

    Text that fits is returned whole. Scripts without spaces are cut at ``limit``.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(_TRAILING + ".") + "…"


@dataclass(frozen=True)
class LinkSlot:
    """A link of the email and its footnote number in the plain-text part."""

    url: str
    note: int


class Footnotes:
    """Numbers links in order of appearance; the same URL keeps its number."""

    def __init__(self) -> None:
        self._urls: list[str] = []

    def add(self, url: str) -> LinkSlot:
        if url not in self._urls:
            self._urls.append(url)
        return LinkSlot(url, self._urls.index(url) + 1)

    def items(self) -> list[tuple[int, str]]:
        return [(index, url) for index, url in enumerate(self._urls, start=1)]


@dataclass(frozen=True)
class TipItem:
    number: int  # the tip's number in the article (its anchor on the page)
    heading: Shown
    excerpt: Shown
    link: LinkSlot
    anchor: str


@dataclass(frozen=True)
class RelatedItem:
    number: int
    slug: str
    title: Shown
    link: LinkSlot | None  # None when the article has no page on the site
    hreflang: str | None  # set when the link leads to another language's page
    image: str | None  # absolute https URL or None (a placeholder is shown)
    initial: str  # first letter of the title, shown on the placeholder of a missing image


@dataclass
class IssueContent:
    """The template context of one locale (see the module doc)."""

    context: dict[str, Any]
    subject: Shown
    preheader: Shown
    footnotes: Footnotes
    unsubscribe_url: str | None
    record: TranslationRecord  # every lookup made to build the context (states, problems)
    warnings: list[str] = field(default_factory=list)


def email_image(image: str | None) -> str | None:
    """An article's image as an email may show it (absolute https), or None (a placeholder).

    Articles hold only absolute http(s) images (:func:`pubflow.model.check_image`); mail
    clients block or flag plain-http images, so those get the placeholder too."""
    if not image:
        return None
    value = image.strip()
    return value if is_image_url(value) and is_https(value) else None


def archive_path(locale: str, issue_id: str) -> str:
    """Site-relative folder of the web archive copy: ``de/newsletter/2026-12/``."""
    return page_dir(locale, "newsletter") + f"{issue_id}/"


def build_content(
    env: LocaleEnvironment,
    loaded: LoadedIssue,
    plan: PublishPlan,
    *,
    archive: bool = False,
) -> IssueContent:
    """The context for ``email.mjml``/``email.txt`` (or ``archive.mjml`` with ``archive``).

    Every lookup is recorded in :attr:`IssueContent.record`: the templates get finished
    strings, so the notices (machine-translated, untranslated) must count these lookups too.
    """
    with env.recording() as record:
        content = _build(env, loaded, plan, archive=archive)
    content.record = record
    return content


def _build(env: LocaleEnvironment, loaded: LoadedIssue, plan: PublishPlan, *, archive: bool) -> IssueContent:
    settings, locale = env.settings, env.locale
    issue = loaded.issue
    article = loaded.article.article
    domain = loaded.source.domain
    notes = Footnotes()
    warnings: list[str] = []

    def link(url: str, slot: str) -> LinkSlot:
        final = url if archive else add_utm(url, campaign=issue.id, content=slot)
        return notes.add(final)

    def content(msgid: str, source_domain: str, context: str | None = None) -> Shown:
        return env.lookup(msgid, domain=source_domain, context=context)

    subject = content(issue.subject, domain, SUBJECT_CONTEXT)
    preheader = content(issue.preheader, domain, PREHEADER_CONTEXT)
    article_url = absolute_url(settings, page_dir(locale, article.slug))

    site_link = link(absolute_url(settings, page_dir(locale)), "header")
    article_link = link(article_url, "article")
    tips: list[TipItem] = []
    for position, number in enumerate(loaded.tip_numbers, start=1):
        tip = article.tips[number - 1]
        heading = content(tip.heading, article.slug)
        shown = [content(paragraph, article.slug) for paragraph in tip.paragraphs]
        # The excerpt is in one language: the first paragraph's (fallbacks are whole entries).
        first = shown[0]
        same_language = [s.text for s in shown if s.lang == first.lang]
        text = excerpt(" ".join(same_language))
        tips.append(
            TipItem(
                number=number,
                heading=heading,
                excerpt=first._replace(text=text),
                link=link(f"{article_url}#tip-{number}", f"tip-{position}"),
                anchor=f"tip-{number}",
            )
        )

    if issue.cta is not None:
        cta_label: Any = content(issue.cta.label, domain)
        cta_url = issue.cta.url.replace("{locale}", locale)
    else:
        cta_label = None  # the template shows its own "Read the full article"
        cta_url = article_url
    # Links are numbered in reading order (the plain-text footnotes): the button comes first.
    cta_link = link(cta_url, "cta")

    related: list[RelatedItem] = []
    unlinked: list[str] = []
    own = {item.slug: item for item in article.related}
    for position, slug in enumerate(loaded.related_slugs, start=1):
        canonical = loaded.related_articles.get(slug)
        if slug in own:
            item = own[slug]
            title = content(item.title, article.slug)
            image = item.image or (canonical.article.image if canonical else None)
        else:
            assert canonical is not None  # load_issue guarantees one of the two
            title = content(canonical.article.title, slug)
            image = canonical.article.image
        target: str | None = None
        if plan.is_built(locale, slug):
            target = locale
        elif plan.is_published(plan.source_locale, slug):
            target = plan.source_locale
        if target is None:
            unlinked.append(slug)
        related.append(
            RelatedItem(
                number=position,
                slug=slug,
                title=title,
                link=link(absolute_url(settings, page_dir(target, slug)), f"related-{position}")
                if target
                else None,
                hreflang=target.replace("_", "-") if target and target != locale else None,
                image=email_image(image),
                initial=next((c for c in title.text if c.isalpha()), "•").upper(),
            )
        )

    if unlinked:
        named = ", ".join(unlinked[:3]) + (f" and {len(unlinked) - 3} more" if len(unlinked) > 3 else "")
        warnings.append(
            f"{len(unlinked)} related article(s) have no page on the site and are listed "
            f"without a link ({named}): ingest them to link them"
        )

    archive_url = absolute_url(settings, archive_path(locale, issue.id))
    view_link = None if archive else link(archive_url, "view-in-browser")
    unsubscribe_url = None if archive else unsubscribe_link(
        settings.unsubscribe_base_url, UNSUBSCRIBE_TOKEN_PLACEHOLDER
    )
    unsubscribe = notes.add(unsubscribe_url) if unsubscribe_url else None

    rtl = env.direction == "rtl"
    context: dict[str, Any] = {
        "archive": archive,
        "issue": issue,
        "issue_date": env.format_date(issue.date, "long"),
        "newsletter_domain": domain,
        "content_domain": article.slug,
        "subject": subject,
        "preheader": preheader,
        "intro": [content(paragraph, domain) for paragraph in issue.intro],
        "article": {"title": content(article.title, article.slug), "link": article_link},
        "tips": tips,
        "related": related,
        "cta": {"label": cta_label, "link": cta_link},
        "site": {"name": settings.site_name, "link": site_link},
        "view_in_browser": view_link,
        "unsubscribe": unsubscribe,
        "footnotes": notes,
        "fonts": FONT_STACK,
        "start": "right" if rtl else "left",
        "end": "left" if rtl else "right",
        "arrow": "←" if rtl else "→",
        "canonical": archive_url,
        "noindex": not plan.is_published(locale, article.slug),
    }
    return IssueContent(
        context=context,
        subject=subject,
        preheader=preheader,
        footnotes=notes,
        unsubscribe_url=unsubscribe_url,
        record=TranslationRecord(),
        warnings=warnings,
    )
