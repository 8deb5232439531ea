"""Building the first issue: the files of each locale, the .eml, languages, checks, rebuilds."""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import html5lib
import pytest

from newsletter_data import ARTICLE, DOMAIN, ISSUE, NEWSLETTER, SUBJECT, UI, write_newsletter_po
from pubflow.config import load_settings
from pubflow.deliver.links import UNSUBSCRIBE_TOKEN_PLACEHOLDER
from pubflow.deliver.message import find_issue_emails, personalise
from pubflow.i18n.runtime import clear_cache
from pubflow.newsletter import NewsletterReport, render_newsletter
from pubflow.newsletter.checks import SIZE_LIMIT, check_header_text, check_size
from pubflow.render.environment import Shown
from pubflow.i18n.states import State

def catalog_translation(root: Path, locale: str, msgid: str) -> str:
    import polib

    po = polib.pofile(str(root / "locales" / locale / "LC_MESSAGES" / f"{ARTICLE}.po"))
    entry = po.find(msgid)
    assert entry is not None and entry.msgstr, f"{locale} has no translation of {msgid!r}"
    return entry.msgstr


def parse_eml(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.SMTP)
    assert isinstance(message, EmailMessage)
    return message


def root_of(report: NewsletterReport) -> Path:
    return report.out_dir.parents[2]


@pytest.mark.parametrize("locale", ["en", "de", "ar", "en_XA"])
def test_each_locale_gets_every_file_and_a_complete_eml(built_issue: NewsletterReport, locale: str) -> None:
    result = built_issue.result(locale)
    assert result.status == "built", result.describe_failure()
    folder = built_issue.out_dir / locale
    for name in ("email.mjml", "email.html", "email.txt", "email.eml"):
        assert (folder / name).is_file()
    assert result.file("archive").path == root_of(built_issue) / "dist" / "site" / locale / "newsletter" / ISSUE / "index.html"

    message = parse_eml(folder / "email.eml")
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert parts[0].get_content().replace("\r\n", "\n") == (folder / "email.txt").read_text("utf-8")
    html = parts[1].get_content().replace("\r\n", "\n")
    assert html.rstrip("\n") == (folder / "email.html").read_text("utf-8").rstrip("\n")

    settings = load_settings(root_of(built_issue))
    if locale == "en_XA":  # pseudo-translated (machine suggestions, shown for QA)
        assert message["Subject"].startswith("[Ŧĥŕéé ŵàýš") and len(message["Subject"]) <= 80
    else:
        assert message["Subject"] == NEWSLETTER.get(locale, {}).get(SUBJECT, SUBJECT)
    assert message["From"] == settings.mail_from
    assert message["List-Id"] == settings.list_id
    assert message["Date"].datetime.date().isoformat() == "2026-12-01"
    assert re.fullmatch(rf"<{ISSUE}\.{locale}\.[0-9a-f]{{20}}@pubflow\.example\.org>", message["Message-ID"])
    unsubscribe = f"{settings.unsubscribe_base_url}/{UNSUBSCRIBE_TOKEN_PLACEHOLDER}"
    assert message["List-Unsubscribe"] == (
        f"<{unsubscribe}>, <mailto:{settings.unsubscribe_mailto}"
        f"?subject=unsubscribe-{UNSUBSCRIBE_TOKEN_PLACEHOLDER}>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Content-Language"] == locale.replace("_", "-")
    assert "To" not in message  # sending adds it
    raw = (folder / "email.eml").read_bytes()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"=?utf-8?q?=3Cmailto" not in raw  # List-Unsubscribe is never RFC 2047 encoded


