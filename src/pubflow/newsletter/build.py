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

A locale built before is not rendered again while its inputs and files are unchanged (its
result is replayed; ``report.up_to_date``): see "Incremental rebuilds" at the end of this
module. A failed locale is always tried again.

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
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pubflow.config import Settings
from pubflow.deliver.links import UNSUBSCRIBE_TOKEN_PLACEHOLDER
from pubflow.errors import PubflowError, RenderError
from pubflow.fingerprint import (
    FileHashes,
    digest,
    finish_output_records,
    now_ns,
    output_intact,
    output_record,
    read_state,
    settings_fingerprint,
    state_path,
    write_state,
)
from pubflow.fsutil import atomic_write_bytes, sweep_stale_temp_files
from pubflow.i18n.compile import CompileReport
from pubflow.i18n.pofile import po_path
from pubflow.ingest.canonical import canonical_path
from pubflow.ingest.newsletter import (
    PREHEADER_CONTEXT,
    SUBJECT_CONTEXT,
    LoadedIssue,
    issue_path,
    load_issue,
)
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
from pubflow.parallel import run_jobs, worker_count
from pubflow.render.environment import UI_DOMAIN, LocaleEnvironment, Notice, TranslationRecord
from pubflow.render.catalog_inputs import compile_if_changed
from pubflow.render.publishing import (
    PublishPlan,
    Skipped,
    plan_publication_cached,
    requested_locales,
)

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
    # Locales not rendered again: inputs unchanged since they were built, files intact.
    up_to_date: list[str] = field(default_factory=list)

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
            f"newsletter {self.issue_id}: {len(self.built)} locales built "
            f"({len(self.up_to_date)} up to date), {len(self.failed)} failed, "
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


@dataclass(frozen=True)
class _IssueInputs:
    """What rendering one locale of an issue reads (shared with the worker processes)."""

    settings: Settings
    loaded: LoadedIssue
    plan: PublishPlan
    site_dir: Path
    out_dir: Path
    unreadable: dict[str, Finding]


