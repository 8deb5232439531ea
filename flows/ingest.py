"""Flow "ingest": source articles → canonical files under content/articles/."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from flows.common import FlowFailure, flow, settings, user_errors
from pubflow.ingest import ingest


@task(name="ingest sources")
def ingest_sources(sources: list[str] | None, force: bool) -> list[dict[str, str]]:
    """Read every source and write its canonical article (hand edits kept unless ``force``)."""
    cfg = settings()
    if sources:
        paths = []
        for name in sources:
            # Only files inside content/sources/: a parameter is never a path elsewhere.
            path = (cfg.sources_path / name).resolve()
            if cfg.sources_path.resolve() not in path.parents:
                raise FlowFailure(
                    f"source {name!r} is not a file in content/sources/; "
                    "give a file name such as my-article.txt"
                )
            paths.append(path)
    else:
        paths = sorted(p for p in cfg.sources_path.iterdir() if p.is_file())
    with user_errors("Ingest"):
        results = ingest(
            paths,
            cfg.articles_path,
            force=force,
            keep_edited=not force,
            lang=cfg.source_locale,
            workers=cfg.workers,
            settings=cfg,
        )
    return [
        {"slug": r.article.slug, "status": r.status, "file": str(r.path.relative_to(cfg.root))}
        for r in results
    ]


@flow(name="ingest", log_prints=True)
def ingest_flow(
    sources: list[str] = [],  # noqa: B006 (never mutated)
    force: bool = False,
) -> list[dict[str, str]]:
    """Turn source articles (scraped text, HTML or Markdown) into canonical articles.

    Args:
        sources: File names in content/sources/ to ingest, e.g. "my-article.txt". Leave empty
            to ingest every source.
        force: Replace canonical articles that were edited by hand. Off by default: hand
            edits are kept and reported as "kept".
    """
    rows = ingest_sources(sources, force)
    lines = "\n".join(f"| {r['slug']} | {r['status']} | `{r['file']}` |" for r in rows)
    create_markdown_artifact(
        markdown=f"## Ingested articles\n\n| article | status | file |\n|---|---|---|\n{lines}\n",
        key="ingest-summary",
        description="What ingest wrote",
    )
    get_run_logger().info("ingested %d article(s)", len(rows))
    return rows


if __name__ == "__main__":
    ingest_flow()
