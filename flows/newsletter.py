"""Flow "build newsletter": one issue → MJML, HTML, text and .eml per published language.

:func:`run_newsletter_builds` is the step publish uses for every issue at once.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from flows.common import (
    FlowFailure,
    LocaleCode,
    checked_slugs,
    flow,
    inputs_cache_key,
    outputs_intact,
    preview_url,
    project_lock,
    send_artifact,
    settings,
    user_errors,
)
from pubflow.newsletter.build import NewsletterReport, render_newsletters


@task(name="build newsletter", cache_key_fn=inputs_cache_key, persist_result=True)
def build_newsletter_task(issues: list[str], locales: list[str] | None) -> list[dict[str, Any]]:
    """Render, check and export issues ``issues`` in one pass; pure (cached by the content hash
    of all inputs). One result per issue: its report, or ``{"issue", "error"}`` when it could
    not be built at all (file:line of the problem) — the others are built regardless.

    One task run for every issue: a task run's fixed cost in the flow (state round trips, the
    cache key's input hashing, result storage) was paid once per issue, and the library build
    shares its compile check, publication plan and worker pool between issues.
    """
    cfg = settings()
    results: list[dict[str, Any]] = []
    with user_errors("Build newsletter"):  # problems of the whole build (a bad locale, …)
        reports = render_newsletters(cfg, issues, locales or None)
    for report in reports:
        if report.error is not None:
            results.append({"issue": report.issue_id, "error": report.error.describe()})
        else:
            results.append(_issue_result(report))
    return results


def _issue_result(report: NewsletterReport) -> dict[str, Any]:
    return {
        "issue": report.issue_id,
        "summary": report.summary(),
        "built": [r.locale for r in report.built],
        "failed": {r.locale: r.describe_failure() for r in report.failed},
        "skipped": [s.describe() for s in report.skipped],
        "checks": [
            {
                "locale": r.locale,
                "subject": r.subject or "",
                "status": r.status,
                "html_kb": round(r.file("email.html").size / 1024, 1)
                if any(f.name == "email.html" for f in r.files)
                else None,
                "warnings": len(r.warnings),
                "errors": len(r.errors),
            }
            for r in report.locales
        ],
    }


def newsletter_markdown(result: dict[str, Any]) -> str:
    cfg = settings()
    issue = result["issue"]
    lines = [f"## Newsletter {issue}\n\n{result['summary']}\n"]
    for locale in result["built"]:
        archive = preview_url(cfg, f"{locale}/newsletter/{issue}/")
        lines.append(f"- **{locale}**: [web version]({archive}) · files in "
                     f"`dist/newsletter/{issue}/{locale}/` (email.html, email.txt, email.eml)")
    if result["failed"]:
        lines.append("\n### Not built\n")
        lines.extend(f"- {message}" for message in result["failed"].values())
    if result["skipped"]:
        lines.append("\n### Not published in these languages\n")
        lines.extend(f"- {message}" for message in result["skipped"])
    if result["checks"]:
        # In the same artifact, not a table artifact of its own: every artifact is a round
        # trip to the server (~70 ms each here), and publish makes one per issue.
        lines.append("\n### Checks per language\n")
        lines.append("| language | subject | status | HTML | warnings | errors |")
        lines.append("|---|---|---|---|---|---|")
        for check in result["checks"]:
            size = "—" if check["html_kb"] is None else f"{check['html_kb']} KB"
            lines.append(
                f"| {check['locale']} | {_cell(check['subject'])} | {check['status']} | {size} "
                f"| {check['warnings']} | {check['errors']} |"
            )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text for a markdown table cell: pipes escaped, on one line."""
    return " ".join(text.replace("|", "\\|").split())


def run_newsletter_builds(issues: list[str], locales: list[str] | None) -> list[dict[str, Any]]:
    """Build ``issues`` with one call of the cached build task; one result dict per issue.

    The cache is refreshed when any issue's outputs were removed. Holds the project run lock
    (already held when publish calls it), like the site build. Each issue gets its artifacts;
    an issue that could not be built at all fails the run — after the others were built and
    their artifacts made — with its file:line, as a build of that issue alone does.
    """
    cfg = settings()
    results: list[dict[str, Any]] = []
    if not issues:
        return results
    with project_lock("Build newsletter"):
        intact = all(
            outputs_intact(cfg.dist_path / "newsletter" / issue / "manifest.json", cfg.dist_path)
            for issue in issues
        )
        results = build_newsletter_task.with_options(refresh_cache=not intact)(list(issues), locales)
    broken = []
    for result in results:
        if "error" in result:
            broken.append(result)
            continue
        issue = result["issue"]
        send_artifact(
            create_markdown_artifact,
            markdown=newsletter_markdown(result),
            key=f"newsletter-{issue}",
            description=f"Newsletter {issue}: links, and checks per language (size, warnings, errors)",
        )
    if broken:
        messages = [f"Build newsletter failed: {result['error']}" for result in broken]
        for message in messages:
            get_run_logger().error(message)
        create_markdown_artifact(
            markdown="## Build newsletter failed\n\n" + "".join(f"- {r['error']}\n" for r in broken),
            key="build-newsletter-failure",
            description="Why build newsletter failed and what to do",
        )
        raise FlowFailure(messages[0] if len(messages) == 1 else "; ".join(messages))
    return results


def run_newsletter_build(issue: str, locales: list[str] | None) -> dict[str, Any]:
    """:func:`run_newsletter_builds` for one issue."""
    [result] = run_newsletter_builds([issue], locales)
    return result


@flow(name="build-newsletter")
def build_newsletter_flow(
    issue: str,
    locales: list[LocaleCode] = [],  # noqa: B006 (never mutated)  # type: ignore[valid-type]
) -> dict[str, Any]:
    """Build a newsletter issue in every published language: responsive HTML, plain text and a
    ready-to-send .eml, plus the web version for the "view in browser" link.

    Args:
        issue: The issue id: the file name of content/newsletters/<issue>.toml without
            ".toml", e.g. "2026-12".
        locales: Languages to build. Leave empty for every language the article is published in.
    """
    [checked] = checked_slugs([issue], "issue") or [issue]
    result = run_newsletter_build(checked, list(locales or []))
    if result["failed"]:
        raise FlowFailure(
            f"{len(result['failed'])} language(s) of newsletter {issue} failed their checks "
            "(see the artifact); fix the translation or template it names and run again"
        )
    return result


if __name__ == "__main__":
    import sys

    build_newsletter_flow(sys.argv[1] if len(sys.argv) > 1 else "2026-12")
