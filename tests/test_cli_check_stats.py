"""`pubflow check` and `pubflow stats` as a user runs them: output format and exit codes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pubflow.cli import app

BROKEN = Path(__file__).parent / "i18n" / "broken"
FIXTURES = sorted(BROKEN.glob("*.po"))
LINE = re.compile(
    r"^(?P<path>locales/[A-Za-z_]+/LC_MESSAGES/[a-z0-9-]+\.po):(?P<line>\d+): "
    r"(?P<severity>error|warning): (?P<check>[a-z-]+): (?P<message>.+)$"
)
SUMMARY = re.compile(r"^checked \d+ catalogs?: \d+ errors?, \d+ warnings?( \(in \d+ catalogs?\))?$")

GOOD = """msgid ""
msgstr ""
"Language: de\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Hello"
msgstr "Hallo"

# machine-translated: google 2026-11-25
#, fuzzy
msgid "Good morning"
msgstr "Guten Morgen"

msgid "Missing"
msgstr ""
"""


def annotation(path: Path, name: str) -> list[str]:
    prefix = f"# {name}: "
    return [
        line[len(prefix):].strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(prefix)
    ]


def expected_checks(path: Path) -> set[tuple[str, str]]:
    """(severity, check) pairs from the fixture's ``# expect: error markup [at …]`` lines."""
    return {tuple(item.split()[:2]) for item in annotation(path, "expect")}  # type: ignore[misc]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pubflow]\nlocales = ["de", "fr", "ar", "pt_BR"]\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBFLOW_ROOT", raising=False)
    return tmp_path


def put(root: Path, locale: str, domain: str, text: str) -> Path:
    path = root / "locales" / locale / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str):  # noqa: ANN201 — typer's Result
    return CliRunner().invoke(app, list(args))


def _fixture_params() -> list[object]:
    return [pytest.param(path, id=path.stem) for path in FIXTURES]


@pytest.mark.parametrize("fixture", _fixture_params())
def test_check_reports_each_broken_fixture(root: Path, fixture: Path) -> None:
    (locale,) = annotation(fixture, "locale")
    expected = expected_checks(fixture)
    # Markup matters where strings are HTML: the UI domain (content is plain text, see
    # test_content_is_plain_text_so_its_tags_are_text).
    domain = "messages" if ("error", "markup") in expected else fixture.stem
    shutil.copy(fixture, put(root, locale, domain, ""))
    result = run("check", "--locale", locale, "--domain", domain)
    lines = result.stdout.splitlines()
    assert lines, result.output
    assert SUMMARY.match(lines[-1]), lines[-1]
    found = [LINE.match(line) for line in lines[:-1]]
    assert all(found), lines
    if fixture.stem == "header-charset":
        # The strict reader refuses a non-UTF-8 declaration before the header check can run:
        # it is reported as an unreadable catalog, at the Content-Type line.
        expected = {("error", "catalog")}
        text = fixture.read_text(encoding="utf-8").splitlines()
        content_type = next(n for n, l in enumerate(text, 1) if l.startswith('"Content-Type:'))
        assert [int(m["line"]) for m in found if m] == [content_type]
    assert {(m["severity"], m["check"]) for m in found if m} == expected
    assert {m["path"] for m in found if m} == {f"locales/{locale}/LC_MESSAGES/{domain}.po"}
    wants_error = any(severity == "error" for severity, _ in expected)
    assert result.exit_code == (1 if wants_error else 0), result.output


def test_check_passes_a_good_catalog_with_exit_zero(root: Path) -> None:
    put(root, "de", "messages", GOOD)
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["checked 1 catalog: 0 errors, 0 warnings"]


def test_warnings_alone_do_not_fail(root: Path) -> None:
    put(root, "de", "messages", GOOD.replace('msgstr "Hallo"', 'msgstr "Hallo "'))
    result = run("check")
    assert result.exit_code == 0, result.output
    (warning, summary) = result.stdout.splitlines()
    assert warning.startswith("locales/de/LC_MESSAGES/messages.po:7: warning: whitespace: ")
    assert summary == "checked 1 catalog: 0 errors, 1 warning"


