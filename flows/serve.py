"""Serve every deployment to a Prefect server (what ``make serve`` / ``pubflow serve`` runs).

Marketing staff start runs from the Prefect UI: each deployment has a form built from the
flow's typed parameters and its docstring. Also creates the concurrency limits of the network
tags, and watches ``locales/**/*.po`` so a translator's save re-runs sync + site build for
that language (debounced), which the preview server then shows.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

# Run as a script (``python flows/serve.py``): make the project root importable for `flows.*`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prefect import serve  # noqa: E402
from prefect.deployments.runner import RunnerDeployment  # noqa: E402
from prefect.schedules import Cron  # noqa: E402

from flows.catalogs import prefill_flow, sync_catalogs_flow, sync_task  # noqa: E402
from flows.common import LocaleCode, flow, settings  # noqa: E402
from flows.deliver import send_newsletter_flow  # noqa: E402
from flows.ingest import ingest_flow  # noqa: E402
from flows.newsletter import build_newsletter_flow  # noqa: E402
from flows.publish import publish  # noqa: E402
from flows.site import build_site_flow, run_site_build  # noqa: E402

CONCURRENCY_LIMITS = {"pubflow-mt": 2, "pubflow-smtp": 1}
"""Tag → how many task runs with that tag may run at once, across every flow run."""

DEBOUNCE_SECONDS = 2.0


@flow(name="refresh-locale")
def refresh_locale(locale: LocaleCode) -> dict[str, object]:  # type: ignore[valid-type]
    """Re-sync and rebuild one language after a translator saved its catalog (for the preview).

    Args:
        locale: The language whose catalog changed.
    """
    synced = sync_task([locale])
    site = run_site_build([locale], None)
    return {"synced": synced["catalogs_written"], "site": site["summary"]}


def ensure_concurrency_limits() -> None:
    """Create the tag concurrency limits once (idempotent)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for tag, limit in CONCURRENCY_LIMITS.items():
            client.create_concurrency_limit(tag=tag, concurrency_limit=limit)


def watch_catalogs(stop: threading.Event) -> None:
    """Trigger the refresh-locale deployment when a ``.po`` is saved (debounced per locale)."""
    from prefect.deployments import run_deployment
    from watchfiles import watch

    cfg = settings()
    for changes in watch(
        cfg.locales_path, stop_event=stop, debounce=int(DEBOUNCE_SECONDS * 1000), recursive=True
    ):
        locales = sorted(
            {
                Path(path).parents[1].name
                for _change, path in changes
                if path.endswith(".po") and Path(path).parent.name == "LC_MESSAGES"
            }
            & set(cfg.locales)
        )
        for locale in locales:
            run_deployment(
                "refresh-locale/refresh-locale",
                parameters={"locale": locale},
                timeout=0,  # fire and forget: the UI shows the run
            )


def deployments(newsletter_cron: str, timezone: str) -> list[RunnerDeployment]:
    """Every deployment, with descriptions the UI shows."""
    return [
        publish.to_deployment(
            name="publish",
            description="Publish everything: new articles, catalogs, pre-fill, site and newsletters.",
            tags=["pubflow"],
        ),
        ingest_flow.to_deployment(
            name="ingest",
            description="Read source articles into canonical articles (hand edits are kept).",
            tags=["pubflow"],
        ),
        sync_catalogs_flow.to_deployment(
            name="sync-catalogs",
            description="Update every language's catalog from the sources and report coverage.",
            tags=["pubflow"],
        ),
        prefill_flow.to_deployment(
            name="machine-prefill",
            description="Fill untranslated strings with marked machine suggestions to review.",
            tags=["pubflow"],
        ),
        build_site_flow.to_deployment(
            name="build-site",
            description="Render the localized website into dist/site/.",
            tags=["pubflow"],
        ),
        build_newsletter_flow.to_deployment(
            name="build-newsletter",
            description="Build a newsletter issue (HTML, text, .eml, web version) per language.",
            tags=["pubflow"],
            # Inactive until someone switches it on in the UI: a schedule with a timezone
            # (Cron(..., timezone=...), not the timezone-less cron=).
            schedules=[Cron(newsletter_cron, timezone=timezone, active=False)],
            parameters={"issue": "2026-12"},
        ),
        send_newsletter_flow.to_deployment(
            name="send-newsletter",
            description="Send a built issue to subscribers (dry run unless 'confirm' is ticked).",
            tags=["pubflow"],
        ),
        refresh_locale.to_deployment(
            name="refresh-locale",
            description="Re-sync and rebuild one language (triggered when a .po file is saved).",
            tags=["pubflow"],
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=4, help="flow runs at once at most")
    parser.add_argument("--no-watch", action="store_true", help="do not watch .po files")
    args = parser.parse_args()
    cfg = settings()
    ensure_concurrency_limits()
    stop = threading.Event()
    if not args.no_watch:
        threading.Thread(target=watch_catalogs, args=(stop,), daemon=True).start()
    try:
        serve(
            *deployments(cfg.newsletter_cron, cfg.newsletter_timezone),
            limit=args.limit,
            print_starting_message=True,
            # Paused deployments would stay paused on the next `make serve`: leave them active.
            pause_on_shutdown=False,
        )
    finally:
        stop.set()


if __name__ == "__main__":
    main()
