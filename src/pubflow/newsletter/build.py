"""Build a newsletter issue for every published locale: MJML, HTML, plain text, .eml, web copy.

:func:`render_newsletter` works like the site build:

1. read and check the issue file and its article, compile catalogs that are out of date, and
   decide the locales: those where the featured article is published (the source locale
   always; the pseudo-locale too, for QA, never advertised);
2. per locale, render everything in memory — Jinja2 → MJML (checked against an allow-list of
   MJML tags and attributes, problems named by template and line) → HTML (mjml-python), the
   plain-text part, the ``.eml`` and the web archive copy — and run every check
   (:mod:`pubflow.newsletter.checks`). An error stops that locale only; nothing of it is written
   and files of an earlier good build stay as they were;
3. write each file of the locales that passed atomically, only when its bytes changed, then
   ``dist/newsletter/<issue>/manifest.json`` (files, sizes, check results per locale).

Outputs::

    dist/newsletter/<issue>/<locale>/email.mjml   (for review)
    dist/newsletter/<issue>/<locale>/email.html
    dist/newsletter/<issue>/<locale>/email.txt
    dist/newsletter/<issue>/<locale>/email.eml    (generic: sending fills in the unsubscribe token)
    dist/site/<locale>/newsletter/<issue>/index.html   (web archive: the view-in-browser target)
    dist/newsletter/<issue>/manifest.json
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pubflow.config import Settings
from pubflow.deliver.links import UNSUBSCRIBE_TOKEN_PLACEHOLDER
from pubflow.errors import PubflowError, RenderError
from pubflow.fsutil import atomic_write_bytes
from pubflow.i18n.compile import CompileReport, ensure_compiled
from pubflow.i18n.pofile import po_path
from pubflow.ingest.newsletter import PREHEADER_CONTEXT, SUBJECT_CONTEXT, LoadedIssue, load_issue
from pubflow.locales import PSEUDO_LOCALE, html_lang
from pubflow.newsletter.checks import (
    CHECK_NAMES,
    Finding,
    check_header_text,
    check_html,
    check_size,
    check_text_part,
    errors_of,
    render_problem_findings,
)
from pubflow.newsletter.content import archive_path, build_content
from pubflow.newsletter.export import EmailHeaders, build_email
from pubflow.newsletter.mjml_check import MjmlProblem, check_mjml, compile_mjml
from pubflow.newsletter.plaintext import format_plain_text
from pubflow.newsletter.trace import trace_render
from pubflow.render.environment import UI_DOMAIN, LocaleEnvironment, Notice, TranslationRecord
from pubflow.render.publishing import PublishPlan, Skipped, plan_publication, requested_locales

ProgressCallback = Callable[[int, int, str], None]
"""``progress(done, total, what)``: called after each locale is rendered, checked and written."""

EMAIL_TEMPLATE = "newsletter/email.mjml"
TEXT_TEMPLATE = "newsletter/email.txt"
ARCHIVE_TEMPLATE = "newsletter/archive.mjml"
MANIFEST_NAME = "manifest.json"
EMAIL_FILES = ("email.mjml", "email.html", "email.txt", "email.eml")

Status = Literal["built", "failed"]


@dataclass(frozen=True)
class OutputFile:
    """One written (or unchanged) output of a locale."""

    name: str  # "email.html", …, "archive"
    path: Path
    size: int
    sha256: str
    written: bool


@dataclass
class LocaleResult:
    """What happened to one locale: built (with warnings) or failed (with the errors)."""

    locale: str
    status: Status
    files: list[OutputFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    subject: str | None = None
    error: PubflowError | None = None

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def errors(self) -> list[Finding]:
        return errors_of(self.findings)

    def file(self, name: str) -> OutputFile:
        for output in self.files:
            if output.name == name:
                return output
        raise KeyError(name)

    def describe_failure(self) -> str:
        """One line per error (for the CLI and flow logs)."""
        if self.error is not None:
            return f"{self.locale}: {self.error.describe()}"
        return "\n".join(f"{self.locale}: {finding.describe()}" for finding in self.errors)


@dataclass
class NewsletterReport:
    """The result of one build of one issue."""

    issue_id: str
    out_dir: Path
    manifest_path: Path
    locales: list[LocaleResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def built(self) -> list[LocaleResult]:
        return [result for result in self.locales if result.status == "built"]

    @property
    def failed(self) -> list[LocaleResult]:
        return [result for result in self.locales if result.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def written(self) -> list[Path]:
        return [f.path for result in self.locales for f in result.files if f.written]

    @property
    def unchanged(self) -> list[Path]:
        return [f.path for result in self.locales for f in result.files if not f.written]

    def result(self, locale: str) -> LocaleResult:
        for result in self.locales:
            if result.locale == locale:
                return result
        raise KeyError(locale)

    def summary(self) -> str:
        """One line for humans and Prefect artifacts."""
        warnings = sum(len(result.warnings) for result in self.locales)
        return (
            f"newsletter {self.issue_id}: {len(self.built)} locales built, {len(self.failed)} failed, "
            f"{len(self.skipped)} not published; {len(self.written)} files written, "
            f"{len(self.unchanged)} unchanged; {warnings} warnings → {self.out_dir}"
        )


# Rendering one locale ---------------------------------------------------------------------------


@dataclass
class _Rendered:
    outputs: dict[str, tuple[Path, bytes]]  # name → (path, bytes)
    findings: list[Finding]
    subject: str


class _LocaleFailed(Exception):
    """Errors found while building one locale (the locale is left out of the build)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings[0].describe() if findings else "failed")
        self.findings = findings