STRAY_NAMES = ["messages (copy)", "messages_old", "Messages", "messages.de"]


def test_a_stray_po_file_is_a_warning_naming_it_not_a_failure_of_every_language(root: Path) -> None:
    put(root, "de", "messages", GOOD)
    put(root, "fr", "messages", GOOD.replace("Language: de", "Language: fr").replace("(n != 1)", "(n > 1)"))
    for name in STRAY_NAMES:  # a copy, a backup, a misspelt name: no template, no domain's name
        put(root, "de", name, GOOD + "\nthis is not po\n")
    result = run("check")
    assert result.exit_code == 0, result.output  # a warning alone
    *warnings, summary = result.stdout.splitlines()
    assert warnings == [
        (
            f"locales/de/LC_MESSAGES/{name}.po: warning: catalog: not a catalog of this project "
            f"(no template {name}.pot): rename or remove it"
        )
        for name in sorted(STRAY_NAMES)
    ]
    assert summary == "checked 2 catalogs: 0 errors, 4 warnings"
    assert run("stats").exit_code == 0
    assert run("check", "--locale", "fr").stdout.splitlines() == ["checked 1 catalog: 0 errors, 0 warnings"]


def test_unreadable_catalog_is_an_error_line_and_the_rest_is_still_checked(root: Path) -> None:
    put(root, "de", "messages", GOOD + "\nthis is not po\n")
    put(root, "fr", "messages", GOOD.replace("Language: de", "Language: fr").replace(
        "plural=(n != 1)", "plural=(n > 1)").replace('msgstr "Hallo"', 'msgstr "Bonjour <script>x</script>"'))
    result = run("check")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    bad_line = (GOOD + "\nthis is not po\n").splitlines().index("this is not po") + 1
    assert lines[0].startswith(f"locales/de/LC_MESSAGES/messages.po:{bad_line}: error: catalog: PO syntax error")
    assert lines[1].startswith("locales/fr/LC_MESSAGES/messages.po:7: error: markup: ")
    assert lines[-1] == "checked 2 catalogs: 2 errors, 0 warnings (in 2 catalogs)"


def test_check_limits_to_the_given_locale(root: Path) -> None:
    put(root, "de", "messages", GOOD + "\nthis is not po\n")
    put(root, "fr", "messages", GOOD.replace("Language: de", "Language: fr").replace(
        "plural=(n != 1)", "plural=(n > 1)"))
    result = run("check", "--locale", "fr")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["checked 1 catalog: 0 errors, 0 warnings"]


def test_check_usage_errors_exit_two_with_one_line(root: Path) -> None:
    put(root, "de", "messages", GOOD)
    unknown_locale = run("check", "--locale", "it")
    assert unknown_locale.exit_code == 2
    assert "not configured" in unknown_locale.stderr
    unknown_domain = run("check", "--domain", "nope")
    assert unknown_domain.exit_code == 2
    assert "nope" in unknown_domain.stderr and "Traceback" not in unknown_domain.output


