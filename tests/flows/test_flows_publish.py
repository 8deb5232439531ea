"""The flows under a Prefect test harness: outputs, artifacts, caching and parameter checks."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

SLUG = "achieving-relief-with-ketamine-therapy"


def _task_states(flow_run_id: UUID) -> dict[str, list[str]]:
    """Each task's final state name(s) in a flow run. Task run states reach the server as
    events, recorded a moment after the flow returns: under a loaded test run a finished task
    still read "Running" once, so this waits (up to 30 s) until every one is final."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
            if all(run.state is not None and run.state.is_final() for run in runs):
                break
            if time.monotonic() > deadline:
                break  # the assertions below then show what was recorded
            time.sleep(0.2)
    states: dict[str, list[str]] = {}
    for run in runs:
        states.setdefault(run.name.rsplit("-", 1)[0], []).append(run.state.name if run.state else "")
    return states


def _artifact_keys(flow_run_id: UUID) -> set[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key for a in artifacts if a.key} | {f"type:{a.type}" for a in artifacts}


def test_publish_builds_everything_and_second_run_is_cached(flow_project: Path) -> None:
    from flows.publish import publish

    state = publish(return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    site = flow_project / "dist" / "site"
    assert (site / "index.html").is_file()
    assert (site / "sitemap.xml").is_file()
    for locale, slugs in result["site"]["published"].items():
        for slug in slugs:
            assert (site / locale / slug / "index.html").is_file()
    assert SLUG in result["site"]["published"]["en"]
    # The pseudo-locale is built for QA (pseudo pre-fill ran offline) but never advertised.
    assert (site / "en_XA" / SLUG / "index.html").is_file()
    assert "en_XA" not in result["site"]["published"]
    assert result["prefill"]["backend"] == "pseudo" and result["prefill"]["failed"] == 0
    pseudo_po = flow_project / "locales" / "en_XA" / "LC_MESSAGES" / f"{SLUG}.po"
    assert "machine-translated: pseudo" in pseudo_po.read_text(encoding="utf-8")
    newsletter = flow_project / "dist" / "newsletter" / "2026-12"
    assert (newsletter / "en" / "email.eml").is_file()
    assert (newsletter / "manifest.json").is_file()

    keys = _artifact_keys(state.state_details.flow_run_id)
    assert {"publish-summary", "site-summary", "translation-coverage", "newsletter-2026-12"} <= keys
    assert "type:progress" in keys

    again = publish(return_state=True)
    assert again.is_completed(), again.message
    states = _task_states(again.state_details.flow_run_id)
    assert states["build site"] == ["Cached"]
    assert states["build newsletter"] == ["Cached"]


def test_deleted_outputs_are_rebuilt_not_served_from_cache(flow_project: Path) -> None:
    import shutil

    from flows.publish import publish

    assert publish(return_state=True).is_completed()
    shutil.rmtree(flow_project / "dist")
    state = publish(return_state=True)
    assert state.is_completed(), state.message
    assert (flow_project / "dist" / "site" / "en" / SLUG / "index.html").is_file()
    assert _task_states(state.state_details.flow_run_id)["build site"] == ["Completed"]


@pytest.mark.parametrize("bad", ["../../etc", "/etc/passwd", "a\x00b", "Has Spaces"])
def test_path_like_article_ids_fail_with_a_clear_message(flow_project: Path, bad: str) -> None:
    from flows.publish import publish

    state = publish(articles=[bad], return_state=True)
    assert state.is_failed()
    assert "not a valid slug" in state.message
    assert not (flow_project / "dist").exists()


def test_locale_parameter_is_an_enumerated_multi_select() -> None:
    from flows.publish import publish
    from flows.site import build_site_flow

    for flow_obj in (publish, build_site_flow):
        schema = flow_obj.parameters.model_dump()["properties"]["locales"]
        assert schema["type"] == "array" and schema["default"] == []
        assert schema["items"]["enum"] == ["en", "de", "es", "fr", "ar", "pt_BR", "en_XA"]
        assert schema["description"].startswith("Languages to")
    prefill = publish.parameters.model_dump()["properties"]["prefill"]
    assert prefill["enum"][:2] == ["none", "pseudo"]


def test_sync_flow_reports_coverage(flow_project: Path) -> None:
    from flows.catalogs import sync_catalogs_flow

    state = sync_catalogs_flow(locales=["de"], return_state=True)
    assert state.is_completed(), state.message
    keys = _artifact_keys(state.state_details.flow_run_id)
    assert {"sync-summary", "translation-coverage"} <= keys

    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        [coverage] = client.read_latest_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["translation-coverage"]))
        )
    table = coverage.data if isinstance(coverage.data, list) else json.loads(coverage.data)
    # One row per language (its domains summed), not one per language and domain.
    assert [row["locale"] for row in table] == ["de"]
    assert table[0]["domains"] >= 2 and table[0]["total"] > 0