def test_reply_to_comes_from_the_settings(newsletter_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBFLOW_REPLY_TO", "Team <team@pubflow.example.org>")
    report = render_newsletter(load_settings(newsletter_project), ISSUE, ["de"])
    message = parse_eml(report.out_dir / "de" / "email.eml")
    assert message["Reply-To"] == "Team <team@pubflow.example.org>"


@pytest.mark.parametrize(("locale", "direction"), [("en", "ltr"), ("de", "ltr"), ("ar", "rtl")])
def test_tips_and_related_titles_are_in_the_locale_language(
    built_issue: NewsletterReport, locale: str, direction: str
) -> None:
    root = root_of(built_issue)
    html = (built_issue.out_dir / locale / "email.html").read_text("utf-8")
    text = (built_issue.out_dir / locale / "email.txt").read_text("utf-8")
    assert re.search(rf'<html lang="{locale}" dir="{direction}"', html)
    english = ["Understanding Ketamine's Mechanism", "Enhancing Long-Term Outcomes",
               "Unlocking Trauma Recovery With Ketamine Therapy"]
    for msgid in english:
        shown = msgid if locale == "en" else catalog_translation(root, locale, msgid)
        assert shown.replace("'", "&#39;") in html or shown in html
        assert shown in text
        if locale != "en":
            assert msgid not in text
    for msgid in UI.get(locale, {}):
        if locale in UI and "%(" not in msgid and "machine" not in msgid and "web version" not in msgid:
            assert UI[locale][msgid] in text or UI[locale][msgid] in html
    if locale == "ar":
        assert 'direction:rtl' in html and 'align="right"' in html


def test_the_html_has_what_the_issue_asks_for(built_issue: NewsletterReport) -> None:
    html = (built_issue.out_dir / "de" / "email.html").read_text("utf-8")
    document = html5lib.parse(html, namespaceHTMLElements=False)
    hrefs = [a.get("href") for a in document.iter("a")]
    article = f"https://pubflow.example.org/de/{ARTICLE}/"
    for number in (1, 2, 3):
        assert any(h.startswith(f"{article}?") and h.endswith(f"utm_content=tip-{number}#tip-{number}") for h in hrefs)
    assert any("utm_content=cta" in h for h in hrefs)
    archive = f"https://pubflow.example.org/de/newsletter/{ISSUE}/"
    assert any(h.startswith(archive) and "utm_content=view-in-browser" in h for h in hrefs)
    assert f"https://pubflow.example.org/unsubscribe/{UNSUBSCRIBE_TOKEN_PLACEHOLDER}" in hrefs
    preview = NEWSLETTER["de"]["How it works, how to prepare, and how to make the relief last."]
    assert preview in html  # mj-preview
    assert "<img" not in html  # no related article has an image: placeholders, never broken images
    assert "fonts.googleapis" not in html and "<script" not in html
    assert all(h.startswith(("https://", "mailto:")) for h in hrefs)
    assert "@media only screen and (min-width:480px)" in html  # columns stack below 480 px
    assert 'max-width:600px' in html
    excerpt = re.search(r"<p>([^<]*…)</p>", html)
    assert excerpt and 100 <= len(excerpt.group(1)) <= 160


def test_the_plain_text_part_is_written_for_reading(built_issue: NewsletterReport) -> None:
    text = (built_issue.out_dir / "de" / "email.txt").read_text("utf-8")
    lines = text.splitlines()
    subject = NEWSLETTER["de"][SUBJECT]
    assert lines[0] == subject and lines[1] == "=" * len(subject)
    assert all(len(line) <= 72 for line in lines if "https://" not in line)
    assert "<" not in text and "&amp;" not in text  # not an HTML dump
    footnotes = [line for line in lines if re.match(r"^\[\d+\] ", line)]
    assert footnotes and all(re.match(r"^\[\d+\] (https://|mailto:)", line) for line in footnotes)
    numbers = [int(n) for n in re.findall(r"^\[(\d+)\]", text, re.M)]
    assert numbers == list(range(1, len(numbers) + 1))
    body = text.split("\n-- \n")[0] + text.split("\n-- \n")[1].split("\n\n")[1]
    references = [int(n) for n in re.findall(r"\[(\d+)\]$", body, re.M)]
    assert references == numbers  # every footnote is referenced once, in reading order
    assert re.search(r"^Tipp 1: .+\n-+$", text, re.M)  # numbered, underlined tips
    assert f"/unsubscribe/{UNSUBSCRIBE_TOKEN_PLACEHOLDER}" in text


def test_the_web_archive_copy_has_no_unsubscribe_link_and_no_tracking(built_issue: NewsletterReport) -> None:
    page = built_issue.result("de").file("archive").path.read_text("utf-8")
    assert "unsubscribe" not in page.lower() and UNSUBSCRIBE_TOKEN_PLACEHOLDER not in page
    assert "utm_" not in page
    assert f'<link rel="canonical" href="https://pubflow.example.org/de/newsletter/{ISSUE}/"' in page
    assert "noindex" not in page
    qa_page = built_issue.result("en_XA").file("archive").path.read_text("utf-8")
    assert '<meta name="robots" content="noindex"' in qa_page  # the pseudo-locale is never indexed


def test_the_manifest_lists_files_sizes_and_checks(built_issue: NewsletterReport) -> None:
    manifest = json.loads(built_issue.manifest_path.read_text("utf-8"))
    assert manifest["issue"] == ISSUE and manifest["article"] == ARTICLE
    de = manifest["locales"]["de"]
    assert de["status"] == "built" and de["subject"] == NEWSLETTER["de"][SUBJECT]
    html = built_issue.out_dir / "de" / "email.html"
    assert de["files"]["email.html"] == {
        "path": f"newsletter/{ISSUE}/de/email.html",
        "bytes": html.stat().st_size,
        "sha256": built_issue.result("de").file("email.html").sha256,
    }
    assert de["checks"]["size"] == "ok" and de["checks"]["mjml"] == "ok" and de["checks"]["links"] == "ok"
    assert manifest["locales"]["en_XA"]["qa_only"] is True
    assert manifest["locales"]["pt_BR"]["status"] == "not published"


def test_the_built_email_personalises_for_sending(built_issue: NewsletterReport) -> None:
    emails = find_issue_emails(root_of(built_issue) / "dist", ISSUE, "en")
    assert set(emails.locales) >= {"en", "de", "ar"}
    copy = personalise(emails.read("de"), to="reader@example.org", token="tok123")
    assert "tok123" in copy["List-Unsubscribe"]
    assert all(UNSUBSCRIBE_TOKEN_PLACEHOLDER not in part.get_content() for part in copy.iter_parts())


def test_a_rebuild_with_nothing_changed_rewrites_nothing(newsletter_project: Path) -> None:
    settings = load_settings(newsletter_project)
    first = render_newsletter(settings, ISSUE, ["en", "de", "ar"])
    assert len(first.written) == 15
    stamps = {p: p.stat().st_mtime_ns for p in [*first.written, first.manifest_path]}
    clear_cache()
    second = render_newsletter(load_settings(newsletter_project), ISSUE, ["en", "de", "ar"])
    assert second.written == [] and len(second.unchanged) == 15
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps

    # One catalog changes: only that locale's files are rewritten.
    write_newsletter_po(newsletter_project, "de", {SUBJECT: "Drei Wege zu mehr Linderung"})
    third = render_newsletter(load_settings(newsletter_project), ISSUE, ["en", "de", "ar"])
    assert {p.parent.name for p in third.written if p.parent.parent == third.out_dir} == {"de"}
    assert parse_eml(third.out_dir / "de" / "email.eml")["Subject"] == "Drei Wege zu mehr Linderung"


def test_a_line_break_in_a_translated_subject_is_refused(newsletter_project: Path) -> None:
    settings = load_settings(newsletter_project)
    good = render_newsletter(settings, ISSUE, ["en", "de", "ar"])
    before = (good.out_dir / "de" / "email.eml").read_bytes()

    po = write_newsletter_po(newsletter_project, "de", {SUBJECT: "Drei Wege\r\nBcc: everyone@example.org"})
    report = render_newsletter(load_settings(newsletter_project), ISSUE, ["en", "de", "ar"])
    assert [(r.locale, r.status) for r in report.locales] == [("en", "built"), ("de", "failed"), ("ar", "built")]
    (error,) = report.result("de").errors
    assert error.check == "translation"
    assert error.path == po.relative_to(newsletter_project)
    assert error.line is not None
    entry = "\n".join(po.read_text("utf-8").splitlines()[error.line - 1 : error.line + 3])
    assert "Drei Wege\\r\\n" in entry and SUBJECT in entry
    assert "refused" in error.message and "pubflow check --locale de" in error.message
    # Nothing of de was written: the last good build stays as it was.
    assert (report.out_dir / "de" / "email.eml").read_bytes() == before
    assert b"Bcc" not in before
    manifest = json.loads(report.manifest_path.read_text("utf-8"))
    assert manifest["locales"]["de"]["status"] == "failed"
    assert manifest["locales"]["de"]["checks"]["translation"] == "error"


def test_header_checks_hold_even_if_a_catalog_slipped_through(newsletter_settings: object) -> None:
    # Defence in depth: a compiled catalog edited by hand could still carry a line break.
    shown = Shown("Drei Wege\nBcc: x@example.org", State.REVIEWED, "de", "de", False)
    findings = check_header_text(
        newsletter_settings, locale="de", domain=DOMAIN, field="subject", msgid=SUBJECT,  # type: ignore[arg-type]
        context="newsletter subject (max 80 characters)", shown=shown,
    )
    assert [(f.severity, f.check) for f in findings] == [("error", "header")]
    long = Shown("x" * 81, State.REVIEWED, "de", "de", False)
    findings = check_header_text(
        newsletter_settings, locale="de", domain=DOMAIN, field="subject", msgid=SUBJECT,  # type: ignore[arg-type]
        context="newsletter subject (max 80 characters)", shown=long,
    )
    assert [(f.severity, f.check) for f in findings] == [("error", "header")]


def test_the_size_check_fires_on_a_bloated_issue(newsletter_project: Path) -> None:
    assert check_size("x" * (90 * 1024)) == []
    assert [f.severity for f in check_size("x" * (95 * 1024))] == ["warning"]
    assert [f.severity for f in check_size("x" * (SIZE_LIMIT + 1))] == ["error"]

    issue = newsletter_project / "content" / "newsletters" / f"{ISSUE}.toml"
    paragraphs = ", ".join(f'"Paragraph {n}: {"Lorem ipsum dolor sit amet. " * 30}"' for n in range(150))
    text = re.sub(r"intro = \[.*?\]\n", f"intro = [{paragraphs}]\n", issue.read_text("utf-8"), flags=re.S)
    issue.write_text(text, "utf-8")
    report = render_newsletter(load_settings(newsletter_project), ISSUE, ["en", "de"])
    assert [r.status for r in report.locales] == ["failed", "failed"]
    for result in report.locales:
        (error,) = result.errors
        assert error.check == "size" and "Gmail" in error.message
        assert not (report.out_dir / result.locale).exists()


def test_translated_markup_never_runs_in_the_email(newsletter_project: Path) -> None:
    from newsletter_data import INTRO

    write_newsletter_po(newsletter_project, "de", {INTRO: 'Hallo <script>alert(1)</script><img src=x onerror="alert(2)">'})
    report = render_newsletter(load_settings(newsletter_project), ISSUE, ["de"])
    html = (report.out_dir / "de" / "email.html").read_text("utf-8")
    assert "<script" not in html and "onerror=" not in html.replace("onerror=&#34;", "").replace("onerror=&quot;", "")
    assert "<img" not in html


def test_a_configured_locale_that_is_not_published_is_skipped_not_built(newsletter_project: Path) -> None:
    report = render_newsletter(load_settings(newsletter_project), ISSUE, ["pt_BR", "de"])
    assert [r.locale for r in report.locales] == ["de"]
    assert [s.locale for s in report.skipped] == ["pt_BR"]
    assert not (report.out_dir / "pt_BR").exists()


def test_cta_and_images_keep_their_parameters_and_get_alt_text(newsletter_project: Path) -> None:
    issue = newsletter_project / "content" / "newsletters" / f"{ISSUE}.toml"
    issue.write_text(
        issue.read_text("utf-8")
        + '\n[cta]\nlabel = "Book a session"\nurl = "https://shop.example.org/{locale}/book/?utm_source=partner&ref=mail"\n',
        "utf-8",
    )
    article = newsletter_project / "content" / "articles" / f"{ARTICLE}.md"
    text = article.read_text("utf-8")
    text = text.replace("  slug: why-use-ketamine-for-forgiveness-in-trauma-recovery\n  image: null",
                        "  slug: why-use-ketamine-for-forgiveness-in-trauma-recovery\n  image: https://cdn.example.org/forgiveness.jpg", 1)
    text = text.replace("  slug: what-role-does-ketamine-play-in-trauma-processing\n  image: null",
                        "  slug: what-role-does-ketamine-play-in-trauma-processing\n  image: http://insecure.example.org/x.jpg", 1)
    article.write_text(text, "utf-8")

    report = render_newsletter(load_settings(newsletter_project), ISSUE, ["de"])
    assert report.ok, report.result("de").describe_failure()
    document = html5lib.parse((report.out_dir / "de" / "email.html").read_text("utf-8"), namespaceHTMLElements=False)
    (cta,) = [a.get("href") for a in document.iter("a") if "shop.example.org" in (a.get("href") or "")]
    assert cta.startswith("https://shop.example.org/de/book/?utm_source=partner&ref=mail&")
    assert "utm_source=newsletter" not in cta and cta.endswith("utm_content=cta")
    (image,) = list(document.iter("img"))  # the http image is refused: a placeholder instead
    assert image.get("src") == "https://cdn.example.org/forgiveness.jpg"
    assert image.get("alt") == "Warum Ketamin für Vergebung bei der Traumabewältigung nutzen?"
    assert "Book a session" in (report.out_dir / "de" / "email.txt").read_text("utf-8")  # untranslated label
    assert any(
        f.check == "translation" and "1 of the issue's strings are not translated into de" in f.message
        for f in report.result("de").warnings
    )


def test_machine_translations_show_only_under_the_machine_policy_with_a_notice(
    newsletter_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsletter_data import CONTEXTS, INTRO, po_file, write_po

    texts = NEWSLETTER["de"]
    write_po(po_file(newsletter_project, "de", DOMAIN), "de",
             [(CONTEXTS.get(k), k, v) for k, v in texts.items()], machine="google")
    reviewed = render_newsletter(load_settings(newsletter_project), ISSUE, ["de"])
    html = (reviewed.out_dir / "de" / "email.html").read_text("utf-8")
    assert INTRO in html and texts[INTRO] not in html
    assert "maschinell" not in html

    monkeypatch.setenv("PUBFLOW_PUBLISH_POLICY", "machine")
    clear_cache()
    machine = render_newsletter(load_settings(newsletter_project), ISSUE, ["de"])
    html = (machine.out_dir / "de" / "email.html").read_text("utf-8")
    assert texts[INTRO] in html
    # The UI strings are reviewed: only the issue's own strings are machine-made, and the
    # notice still shows (the context's lookups count, not just the template's).
    assert UI["de"]["This email was translated by machine and has not been reviewed yet."] in html
    assert parse_eml(machine.out_dir / "de" / "email.eml")["Subject"] == texts[SUBJECT]


def test_a_language_no_longer_published_loses_its_old_email_and_web_copy(newsletter_project: Path) -> None:
    settings = load_settings(newsletter_project)
    lenient = render_newsletter(settings.copy(coverage_threshold=0), ISSUE, ["pt_BR", "en"])
    assert sorted(r.locale for r in lenient.locales if r.status == "built") == ["en", "pt_BR"]
    email = lenient.out_dir / "pt_BR" / "email.eml"
    archive = settings.dist_path / "site" / "pt_BR" / "newsletter" / ISSUE / "index.html"
    assert email.is_file() and archive.is_file()

    report = render_newsletter(settings, ISSUE, ["pt_BR", "en"])  # back to the 50 % threshold
    assert [s.locale for s in report.skipped] == ["pt_BR"]
    assert not email.exists() and not (lenient.out_dir / "pt_BR").exists()
    assert not archive.exists()
    emails = find_issue_emails(settings.dist_path, ISSUE, "en")
    assert "pt_BR" not in emails.files and emails.locale_for("pt_BR") == "en"


def test_an_issue_edited_after_its_build_is_sendable_again_once_rebuilt(newsletter_project: Path) -> None:
    from pubflow.errors import DeliveryError

    settings = load_settings(newsletter_project)
    source = settings.newsletters_path / f"{ISSUE}.toml"
    render_newsletter(settings, ISSUE, ["en"])
    assert find_issue_emails(settings.dist_path, ISSUE, "en", source=source).files
    source.write_text(source.read_text("utf-8") + "# a note that changes no email\n", "utf-8")
    with pytest.raises(DeliveryError, match="changed after its last build"):
        find_issue_emails(settings.dist_path, ISSUE, "en", source=source)
    render_newsletter(settings, ISSUE, ["en"])  # same emails; the manifest records the new file
    assert find_issue_emails(settings.dist_path, ISSUE, "en", source=source).files


def test_the_preview_keeps_built_issues_web_copies_in_step(newsletter_project: Path) -> None:
    # A translator previewing a newsletter string: the web copy is rebuilt with the site;
    # an issue nobody built is not built by the preview.
    from pubflow.render.preview import Preview

    settings = load_settings(newsletter_project)
    web_copy = settings.dist_path / "site" / "de" / "newsletter" / ISSUE / "index.html"
    logs: list[str] = []
    preview = Preview(settings, port=0, log=logs.append)
    assert preview.build() is not None and not web_copy.exists()  # never built: left alone

    assert render_newsletter(settings, ISSUE, ["de"]).ok
    assert "Drei Wege, mehr aus" in web_copy.read_text("utf-8")
    write_newsletter_po(newsletter_project, "de", {SUBJECT: "Drei neue Wege zur Ketamintherapie"})
    clear_cache()
    assert preview.build() is not None
    assert "Drei neue Wege zur Ketamintherapie" in web_copy.read_text("utf-8")

    # A save that breaks the issue's catalog is named, as a page's would be.
    write_newsletter_po(newsletter_project, "de", {SUBJECT: "Drei\nWege"})
    clear_cache()
    preview.build()
    assert any(f"newsletter {ISSUE} not rebuilt for de:" in line for line in logs), logs