def _template_path(env: LocaleEnvironment, name: str) -> Path:
    for folder in env.template_dirs:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return env.template_dirs[0] / name


def _mjml_findings(
    env: LocaleEnvironment,
    name: str,
    context: dict[str, Any],
    notices: frozenset[Notice],
    problems: list[MjmlProblem],
) -> list[Finding]:
    """MJML problems as findings that name the template file and line they come from."""
    settings = env.settings
    with env.recording():
        # The same context LocaleEnvironment.render_once passes (its per-render globals, when
        # the Jinja environment is shared between locales, plus ours).
        extra = getattr(env, "globals", {})
        trace = trace_render(env.jinja, name, {**extra, **context, "notices": notices})
    findings: list[Finding] = []
    for problem in problems:
        where = trace.locate(problem.offset)
        path: Path = _template_path(env, name)
        line: int | None = None
        if where is not None:
            template, filename, line = where
            path = Path(filename) if filename else _template_path(env, template)
        shown = path.relative_to(settings.root) if path.is_relative_to(settings.root) else path
        findings.append(
            Finding(
                "error",
                "mjml",
                f"{problem.message} (locale {env.locale}; line {problem.line} of the generated MJML)",
                shown,
                line,
            )
        )
    return findings


def _untranslated(env: LocaleEnvironment, record: TranslationRecord, domain: str) -> list[Finding]:
    """One warning when some of the issue's own strings fall back to the source language."""
    if env.locale == env.settings.source_locale:
        return []
    missing = sorted(
        {m.msgid for m in record.shown if m.domain == domain and m.fallback and m.context is None}
    )
    if not missing:
        return []
    return [
        Finding(
            "warning",
            "translation",
            f"{len(missing)} of the issue's strings are not translated into {env.locale} and "
            f"are shown in the source language (first: {missing[0][:60]!r})",
        )
    ]


def _render(
    env: LocaleEnvironment, name: str, context: dict[str, Any], looked_up: TranslationRecord
) -> tuple[str, frozenset[Notice], TranslationRecord]:
    """Render until the notices are stable, counting the lookups made for the context too.

    (What :meth:`LocaleEnvironment.render` does, plus the lookups of ``looked_up``: the
    context holds finished strings, so the template alone would not see their states.)
    """
    notices = looked_up.notices()
    for _ in range(len(Notice) + 1):
        text, record = env.render_once(name, context, notices)
        wanted = notices | record.notices()
        if wanted == notices:
            break
        notices = wanted
    record.merge(looked_up)
    return text, notices, record


def _render_mjml(
    env: LocaleEnvironment,
    name: str,
    context: dict[str, Any],
    looked_up: TranslationRecord,
    domain: str | None = None,
) -> tuple[str, str, list[Finding]]:
    """Template → checked MJML → HTML; MJML problems raise :class:`_LocaleFailed`.

    With ``domain``, also warns about the issue's strings that are not translated.
    """
    text, notices, record = _render(env, name, context, looked_up)
    findings = render_problem_findings(record.problems)
    if domain is not None:
        findings += _untranslated(env, record, domain)
    problems = check_mjml(text)
    if problems:
        raise _LocaleFailed(_mjml_findings(env, name, context, notices, problems))
    html = compile_mjml(text, template=_template_path(env, name), locale=env.locale)
    return text, html, findings