def _render_job(inputs: _IssueInputs, locale: str) -> tuple[str, Any]:
    """One locale, as ("built", rendered), ("failed", findings) or ("error", PubflowError).

    Failures come back as values: ``_LocaleFailed`` would not survive the trip from a worker
    process (its findings are not in its args).
    """
    try:
        if locale in inputs.unreadable:
            raise _LocaleFailed([inputs.unreadable[locale]])
        rendered = _render_locale(
            inputs.settings, inputs.loaded, inputs.plan, locale, inputs.site_dir, inputs.out_dir
        )
    except _LocaleFailed as failure:
        return "failed", failure.findings
    except PubflowError as exc:
        return "error", exc
    return "built", rendered


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
    force: bool = False,
) -> NewsletterReport:
    """Build issue ``issue_id`` for ``locales`` (default: every locale the article is published in).

    Raises :class:`~pubflow.errors.PubflowError` for problems that stop the whole build (the
    issue file, its article, the templates). A locale that fails a check is reported in the
    result (``status == "failed"``) and nothing of it is written. A locale built before whose
    inputs did not change and whose files are intact is not rendered again
    (``report.up_to_date``; see :func:`_issue_inputs` and :mod:`pubflow.fingerprint`);
    ``force`` renders every locale.
    """
    requested = requested_locales(settings, locales)
    issue_file = issue_path(settings.newsletters_path, issue_id)  # checks the id
    state_file = state_path(settings, "newsletter", f"{issue_id}.json")
    previous = {} if force else read_state(state_file, "newsletter")
    hashes = FileHashes(settings.root, previous.get("hashes"))
    swept = False

    def sweep() -> None:
        # Leftovers of crashed writes; only a build that compiles or writes needs them gone.
        nonlocal swept
        if not swept:
            sweep_stale_temp_files(settings.dist_path / "newsletter", settings.compiled_locales_path)
            swept = True

    loaded: LoadedIssue | None = None
    issue_sha = hashes.sha256(issue_file)
    facts = _issue_inputs(hashes, issue_sha, previous.get("issue"))
    if facts is None:
        # Hashed before reading: a file saved meanwhile differs next time (and rebuilds).
        articles = hashes.files(sorted(settings.articles_path.glob("*.md")))
        loaded = load_issue(settings.newsletters_path, settings.articles_path, issue_id)
        facts = _issue_facts(settings, issue_sha, articles, loaded)
    article_slug, domain = str(facts["article"]), str(facts["domain"])
    slugs = [str(slug) for slug in facts["slugs"]]
    # Only the catalogs this issue reads (UI, the issue's, its articles'): checking every
    # catalog of the site once per issue dominated a multi-issue build.
    settings_key = settings_fingerprint(settings)
    catalogs = compile_if_changed(
        settings,
        hashes,
        previous.get("compile"),
        domains=list(dict.fromkeys([UI_DOMAIN, domain, *slugs])),
        before_compile=sweep,
        settings_key=settings_key,
    )
    unreadable = _unreadable_catalogs(settings, catalogs.report(), domain)
    compiled_keys = catalogs.locale_keys()
    locale_keys = {loc: compiled_keys.get(loc) for loc in settings.all_locales}
    row_keys = {loc: digest(settings_key, slugs, locale_keys[loc]) for loc in settings.all_locales}
    plan, plan_rows = plan_publication_cached(settings, slugs, row_keys, previous.get("plan"))
    chosen = [loc for loc in requested if plan.is_built(loc, article_slug)]
    skipped = [s for s in plan.skipped if s.slug == article_slug and s.locale in requested]

    out_dir = settings.dist_path / "newsletter" / issue_id
    site_dir = settings.dist_path / "site"
    common = digest(settings_key, hashes.tree(settings.templates_path), facts, plan.publication_key())
    wanted = {
        loc: digest("newsletter", loc, common, locale_keys[loc], loc in unreadable) for loc in chosen
    }
    recorded = previous.get("locales")
    built_before: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
    dist = settings.dist_path
    up_to_date = {loc for loc in chosen if _locale_intact(dist, built_before.get(loc), wanted[loc])}
    if len(up_to_date) < len(chosen):
        sweep()
        if loaded is None:
            loaded = load_issue(settings.newsletters_path, settings.articles_path, issue_id)
        # Broken templates stop everything: check they load before rendering any locale.
        probe = LocaleEnvironment(settings, settings.source_locale)
        for name in (EMAIL_TEMPLATE, TEXT_TEMPLATE, ARCHIVE_TEMPLATE):
            probe.get_template(name)

    report = NewsletterReport(issue_id, out_dir, out_dir / MANIFEST_NAME, skipped=skipped)
    manifest_locales: dict[str, Any] = {}
    built_now: dict[str, Any] = {}
    # Stale locales render side by side (``workers``); results are used below in order.
    stale = [loc for loc in chosen if loc not in up_to_date]
    outcomes: dict[str, tuple[str, Any]] = {}
    if stale:
        assert loaded is not None  # loaded above whenever a locale renders
        inputs = _IssueInputs(settings, loaded, plan, site_dir, out_dir, unreadable)
        jobs = [(locale,) for locale in stale]
        workers = worker_count(settings.workers, len(stale))
        outcomes = dict(zip(stale, run_jobs(_render_job, inputs, jobs, workers=workers), strict=True))
    for done, locale in enumerate(chosen, start=1):
        if locale in up_to_date:
            record = built_before[locale]
            report.locales.append(_replayed_result(dist, locale, record))
            report.up_to_date.append(locale)
            built_now[locale] = record
            manifest_locales[locale] = record["entry"]
            if progress is not None:
                progress(done, len(chosen), locale)
            continue
        result = LocaleResult(locale, "built")
        outputs: list[dict[str, Any]] = []  # in the order of result.files
        kind, value = outcomes[locale]
        if kind == "failed":
            result.status, result.findings = "failed", value
        elif kind == "error":
            result.status, result.error = "failed", value
            result.findings = [Finding("error", "mjml" if isinstance(value, RenderError) else "render", value.describe())]
        else:
            rendered = value
            result.findings, result.subject = rendered.findings, rendered.subject
            for name, (path, data) in rendered.outputs.items():
                written = atomic_write_bytes(path, data, durable=False)  # dist/: rebuilt if lost
                result.files.append(
                    OutputFile(name, path, len(data), hashlib.sha256(data).hexdigest(), written)
                )
                outputs.append({"name": name, **output_record(path, data)})
        report.locales.append(result)
        manifest_locales[locale] = _locale_entry(
            settings, result, _check_summary(result.findings, result.status == "failed")
        )
        if result.status == "built":
            # Failed locales are not recorded: they render again (and fail or pass) next time.
            built_now[locale] = {
                "fingerprint": wanted[locale],
                "entry": manifest_locales[locale],
                "outputs": outputs,
            }
        if progress is not None:
            progress(done, len(chosen), locale)

    previous_manifest = _read_manifest(report.manifest_path).get("locales", {})
    kept = {
        loc: entry
        for loc, entry in (previous_manifest.items() if isinstance(previous_manifest, dict) else [])
        if loc not in requested and loc in settings.all_locales
    }
    for item in skipped:
        manifest_locales[item.locale] = {"status": "not published", "reason": item.describe()}
    manifest = {
        "issue": facts["id"],
        "date": facts["date"],
        "article": article_slug,
        "subject": facts["subject"],
        "locales": dict(sorted({**kept, **manifest_locales}.items())),
    }
    # Indented JSON is slow to encode: when the same manifest is still on disk, leave it.
    manifest_key = digest(manifest)
    manifest_record = previous.get("manifest")
    if not (
        isinstance(manifest_record, dict)
        and manifest_record.get("key") == manifest_key
        and output_intact(report.manifest_path, manifest_record)
    ):
        data = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
        atomic_write_bytes(report.manifest_path, data)
        manifest_record = {"key": manifest_key, **output_record(report.manifest_path, data)}

    # Locales this build did not ask for keep what an earlier build recorded for them.
    for loc, record in built_before.items():
        if loc not in requested and loc in settings.all_locales:
            built_now[loc] = record
    saved_at = now_ns()
    finish_output_records(
        [manifest_record, *(output for record in built_now.values() for output in record["outputs"])],
        saved_at,
    )
    write_state(
        state_file,
        "newsletter",
        {
            "hashes": hashes.records(saved_at),
            "issue": facts,
            "compile": catalogs.record,
            "plan": plan_rows,
            "locales": built_now,
            "manifest": manifest_record,
        },
        previous,
    )
    return report


