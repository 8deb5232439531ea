"""`pubflow build newsletter` on the command line, and the issue's strings in the catalogs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter_data import DOMAIN, INTRO, ISSUE, PREHEADER, SUBJECT, write_newsletter_po
from pubflow.cli import app
from pubflow.config import load_settings
from pubflow.i18n.extract import content_extractors, extract_messages, write_templates
from pubflow.i18n.pofile import dump_catalog

runner = CliRunner()


def test_build_newsletter_builds_and_reports(newsletter_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(newsletter_project)
    monkeypatch.delenv("PUBFLOW_ROOT", raising=False)
    result = runner.invoke(app, ["build", "newsletter", ISSUE])
    assert result.exit_code == 0, result.output
    assert "de: Drei Wege, mehr aus Ihrer Ketamintherapie herauszuholen" in result.output
    assert "skipped pt_BR" in result.output
    assert (newsletter_project / "dist" / "newsletter" / ISSUE / "ar" / "email.eml").is_file()
    again = runner.invoke(app, ["build", "newsletter", ISSUE, "--locale", "de"])
    assert again.exit_code == 0 and "0 files written" in again.output


def test_a_failed_locale_exits_1_and_says_why(newsletter_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(newsletter_project)
    monkeypatch.delenv("PUBFLOW_ROOT", raising=False)
    write_newsletter_po(newsletter_project, "ar", {SUBJECT: "سطر\u2028سطر"})
    result = runner.invoke(app, ["build", "newsletter", ISSUE, "-l", "ar", "-l", "de"])
    assert result.exit_code == 1
    assert f"failed ar: locales/ar/LC_MESSAGES/{DOMAIN}.po:" in result.output
    assert "Traceback" not in result.output


def test_user_errors_are_one_line_with_exit_2(newsletter_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(newsletter_project)
    monkeypatch.delenv("PUBFLOW_ROOT", raising=False)
    missing = runner.invoke(app, ["build", "newsletter", "2099-01"])
    assert missing.exit_code == 2
    assert "2099-01.toml: newsletter issue not found" in missing.output
    unknown = runner.invoke(app, ["build", "newsletter", ISSUE, "--locale", "xx"])
    assert unknown.exit_code == 2 and "'xx' is not configured" in unknown.output
    path = newsletter_project / "content" / "newsletters" / f"{ISSUE}.toml"
    path.write_text(path.read_text("utf-8").replace("subject =", "subjekt ="), "utf-8")
    broken = runner.invoke(app, ["build", "newsletter", ISSUE])
    assert broken.exit_code == 2
    assert f"{ISSUE}.toml:7: unknown field 'subjekt'" in broken.output
    assert "Traceback" not in broken.output


def test_the_issue_strings_are_extracted_with_context_comments_and_references(
    newsletter_project: Path,
) -> None:
    settings = load_settings(newsletter_project)
    assert any(getattr(e, "__name__", "") == "extract_newsletter_messages" for e in content_extractors())
    templates = extract_messages(settings)
    pot = templates[DOMAIN]
    entries = [e for e in pot if not e.obsolete]
    assert [(e.msgctxt, e.msgid) for e in entries] == [
        ("newsletter subject (max 80 characters)", SUBJECT),
        ("newsletter preheader (max 140 characters)", PREHEADER),
        (None, INTRO),
    ]
    assert [e.occurrences for e in entries] == [
        [(f"content/newsletters/{ISSUE}.toml", "7")],
        [(f"content/newsletters/{ISSUE}.toml", "8")],
        [(f"content/newsletters/{ISSUE}.toml", "10")],
    ]
    assert all(e.comment for e in entries)
    assert entries[2].comment == "intro, paragraph 1"
    # The UI strings of the newsletter templates land in `messages`.
    ui = {e.msgid for e in templates["messages"]}
    assert {"Tip %(number)s", "Read the tip", "Unsubscribe", "View in your browser"} <= ui

    # A call-to-action label joins the domain, and GNU msgfmt accepts what we write.
    path = newsletter_project / "content" / "newsletters" / f"{ISSUE}.toml"
    path.write_text(
        path.read_text("utf-8") + '\n[cta]\nlabel = "Book a session"\nurl = "https://example.org/{locale}/book/"\n',
        "utf-8",
    )
    pot = extract_messages(settings)[DOMAIN]
    cta = pot.find("Book a session")
    label_line = path.read_text("utf-8").splitlines().index('label = "Book a session"') + 1
    assert cta is not None and cta.comment.startswith("call-to-action")
    assert cta.occurrences == [(f"content/newsletters/{ISSUE}.toml", str(label_line))]
    write_templates(settings, {DOMAIN: pot})
    written = newsletter_project / "locales" / f"{DOMAIN}.pot"
    assert written.read_text("utf-8") == dump_catalog(pot)
    checked = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(written)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_all_builds_every_issue_and_reports_one_that_cannot_be_built(
    newsletter_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(newsletter_project)
    monkeypatch.delenv("PUBFLOW_ROOT", raising=False)
    folder = newsletter_project / "content" / "newsletters"
    text = (folder / f"{ISSUE}.toml").read_text("utf-8")
    broken = text.replace(f'id = "{ISSUE}"', 'id = "2027-01"').replace(
        'article = "achieving-relief-with-ketamine-therapy"', 'article = "no-such-article"'
    )
    (folder / "2027-01.toml").write_text(broken, "utf-8")
    (folder / "bad name.toml").write_text(text, "utf-8")  # a copy whose name is no issue id

    result = runner.invoke(app, ["build", "newsletter", "--all", "-l", "de"])
    assert result.exit_code == 1, result.output
    assert ISSUE in result.output and "de: Drei Wege" in result.output  # the good one is built
    assert "2027-01" in result.output and "no-such-article" in result.output
    assert "'bad name' is not a newsletter issue id" in result.output
    assert "Traceback" not in result.output
    assert (newsletter_project / "dist" / "newsletter" / ISSUE / "de" / "email.eml").is_file()
    assert not (newsletter_project / "dist" / "newsletter" / "2027-01").exists()

    (folder / "2027-01.toml").unlink()
    (folder / "bad name.toml").unlink()
    several = runner.invoke(app, ["build", "newsletter", ISSUE, ISSUE, "-l", "de"])
    assert several.exit_code == 0 and "0 files written" in several.output


def test_an_issue_or_all_is_required(newsletter_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(newsletter_project)
    monkeypatch.delenv("PUBFLOW_ROOT", raising=False)
    neither = runner.invoke(app, ["build", "newsletter"])
    assert neither.exit_code == 2 and "name an issue" in neither.output and "--all" in neither.output
    both = runner.invoke(app, ["build", "newsletter", ISSUE, "--all"])
    assert both.exit_code == 2 and "not both" in both.output
    for path in (newsletter_project / "content" / "newsletters").glob("*.toml"):
        path.unlink()
    none = runner.invoke(app, ["build", "newsletter", "--all"])
    assert none.exit_code == 2 and "no newsletter issue in content/newsletters/" in none.output


def test_a_broken_issue_holds_up_no_other_catalog(
    newsletter_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Marketing drafts an issue with a typo; translators' catalog updates go on for the rest.
    monkeypatch.chdir(newsletter_project)
    monkeypatch.delenv("PUBFLOW_ROOT", raising=False)
    first = runner.invoke(app, ["catalogs", "update"])
    assert first.exit_code == 0, first.output
    settings = load_settings(newsletter_project)
    issue_po = settings.locales_path / "de" / "LC_MESSAGES" / f"{DOMAIN}.po"
    issue_pot = settings.locales_path / f"{DOMAIN}.pot"
    kept = (issue_po.read_bytes(), issue_pot.read_bytes())
    path = settings.newsletters_path / f"{ISSUE}.toml"
    path.write_text(path.read_text("utf-8").replace("subject =", "subjekt ="), "utf-8")
    article = settings.articles_path / "achieving-relief-with-ketamine-therapy.md"
    article.write_text(article.read_text("utf-8").replace("Navigating the world", "Exploring the world", 1), "utf-8")

    result = runner.invoke(app, ["catalogs", "update"])
    assert result.exit_code == 2, result.output
    assert f"content/newsletters/{ISSUE}.toml:7: unknown field 'subjekt'" in result.stderr
    assert (issue_po.read_bytes(), issue_pot.read_bytes()) == kept  # left as they were
    assert DOMAIN not in result.stdout  # not reported as gone: its source is only broken
    pot = (settings.locales_path / "achieving-relief-with-ketamine-therapy.pot").read_text("utf-8")
    assert "Exploring the world" in pot  # the article's change was merged all the same
    assert "Exploring the world" in (
        settings.locales_path / "de" / "LC_MESSAGES" / "achieving-relief-with-ketamine-therapy.po"
    ).read_text("utf-8")