def test_stats_json_rows_have_exactly_the_documented_keys(root: Path) -> None:
    put(root, "de", "messages", GOOD)
    result = run("stats", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows == [
        {
            "locale": "de", "domain": "messages", "reviewed": 1, "machine": 1, "stale": 0,
            "missing": 1, "invalid": 0, "total": 3, "percent_reviewed": 33.3,
        }
    ]


def test_stats_table_and_locale_filter(root: Path) -> None:
    put(root, "de", "messages", GOOD)
    put(root, "fr", "messages", GOOD.replace("Language: de", "Language: fr").replace(
        "plural=(n != 1)", "plural=(n > 1)"))
    table = run("stats")
    assert table.exit_code == 0, table.output
    assert "messages" in table.stdout and "33.3" in table.stdout
    assert {"de", "fr"} <= set(re.findall(r"\b(de|fr)\b", table.stdout))
    only_fr = json.loads(run("stats", "--json", "--locale", "fr").stdout)
    assert [row["locale"] for row in only_fr] == ["fr"]


def test_stats_on_an_unreadable_catalog_exits_two_with_file_and_line(root: Path) -> None:
    put(root, "de", "messages", GOOD + "\nthis is not po\n")
    result = run("stats")
    assert result.exit_code == 2
    assert "locales/de/LC_MESSAGES/messages.po:" in result.stderr.replace("\n", "")
    assert "Traceback" not in result.output


def test_stats_without_catalogs_says_what_to_do(root: Path) -> None:
    result = run("stats")
    assert result.exit_code == 0
    assert "pubflow catalogs update" in result.stdout
    assert json.loads(run("stats", "--json").stdout) == []


def test_a_folder_in_place_of_a_catalog_is_an_error_not_skipped(root: Path) -> None:
    put(root, "de", "messages", GOOD)
    (root / "locales" / "messages.pot").write_text(GOOD.replace("Hallo", ""), encoding="utf-8")
    (root / "locales" / "fr" / "LC_MESSAGES" / "messages.po").mkdir(parents=True)
    result = run("check")
    assert result.exit_code == 1, result.output
    assert "locales/fr/LC_MESSAGES/messages.po: error: catalog: cannot read catalog" in result.stdout


def test_a_placeholder_added_to_a_ui_string_is_an_error_even_without_its_flag(root: Path) -> None:
    # Jinja2 formats every UI string (domain messages) with the call's variables: an added
    # %(secret)s fails when the page renders, so check says so first. Content is shown as
    # written: the same translation in an article's catalog passes.
    added = GOOD.replace('msgstr "Hallo"', 'msgstr "Hallo %(secret)s"')
    put(root, "de", "messages", added)
    put(root, "de", "an-article", added)
    result = run("check")
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stdout.splitlines() if ": error: placeholders:" in line]
    assert len(errors) == 1 and errors[0].startswith("locales/de/LC_MESSAGES/messages.po:")


def test_the_always_formatted_domain_is_the_ui_domain() -> None:
    from pubflow.i18n.checks import ALWAYS_FORMATTED_DOMAINS
    from pubflow.i18n.extract import UI_DOMAIN

    assert ALWAYS_FORMATTED_DOMAINS == {UI_DOMAIN}


_PLAIN_HEADER = (
    'msgid ""\nmsgstr ""\n"Language: de\\n"\n"MIME-Version: 1.0\\n"\n'
    '"Content-Type: text/plain; charset=UTF-8\\n"\n"Content-Transfer-Encoding: 8bit\\n"\n'
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
)


def test_content_is_plain_text_so_its_tags_are_text(root: Path) -> None:
    # An article's prose about HTML: shown as written (escaped), so a faithful translation
    # keeps its "tags" and passes; a tag it adds would show as text and is refused.
    put(root, "de", "html-tips", _PLAIN_HEADER + (
        'msgid "Put the <script> tag at the end of the body."\n'
        'msgstr "Setze das <script>-Tag ans Ende des Body."\n\n'
        'msgid "If x<y and y>z then we love it <3."\n'
        'msgstr "Wenn x<y und y>z, dann lieben wir es <3."\n\n'
        'msgid "Use a video for clips."\n'
        'msgstr "Nutze ein <b>Video</b> für Clips."\n'
    ))
    result = run("check", "--locale", "de", "--domain", "html-tips")
    lines = result.stdout.splitlines()
    assert result.exit_code == 1, result.output
    assert lines[:-1] == [
        "locales/de/LC_MESSAGES/html-tips.po:15: error: markup: the translation adds <b>, which "
        "the source does not have; this text is shown as written, so readers would see it as is: "
        "write plain text"
    ]
    # The same strings in the UI domain (HTML): a <script> is refused there.
    put(root, "de", "messages", _PLAIN_HEADER + (
        'msgid "Put the <script> tag at the end of the body."\n'
        'msgstr "Setze das <script>-Tag ans Ende des Body."\n'
    ))
    result = run("check", "--locale", "de", "--domain", "messages")
    assert "which is never allowed" in result.stdout and result.exit_code == 1
    stats = run("stats", "--locale", "de", "--domain", "html-tips", "--json")
    (row,) = json.loads(stats.stdout)
    assert (row["reviewed"], row["invalid"]) == (2, 1)
