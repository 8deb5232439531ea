"""Flow "build newsletter": one issue → MJML, HTML, text and .eml per published language."""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.common import (
    FlowFailure,
    LocaleCode,
    checked_slugs,
    inputs_cache_key,
    outputs_intact,
    preview_url,
    project_lock,
    settings,
    user_errors,
)
from pubflow.newsletter.build import render_newsletter


@task(name="build newsletter", cache_key_fn=inputs_cache_key, persist_result=True)
def build_newsletter_task(issue: str, locales: list[str] | None) -> dict[str, Any]:
    """Render, check and export one issue; pure (cached by the content hash of all inputs)."""
    cfg = settings()
    with user_errors("Build newsletter"):
        report = render_newsletter(cfg, issue, locales or None)
    return {
        "issue": issue,
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
    return "\n".join(lines) + "\n"


def run_newsletter_build(issue: str, locales: list[str] | None) -> dict[str, Any]:
    """Call the cached build task, refreshing the cache when outputs were removed.

    Holds the project run lock (already held when publish calls it), like the site build.
    """
    cfg = settings()
    out = cfg.dist_path / "newsletter" / issue
    with project_lock("Build newsletter"):
        intact = outputs_intact(out / "manifest.json", cfg.dist_path)
        result = build_newsletter_task.with_options(refresh_cache=not intact)(issue, locales)
    create_markdown_artifact(
        markdown=newsletter_markdown(result),
        key=f"newsletter-{issue}",
        description=f"Newsletter {issue}: links and results",
    )
    create_table_artifact(
        table=result["checks"],
        key=f"newsletter-{issue}-checks",
        description="Newsletter checks per language: size, warnings, errors",
    )
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
