"""Flow "publish": ingest → sync catalogs → (optional machine pre-fill) → site → newsletters.

``make publish`` runs it on the embedded defaults, offline (pseudo pre-fill for the
pseudo-locale only), and prints where the outputs are.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.catalogs import fail_on_unmerged_catalogs, prefill_task, stats_task, sync_task
from flows.common import (
    Backend,
    FlowFailure,
    LocaleCode,
    Policy,
    Progress,
    artifacts_in_background,
    checked_slugs,
    flow,
    preview_url,
    project_lock,
    send_artifact,
    settings,
)
from flows.ingest import ingest_sources
from flows.newsletter import run_newsletter_builds
from flows.site import run_site_build
from pubflow.buildview import one_build
from pubflow.locales import PSEUDO_LOCALE


def newsletter_issues(articles: list[str] | None) -> list[str]:
    """Issue ids in content/newsletters/ (those featuring ``articles`` when given)."""
    import tomllib

    cfg = settings()
    issues = []
    for path in sorted(cfg.newsletters_path.glob("*.toml")):
        if articles:
            try:
                featured = tomllib.loads(path.read_text(encoding="utf-8")).get("article")
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                featured = None  # the build reports the broken file with its line
            if featured is not None and featured not in articles:
                continue
        issues.append(path.stem)
    return issues


@flow(name="publish")
def publish(
    articles: list[str] = [],  # noqa: B006 (never mutated)
    locales: list[LocaleCode] = [],  # noqa: B006 (never mutated)  # type: ignore[valid-type]
    prefill: Backend = "pseudo",
    policy: Policy = "default",
    newsletters: bool = True,
) -> dict[str, Any]:
    """Publish everything: read new articles, update the catalogs, pre-fill, build the site and
    the newsletters. Nothing half-built is ever published: each page and email is written whole.

    Args:
        articles: Article slugs (file names in content/sources/ without extension) to ingest
            and whose newsletters to build. Leave empty for all.
        locales: Languages to update and build. Leave empty for every language.
        prefill: Machine translation for untranslated strings before building: "none" to skip,
            "pseudo" (offline, only the pseudo-locale en_XA), or a real service.
        policy: "reviewed" shows only reviewed translations; "machine" also shows machine
            suggestions with a notice; "default" uses the project's setting.
        newsletters: Also build the newsletter issues in content/newsletters/.
    """
    # Artifacts go to the server from a background thread while the build runs; all of them
    # have arrived when the run ends (see flows.common.artifacts_in_background).
    with artifacts_in_background():
        cfg = settings()
        logger = get_run_logger()
        slugs = checked_slugs(articles)
        chosen = list(locales or [])

        sources = None
        if slugs:
            sources = [p.name for p in sorted(cfg.sources_path.iterdir()) if p.stem in slugs]
            missing = sorted(set(slugs) - {name.rsplit(".", 1)[0] for name in sources})
            if missing:
                raise FlowFailure(
                    f"no source in content/sources/ for {', '.join(missing)}; "
                    "check the article names or add the source files"
                )
        # One whole-project job at a time: a second publish (or build) started meanwhile fails
        # with one line naming this run, instead of building into the same dist/ and build/.
        # One build: the sync's check of every catalog stands for the stages after it.
        with project_lock("Publish"), one_build():
            progress = Progress("Publishing")
            ingested = ingest_sources(sources, False)
            progress.update(15)

            # Catalogs exist for the target languages only; the source language needs none.
            catalog_locales = [code for code in chosen if code != cfg.source_locale]
            synced = sync_task(catalog_locales)
            progress.update(35)

            prefilled: dict[str, Any] | None = None
            if prefill != "none":
                prefill_locales = catalog_locales
                if prefill == "pseudo":
                    prefill_locales = [PSEUDO_LOCALE] if not chosen or PSEUDO_LOCALE in chosen else []
                if prefill_locales:
                    prefilled = prefill_task(prefill_locales, prefill, None)
                    # Machine suggestions changed catalogs: compile before rendering.
                    synced = sync_task(catalog_locales)
            progress.update(50)

            site = run_site_build(chosen, policy)
            progress.update(75)

            built_issues: list[dict[str, Any]] = []
            if newsletters:
                # Every issue in one build step: one task run, one compile check and plan, one pool
                # of workers. A broken issue fails the run (with its file:line) after the others
                # are built and have their artifacts.
                built_issues = run_newsletter_builds(newsletter_issues(slugs), chosen)
            progress.update(95)
            stats_task(catalog_locales)
            progress.update(100)

        failed = {i["issue"]: i["failed"] for i in built_issues if i["failed"]}
        lines = [
            "## Publish finished\n",
            "- Articles: " + ", ".join(f"{r['slug']} ({r['status']})" for r in ingested),
            f"- Catalogs written: {len(synced['catalogs_written'])}",
            *(f"- Catalog not updated: `{line}`" for line in synced.get("catalogs_failed", [])),
        ]
        if prefilled is not None:
            lines.append(
                f"- Machine pre-fill ({prefilled['backend']}): {prefilled['filled']} filled, "
                f"{prefilled['failed']} failed"
            )
        lines.append(f"- Site: {site['summary']} — [open]({preview_url(cfg)})")
        for issue in built_issues:
            lines.append(f"- Newsletter {issue['issue']}: built in {', '.join(issue['built']) or 'no language'}")
        send_artifact(
            create_markdown_artifact,
            markdown="\n".join(lines) + "\n",
            key="publish-summary",
            description="What publish did",
        )
        logger.info("site: %s", site["summary"])
        fail_on_unmerged_catalogs(synced)  # after the site and emails are built from the rest
        if failed:
            raise FlowFailure(
                "some newsletter languages failed their checks (see the newsletter artifacts); "
                "fix the named translation or template and publish again"
            )
        return {
            "ingested": ingested,
            "site": site,
            "newsletters": built_issues,
            "prefill": prefilled,
            "outputs": str(cfg.dist_path),
        }


if __name__ == "__main__":
    result = publish()
    print(f"site: {result['site']['summary']}")
    print(f"outputs in {result['outputs']}/ (open {result['outputs']}/site/index.html)")