# Incremental rebuilds ---------------------------------------------------------------------------
# ``build/incremental/newsletter/<issue>.json`` records what the issue read (its file and the
# canonical articles load_issue consulted, hashed before reading), the compile and plan inputs,
# and per built locale a fingerprint (code, settings, templates, issue inputs, publication
# plan, that locale's compiled catalogs of the issue's domains) with its manifest entry and the
# hash of every file written (email.*, web archive page).


def _issue_inputs(hashes: FileHashes, issue_sha: str | None, recorded: object) -> dict[str, Any] | None:
    """What an earlier build learnt from the issue, if the issue and what it read are unchanged.

    None: read the issue again (first build, or the issue file or a canonical article it read
    changed, appeared or disappeared).
    """
    if not isinstance(recorded, dict):
        return None
    reads = recorded.get("reads")
    if issue_sha is None or recorded.get("sha256") != issue_sha or not isinstance(reads, dict):
        return None
    for path, known in reads.items():
        if hashes.sha256(Path(path)) != known:
            return None
    return recorded


def _issue_facts(
    settings: Settings, issue_sha: str | None, articles: dict[str, str | None], loaded: LoadedIssue
) -> dict[str, Any]:
    """What the build needs of a freshly loaded issue, and the hashes of the files it read.

    ``issue_sha`` and ``articles`` (path → hash of every canonical article) were taken before
    the issue was read, so a file saved meanwhile differs from them next time.
    """
    issue = loaded.issue
    consulted = [issue.article, *issue.related, *loaded.related_slugs]
    reads = [str(canonical_path(settings.articles_path, slug)) for slug in dict.fromkeys(consulted)]
    return {
        "sha256": issue_sha,
        "reads": {path: articles.get(path) for path in reads},
        "id": issue.id,
        "date": issue.date.isoformat(),
        "subject": issue.subject,
        "article": loaded.article.article.slug,
        "domain": loaded.source.domain,
        "slugs": list(dict.fromkeys([loaded.article.article.slug, *loaded.related_articles])),
    }


def _locale_intact(dist: Path, record: object, fingerprint: str) -> bool:
    """True when a locale built before has the same fingerprint and every file as written."""
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint:
        return False
    outputs, entry = record.get("outputs"), record.get("entry")
    if not isinstance(outputs, list) or not outputs or not isinstance(entry, dict):
        return False
    files = entry.get("files")
    try:
        if not isinstance(files, dict) or files.keys() != {output["name"] for output in outputs}:
            return False
        return all(
            output_intact(os.path.join(dist, files[output["name"]]["path"]), output)
            for output in outputs
        )
    except (KeyError, TypeError, AttributeError):
        return False  # a damaged state: render


def _finding_from_dict(data: dict[str, Any]) -> Finding:
    return Finding(
        data["severity"],
        str(data["check"]),
        str(data["message"]),
        Path(data["path"]) if data.get("path") else None,
        data.get("line"),
    )


def _replayed_result(dist: Path, locale: str, record: dict[str, Any]) -> LocaleResult:
    """The result of an up-to-date locale, from what its build recorded (nothing written)."""
    entry = record["entry"]
    files = []
    for output in record["outputs"]:
        name = output["name"]
        item = entry["files"][name]
        files.append(OutputFile(name, dist / item["path"], int(item["bytes"]), str(item["sha256"]), False))
    return LocaleResult(
        locale,
        "built",
        files=files,
        findings=[_finding_from_dict(found) for found in entry.get("findings", [])],
        subject=entry.get("subject"),
    )