def _render_locale(
    settings: Settings,
    loaded: LoadedIssue,
    plan: PublishPlan,
    locale: str,
    site_dir: Path,
    out_dir: Path,
) -> _Rendered:
    """Everything of one locale, in memory and checked; errors raise :class:`_LocaleFailed`."""
    env = LocaleEnvironment(settings, locale, policy=plan.policy(locale))
    issue = loaded.issue
    domain = loaded.source.domain
    content = build_content(env, loaded, plan)
    findings: list[Finding] = [Finding("warning", "related", text) for text in content.warnings]

    for field_name, msgid, msgctxt, shown in (
        ("subject", issue.subject, SUBJECT_CONTEXT, content.subject),
        ("preheader", issue.preheader, PREHEADER_CONTEXT, content.preheader),
    ):
        findings += check_header_text(
            settings, locale=locale, domain=domain, field=field_name, msgid=msgid,
            context=msgctxt, shown=shown,
        )
    if errors_of(findings):
        raise _LocaleFailed(findings)

    mjml_text, html, rendered_findings = _render_mjml(
        env, EMAIL_TEMPLATE, content.context, content.record, domain
    )
    findings += rendered_findings
    raw_text, _, text_record = _render(env, TEXT_TEMPLATE, content.context, content.record)
    text = format_plain_text(raw_text)
    findings += render_problem_findings(text_record.problems)

    archive = build_content(env, loaded, plan, archive=True)
    _, archive_html, archive_findings = _render_mjml(env, ARCHIVE_TEMPLATE, archive.context, archive.record)
    findings += archive_findings

    findings += check_size(html)
    findings += check_html(html, name="email.html", unsubscribe_url=content.unsubscribe_url, tracked=True)
    findings += check_html(archive_html, name="archive page", unsubscribe_url=None, tracked=False)
    findings += check_text_part(
        text, (url for _, url in content.footnotes.items()), unsubscribe_url=content.unsubscribe_url
    )
    if errors_of(findings):
        raise _LocaleFailed(findings)

    headers = EmailHeaders(
        issue_id=issue.id,
        locale=locale,
        language=html_lang(locale),
        date=issue.date,
        subject=content.subject.text,
        mail_from=settings.mail_from,
        reply_to=settings.reply_to,
        list_id=settings.list_id,
        unsubscribe_url=content.unsubscribe_url or "",
        unsubscribe_mailto=settings.unsubscribe_mailto,
        unsubscribe_token=UNSUBSCRIBE_TOKEN_PLACEHOLDER,
    )
    eml = build_email(headers, text, html)
    folder = out_dir / locale
    outputs = {
        "email.mjml": (folder / "email.mjml", mjml_text.encode("utf-8")),
        "email.html": (folder / "email.html", html.encode("utf-8")),
        "email.txt": (folder / "email.txt", text.encode("utf-8")),
        "email.eml": (folder / "email.eml", eml),
        "archive": (site_dir / archive_path(locale, issue.id) / "index.html", archive_html.encode("utf-8")),
    }
    # Deduplicate warnings (the same refused translation shows in HTML and text).
    unique = list(dict.fromkeys(findings))
    return _Rendered(outputs, unique, content.subject.text)


# The build --------------------------------------------------------------------------------------


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _locale_entry(settings: Settings, result: LocaleResult, checks: dict[str, str]) -> dict[str, Any]:
    dist = settings.dist_path
    entry: dict[str, Any] = {
        "status": result.status,
        "qa_only": result.locale == PSEUDO_LOCALE,
        "checks": checks,
        "findings": [finding.as_dict() for finding in result.findings],
    }
    if result.subject is not None:
        entry["subject"] = result.subject
    if result.error is not None:
        entry["error"] = result.error.describe()
    if result.files:
        entry["files"] = {
            output.name: {"path": _relative(output.path, dist), "bytes": output.size, "sha256": output.sha256}
            for output in result.files
        }
    return entry


def _check_summary(findings: Sequence[Finding], failed_early: bool) -> dict[str, str]:
    """Per check: ``ok``, ``warning`` or ``error`` (``not run`` after an earlier error)."""
    summary: dict[str, str] = {}
    for name in CHECK_NAMES:
        mine = [f for f in findings if f.check == name]
        if any(f.severity == "error" for f in mine):
            summary[name] = "error"
        elif mine:
            summary[name] = "warning"
        else:
            summary[name] = "not run" if failed_early else "ok"
    return summary