def test_prefill_flow_refuses_none_and_fills_pseudo(flow_project: Path) -> None:
    from flows.catalogs import prefill_flow

    refused = prefill_flow(backend="none", return_state=True)
    assert refused.is_failed() and "pre-fills nothing" in refused.message
    # The committed pseudo-locale catalogs are filled: empty them to have work to do.
    import polib

    for path in (flow_project / "locales" / "en_XA" / "LC_MESSAGES").glob("*.po"):
        catalog = polib.pofile(str(path))
        for entry in catalog:
            entry.msgstr = ""
            entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
            entry.tcomment = ""
        catalog.save()
    filled = prefill_flow(locales=["en_XA"], backend="pseudo", return_state=True)
    assert filled.is_completed(), filled.message
    assert filled.result()["filled"] > 0


def test_publish_builds_every_issue_in_one_step_and_reports_a_broken_one(flow_project: Path) -> None:
    from flows.publish import publish

    issues = flow_project / "content" / "newsletters"
    text = (issues / "2026-12.toml").read_text("utf-8")
    (issues / "2027-01.toml").write_text(
        text.replace('id = "2026-12"', 'id = "2027-01"').replace("2026-12-01", "2027-01-05"), "utf-8"
    )
    # Sorted between the two good issues; line 4 names an article that does not exist.
    (issues / "2026-12-b.toml").write_text(
        'id = "2026-12-b"\ndate = 2026-12-15\n\narticle = "no-such-article"\n'
        'subject = "Broken"\npreheader = "Broken"\nintro = ["Broken"]\n',
        "utf-8",
    )
    state = publish(return_state=True)
    assert state.is_failed()
    assert "2026-12-b.toml:4" in state.message and "no-such-article" in state.message
    # The good issues around it were built, each with its artifacts, in one task run.
    for issue in ("2026-12", "2027-01"):
        assert (flow_project / "dist" / "newsletter" / issue / "en" / "email.eml").is_file()
    assert not (flow_project / "dist" / "newsletter" / "2026-12-b").exists()
    run_id = state.state_details.flow_run_id
    keys = _artifact_keys(run_id)
    assert {"newsletter-2026-12", "newsletter-2027-01", "build-newsletter-failure"} <= keys
    assert _task_states(run_id)["build newsletter"] == ["Completed"]

    (issues / "2026-12-b.toml").unlink()
    fixed = publish(return_state=True)
    assert fixed.is_completed(), fixed.message
    built = fixed.result()["newsletters"]
    assert [item["issue"] for item in built] == ["2026-12", "2027-01"]
    assert all(item["built"] and not item["failed"] for item in built)


def test_publish_with_an_unreadable_catalog_builds_the_rest_then_fails_naming_it(flow_project: Path) -> None:
    from flows.publish import publish

    assert publish(prefill="none", newsletters=False, return_state=True).is_completed()
    page = flow_project / "dist" / "site" / "de" / "achieving-relief-with-ketamine-therapy" / "index.html"
    before = page.read_bytes()
    broken = flow_project / "locales" / "de" / "LC_MESSAGES" / "achieving-relief-with-ketamine-therapy.po"
    damaged = broken.read_text(encoding="utf-8") + '\nmsgid "unclosed\n'
    broken.write_text(damaged, encoding="utf-8")

    state = publish(prefill="none", newsletters=False, return_state=True)
    assert state.is_failed()
    assert "could not be updated and were left as they are" in state.message
    assert "locales/de/LC_MESSAGES/achieving-relief-with-ketamine-therapy.po:" in state.message
    assert broken.read_text(encoding="utf-8") == damaged
    assert page.read_bytes() == before  # German keeps its pages, from the last good compile
    assert "publish-summary" in _artifact_keys(state.state_details.flow_run_id)
