"""Flow "build site": localized pages, indexes, sitemap and feeds under dist/site/."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact

from flows.common import (
    LocaleCode,
    Policy,
    Progress,
    flow,
    inputs_cache_key,
    outputs_intact,
    preview_url,
    project_lock,
    send_artifact,
    settings,
    user_errors,
)
from pubflow.render.site import MANIFEST_NAME, render_site


@task(name="build site", cache_key_fn=inputs_cache_key, persist_result=True)
def build_site_task(locales: list[str] | None, policy: str | None) -> dict[str, Any]:
    """Render every published page; pure (cached by the content hash of all inputs)."""
    cfg = settings(publish_policy=None if policy in (None, "default") else policy)
    progress = Progress("Rendering pages")

    def advance(done: int, total: int, _what: str) -> None:
        progress.update(100.0 * done / max(total, 1))

    with user_errors("Build site"):
        report = render_site(cfg, locales or None, progress=advance)
    progress.update(100.0)
    return {
        "summary": report.summary(),
        "published": {loc: list(slugs) for loc, slugs in report.published.items()},
        "built_locales": list(report.built_locales),
        "skipped": [s.describe() for s in report.plan.skipped],
        "refused": [p.describe() for p in report.problems],
        "catalog_errors": [d.format() for d in report.catalog_errors],
        "written": len(report.written),
    }


def site_markdown(result: dict[str, Any]) -> str:
    """The run's summary: a link to every published page (through the preview server)."""
    cfg = settings()
    lines = [f"## Site built\n\n{result['summary']}\n", f"- [Language chooser]({preview_url(cfg)})"]
    for locale, slugs in result["published"].items():
        page_links = ", ".join(f"[{slug}]({preview_url(cfg, f'{locale}/{slug}/')})" for slug in slugs)
        lines.append(f"- **{locale}**: [index]({preview_url(cfg, f'{locale}/')}) · {page_links}")
    for title, key in (
        ("Not published (below the coverage threshold)", "skipped"),
        ("Translations refused on pages (unsafe or broken; source shown)", "refused"),
        ("Catalog entries left out", "catalog_errors"),
    ):
        if result[key]:
            lines.append(f"\n### {title}\n")
            lines.extend(f"- {item}" for item in result[key])
    return "\n".join(lines) + "\n"


def run_site_build(locales: list[str] | None, policy: str | None) -> dict[str, Any]:
    """Call the cached build task, refreshing the cache when the outputs were removed.

    Holds the project run lock (already held when publish calls it): the build flow and
    refresh-locale never write dist/site/ while another publish or build does.
    """
    cfg = settings()
    site_dir = cfg.dist_path / "site"
    with project_lock("Build site"):
        intact = outputs_intact(site_dir / MANIFEST_NAME, site_dir)
        result = build_site_task.with_options(refresh_cache=not intact)(locales, policy)
    send_artifact(
        create_markdown_artifact,
        markdown=site_markdown(result),
        key="site-summary",
        description="Links to every page",
    )
    return result


@flow(name="build-site")
def build_site_flow(
    locales: list[LocaleCode] = [],  # noqa: B006 (never mutated)  # type: ignore[valid-type]
    policy: Policy = "default",
) -> dict[str, Any]:
    """Render the localized website (pages, language indexes, sitemap, Atom feeds) into dist/site/.

    Languages below the coverage threshold are left out of every page, switcher and sitemap.

    Args:
        locales: Languages to build. Leave empty for every language.
        policy: "reviewed" publishes only reviewed translations; "machine" also shows machine
            suggestions, with a notice; "default" uses the project's setting.
    """
    return run_site_build(list(locales or []), policy)


if __name__ == "__main__":
    build_site_flow()
