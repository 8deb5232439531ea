"""Several issues in one build (``render_newsletters``): the same outputs, reports and per-issue
state as building each issue on its own, one broken issue reported without stopping the others.

Renders are counted by wrapping the per-locale renderer (never by timing).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import pubflow.newsletter.build as build
from newsletter_data import ISSUE
from pubflow.config import Settings, load_settings
from pubflow.errors import IngestError
from pubflow.i18n.runtime import clear_cache
from pubflow.newsletter import NewsletterReport, render_newsletter, render_newsletters

SECOND = "2027-01"
BROKEN = "2027-02"


def _add_issues(root: Path, *, broken: bool = False) -> list[str]:
    """A second issue (same article, other date and subject), and optionally a broken third."""
    folder = root / "content" / "newsletters"
    text = (folder / f"{ISSUE}.toml").read_text("utf-8")
    second = (
        text.replace(f'id = "{ISSUE}"', f'id = "{SECOND}"')
        .replace("date = 2026-12-01", "date = 2027-01-05")
        .replace("Three ways to get more", "Three more ways to get more")
    )
    (folder / f"{SECOND}.toml").write_text(second, "utf-8")
    issues = [ISSUE, SECOND]
    if broken:
        # Line 4 names an article that does not exist.
        (folder / f"{BROKEN}.toml").write_text(
            f'id = "{BROKEN}"\ndate = 2027-02-01\n\narticle = "no-such-article"\n'
            'subject = "Broken"\npreheader = "Broken"\nintro = ["Broken"]\n',
            "utf-8",
        )
        issues.insert(1, BROKEN)
    return issues


def _outputs(root: Path) -> dict[str, bytes]:
    found = {}
    for folder in (root / "dist" / "newsletter", root / "dist" / "site"):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                found[path.relative_to(root / "dist").as_posix()] = path.read_bytes()
    return found


def _snapshot(report: NewsletterReport, root: Path) -> list[Any]:
    return [
        (r.locale, r.status, [f.as_dict() for f in r.findings], r.subject,
         [(f.name, f.path.relative_to(root).as_posix(), f.size, f.sha256) for f in r.files])
        for r in report.locales
    ] + [[s.describe() for s in report.skipped], report.up_to_date, report.summary().replace(str(root), "ROOT")]


def _copy(newsletter_project: Path, tmp_path: Path, name: str, *, broken: bool = False) -> tuple[Path, list[str]]:
    root = tmp_path / name
    shutil.copytree(newsletter_project, root)
    return root, _add_issues(root, broken=broken)


def _settings(root: Path, workers: int = 1) -> Settings:
    clear_cache()
    return load_settings(root).copy(workers=workers)


def test_several_issues_build_as_each_would_on_its_own(newsletter_project: Path, tmp_path: Path) -> None:
    together_root, issues = _copy(newsletter_project, tmp_path, "together")
    alone_root, _ = _copy(newsletter_project, tmp_path, "alone")
    seen: list[tuple[int, int, str]] = []
    together = render_newsletters(
        _settings(together_root), issues, progress=lambda *call: seen.append(call)
    )
    alone = [render_newsletter(_settings(alone_root), issue) for issue in issues]

    assert [r.issue_id for r in together] == issues and all(r.ok for r in together)
    assert _outputs(together_root) == _outputs(alone_root)
    assert len(_outputs(together_root)) > 2 * 6  # both issues, files and web copies
    for mine, theirs in zip(together, alone, strict=True):
        assert _snapshot(mine, together_root) == _snapshot(theirs, alone_root)
    total = sum(len(r.locales) for r in together)
    assert [(done, all_) for done, all_, _ in seen] == [(n, total) for n in range(1, total + 1)]
    assert sorted(what for _, _, what in seen) == sorted(
        f"{r.issue_id} {result.locale}" for r in together for result in r.locales
    )


def test_one_broken_issue_is_reported_and_the_others_are_built(
    newsletter_project: Path, tmp_path: Path
) -> None:
    root, issues = _copy(newsletter_project, tmp_path, "broken", broken=True)
    settings = _settings(root)
    reports = render_newsletters(settings, issues)

    assert [r.issue_id for r in reports] == [ISSUE, BROKEN, SECOND]
    good = [reports[0], reports[2]]
    assert all(r.ok and r.built and r.error is None for r in good)
    broken = reports[1]
    assert not broken.ok and broken.locales == [] and broken.written == []
    assert isinstance(broken.error, IngestError)
    assert broken.error.path is not None and broken.error.path.name == f"{BROKEN}.toml"
    assert broken.error.line == 4 and "no-such-article" in broken.error.describe()
    assert broken.summary().startswith(f"newsletter {BROKEN}: not built: ")
    assert not (root / "dist" / "newsletter" / BROKEN).exists()
    assert not (settings.build_path / "incremental" / "newsletter" / f"{BROKEN}.json").exists()

    # Alone, the broken issue raises the very error (as it always did).
    with pytest.raises(IngestError) as caught:
        render_newsletter(_settings(root), BROKEN)
    assert caught.value.describe() == broken.error.describe()


def test_an_invalid_issue_id_is_one_broken_issue(newsletter_project: Path) -> None:
    reports = render_newsletters(_settings(newsletter_project), ["../etc", ISSUE])
    assert reports[0].error is not None and "not a newsletter issue id" in reports[0].error.describe()
    assert reports[0].out_dir == newsletter_project / "dist" / "newsletter"  # never outside
    assert reports[1].ok and reports[1].built


class RenderSpy:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rendered: list[tuple[str, str]] = []
        render = build._render_locale

        def spy(settings: Any, loaded: Any, plan: Any, locale: str, *rest: Any) -> Any:
            self.rendered.append((loaded.issue.id, locale))
            return render(settings, loaded, plan, locale, *rest)

        monkeypatch.setattr(build, "_render_locale", spy)
        monkeypatch.setattr(build, "worker_count", lambda *_: 1)  # renders counted here

    def take(self) -> list[tuple[str, str]]:
        rendered, self.rendered = self.rendered, []
        return rendered


def test_incremental_state_is_kept_per_issue(
    newsletter_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, issues = _copy(newsletter_project, tmp_path, "state")
    spy = RenderSpy(monkeypatch)
    first = render_newsletters(_settings(root), issues)
    assert {issue for issue, _ in spy.take()} == set(issues)
    states = root / "build" / "incremental" / "newsletter"
    for report in first:
        state = json.loads((states / f"{report.issue_id}.json").read_text("utf-8"))
        assert sorted(state["locales"]) == sorted(r.locale for r in report.built)

    # Nothing changed: nothing renders, together or one issue alone (same fingerprints).
    again = render_newsletters(_settings(root), issues)
    assert spy.take() == [] and all(r.up_to_date == [x.locale for x in r.locales] for r in again)
    assert render_newsletter(_settings(root), SECOND).written == [] and spy.take() == []

    # One issue's file changed: only its locales render again.
    second = root / "content" / "newsletters" / f"{SECOND}.toml"
    second.write_text(second.read_text("utf-8").replace("2027-01-05", "2027-01-06"), "utf-8")
    reports = render_newsletters(_settings(root), issues)
    rendered = spy.take()
    assert rendered and {issue for issue, _ in rendered} == {SECOND}
    assert reports[0].up_to_date == [r.locale for r in reports[0].locales]
    assert reports[1].up_to_date == []

    # A deleted output of the first issue: that locale alone.
    (root / "dist" / "newsletter" / ISSUE / "de" / "email.txt").unlink()
    render_newsletters(_settings(root), issues)
    assert spy.take() == [(ISSUE, "de")]


def test_workers_build_the_same_issues_as_one_process(newsletter_project: Path, tmp_path: Path) -> None:
    built = {}
    for workers in (1, 2):
        root, issues = _copy(newsletter_project, tmp_path, f"w{workers}", broken=True)
        reports = render_newsletters(_settings(root, workers), issues)
        built[workers] = (
            _outputs(root),
            [_snapshot(r, root) if r.error is None else r.summary().replace(str(root), "ROOT") for r in reports],
        )
    assert built[1] == built[2]