def _unreadable_catalogs(
    settings: Settings, compiled: CompileReport, domain: str
) -> dict[str, Finding]:
    """Locales whose catalog of this issue cannot be read: they would go out untranslated.

    (The site shows the source text for such a catalog; an email whose subject silently falls
    back to the source language is worse than no email in that language.)
    """
    found: dict[str, Finding] = {}
    for result in compiled.failed:
        if result.domain != domain:
            continue
        po = po_path(settings, result.locale, domain)
        shown = po.relative_to(settings.root) if po.is_relative_to(settings.root) else po
        diagnostic = next(
            (d for d in compiled.diagnostics if d.path is not None and Path(d.path) in (po, shown)),
            None,
        )
        reason = diagnostic.message if diagnostic is not None else "the catalog cannot be read"
        found[result.locale] = Finding(
            "error",
            "translation",
            f"the {result.locale} catalog of this issue cannot be read ({reason})",
            shown,
            diagnostic.line if diagnostic is not None else None,
        )
    return found


def render_newsletter(
    settings: Settings,
    issue_id: str,
    locales: Sequence[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> NewsletterReport:
    """Build issue ``issue_id`` for ``locales`` (default: every locale the article is published in).

    Raises :class:`~pubflow.errors.PubflowError` for problems that stop the whole build (the
    issue file, its article, the templates). A locale that fails a check is reported in the
    result (``status == "failed"``) and nothing of it is written.
    """
    requested = requested_locales(settings, locales)
    loaded = load_issue(settings.newsletters_path, settings.articles_path, issue_id)
    slugs = list(dict.fromkeys([loaded.article.article.slug, *loaded.related_articles]))
    # Only the catalogs this issue reads (UI, the issue's, its articles'): checking every
    # catalog of the site once per issue dominated a multi-issue build.
    compiled = ensure_compiled(settings, domains=[UI_DOMAIN, loaded.source.domain, *slugs])
    unreadable = _unreadable_catalogs(settings, compiled, loaded.source.domain)
    plan = plan_publication(settings, slugs)
    article_slug = loaded.article.article.slug
    chosen = [loc for loc in requested if plan.is_built(loc, article_slug)]
    skipped = [s for s in plan.skipped if s.slug == article_slug and s.locale in requested]

    out_dir = settings.dist_path / "newsletter" / issue_id
    site_dir = settings.dist_path / "site"
    # Broken templates stop everything: check they load before rendering any locale.
    probe = LocaleEnvironment(settings, settings.source_locale)
    for name in (EMAIL_TEMPLATE, TEXT_TEMPLATE, ARCHIVE_TEMPLATE):
        probe.get_template(name)

    report = NewsletterReport(issue_id, out_dir, out_dir / MANIFEST_NAME, skipped=skipped)
    manifest_locales: dict[str, Any] = {}
    for done, locale in enumerate(chosen, start=1):
        result = LocaleResult(locale, "built")
        try:
            if locale in unreadable:
                raise _LocaleFailed([unreadable[locale]])
            rendered = _render_locale(settings, loaded, plan, locale, site_dir, out_dir)
        except _LocaleFailed as failure:
            result.status, result.findings = "failed", failure.findings
        except PubflowError as exc:
            result.status, result.error = "failed", exc
            result.findings = [Finding("error", "mjml" if isinstance(exc, RenderError) else "render", exc.describe())]
        else:
            result.findings, result.subject = rendered.findings, rendered.subject
            for name, (path, data) in rendered.outputs.items():
                written = atomic_write_bytes(path, data)
                result.files.append(
                    OutputFile(name, path, len(data), hashlib.sha256(data).hexdigest(), written)
                )
        report.locales.append(result)
        manifest_locales[locale] = _locale_entry(
            settings, result, _check_summary(result.findings, result.status == "failed")
        )
        if progress is not None:
            progress(done, len(chosen), locale)

    previous = _read_manifest(report.manifest_path).get("locales", {})
    kept = {
        loc: entry
        for loc, entry in (previous.items() if isinstance(previous, dict) else [])
        if loc not in requested and loc in settings.all_locales
    }
    for item in skipped:
        manifest_locales[item.locale] = {"status": "not published", "reason": item.describe()}
    issue = loaded.issue
    manifest = {
        "issue": issue.id,
        "date": issue.date.isoformat(),
        "article": article_slug,
        "subject": issue.subject,
        "locales": dict(sorted({**kept, **manifest_locales}.items())),
    }
    atomic_write_bytes(
        report.manifest_path,
        (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8"),
    )
    return report
