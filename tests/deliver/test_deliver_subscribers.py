"""The subscriber store and `pubflow subscribers import|list|count|export`."""

from __future__ import annotations

import csv
import io
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pubflow.cli import app
from pubflow.config import load_settings
from pubflow.deliver.subscriber_csv import import_subscribers_csv, normalise_locale
from pubflow.deliver.subscribers import SubscriberStore, schema_statements
from pubflow.errors import DeliveryError

runner = CliRunner()

GOOD_AND_BAD = """\
email,locale
ana@example.org,de
not-an-address,de
ben@example.org,xx_YY
"cleo@example.org",pt-br

dora@example.org,ja
Ana@Example.org,es
emil@exämple.org,fr
ümlaut@example.org,fr
"multi
line@example.org",fr
fred@example.org,
,de
gina@EXAMPLE.org,en_XA
"""


@pytest.fixture
def cli_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(project)
    monkeypatch.setenv("PUBFLOW_ROOT", str(project))
    return project


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_import_reports_bad_rows_by_line_and_imports_the_rest(cli_project: Path) -> None:
    csv_path = _write(cli_project / "list.csv", GOOD_AND_BAD)
    result = runner.invoke(app, ["subscribers", "import", "list.csv"])
    assert result.exit_code == 1, result.output  # ran, but some rows were bad
    problems = [line for line in result.stderr.splitlines() if line.startswith("list.csv:")]
    by_line = {int(line.split(":")[1]): line for line in problems}
    assert sorted(by_line) == [3, 4, 7, 8, 10, 11, 14, 15]
    assert "invalid email address 'not-an-address'" in by_line[3]
    assert "unknown locale 'xx_YY'" in by_line[4]
    assert "'ja' is not one we publish" in by_line[7]
    assert "duplicate of line 2" in by_line[8]
    assert "Internationalized characters before the @-sign" in by_line[10]
    assert "invalid email address" in by_line[11]  # the quoted field spans lines 11-12
    assert "no email address" in by_line[14]
    # The QA pseudo-locale is built for reviewers, never mailed to a subscriber.
    assert "'en_XA' is the pseudo-locale for checking layouts" in by_line[15]
    assert "4 added" in result.stdout and "8 rows skipped" in result.stdout

    settings = load_settings(cli_project)
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        rows = {s.email: s.locale for s in store.iter()}
    assert rows == {
        "ana@example.org": "de",
        "cleo@example.org": "pt_BR",  # normalised from pt-br
        "emil@xn--exmple-cua.org": "fr",  # IDN domain stored as ASCII
        "fred@example.org": "en",  # empty locale: the source locale
    }

    # The same file again changes nothing.
    again = runner.invoke(app, ["subscribers", "import", str(csv_path)])
    assert "0 added, 0 updated, 4 unchanged" in again.stdout


def test_reimport_updates_locale_but_never_resubscribes_without_being_told(tmp_path: Path) -> None:
    settings_locales = ["en", "de", "es", "fr"]
    with SubscriberStore.open(tmp_path / "db.sqlite3") as store:
        first = _write(tmp_path / "a.csv", "email,locale\nana@example.org,de\nben@example.org,es\n")
        report = import_subscribers_csv(
            store, first, publishable_locales=settings_locales, source_locale="en"
        )
        assert report.added == 2
        ben = store.find("ben@example.org")
        assert ben is not None
        store.set_status(ben.id, "unsubscribed", "one-click")

        second = _write(
            tmp_path / "b.csv",
            "locale,email,name\nfr,ANA@example.org,Ana\nes,ben@example.org,Ben\n",
        )
        report = import_subscribers_csv(
            store, second, publishable_locales=settings_locales, source_locale="en"
        )
        assert (report.added, report.updated, report.kept_inactive) == (0, 1, 1)
        assert report.ignored_columns == ["name"]
        assert store.find("ana@example.org").locale == "fr"  # type: ignore[union-attr]
        assert store.find("ben@example.org").status == "unsubscribed"  # type: ignore[union-attr]

        report = import_subscribers_csv(
            store,
            second,
            publishable_locales=settings_locales,
            source_locale="en",
            resubscribe=True,
        )
        assert report.resubscribed == 1
        assert store.find("ben@example.org").status == "active"  # type: ignore[union-attr]


def test_export_then_import_into_a_new_database_keeps_the_suppression_list(
    cli_project: Path,
) -> None:
    _write(cli_project / "list.csv", "email,locale\nana@example.org,de\nben@example.org,es\n")
    assert runner.invoke(app, ["subscribers", "import", "list.csv"]).exit_code == 0
    settings = load_settings(cli_project)
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        store.set_status(store.find("ben@example.org").id, "bounced", "550 5.1.1")  # type: ignore[union-attr]

    exported = runner.invoke(app, ["subscribers", "export"])
    assert exported.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["email"], r["locale"], r["status"]) for r in rows] == [
        ("ana@example.org", "de", "active"),
        ("ben@example.org", "es", "bounced"),
    ]
    assert "secret" not in exported.stdout.splitlines()[0]

    result = runner.invoke(app, ["subscribers", "export", "out/export.csv", "--status", "bounced"])
    assert result.exit_code == 0 and "exported 1 subscribers" in result.stderr
    assert (cli_project / "out" / "export.csv").read_text().count("\n") == 2

    (cli_project / "elsewhere").mkdir()
    (cli_project / "export.csv").write_text(exported.stdout)
    with SubscriberStore.open(cli_project / "elsewhere" / "db.sqlite3") as fresh:
        import_subscribers_csv(
            fresh,
            cli_project / "export.csv",
            publishable_locales=settings.all_locales,
            source_locale="en",
        )
        assert {s.email: s.status for s in fresh.iter()} == {
            "ana@example.org": "active",
            "ben@example.org": "bounced",
        }


def test_list_and_count(cli_project: Path) -> None:
    _write(
        cli_project / "list.csv",
        "email,locale\nana@example.org,de\nben@example.org,es\ncleo@example.org,de\n",
    )
    runner.invoke(app, ["subscribers", "import", "list.csv"])
    settings = load_settings(cli_project)
    with SubscriberStore.open(settings.subscribers_db_path) as store:
        store.set_status(store.find("ben@example.org").id, "unsubscribed")  # type: ignore[union-attr]
    listed = runner.invoke(app, ["subscribers", "list", "--status", "active"])
    assert listed.exit_code == 0
    assert "ana@example.org" in listed.stdout and "ben@example.org" not in listed.stdout
    assert "2 subscribers" in listed.stdout
    counted = runner.invoke(app, ["subscribers", "count"])
    lines = [" ".join(line.split()) for line in counted.stdout.splitlines()]
    assert "active 2" in lines and "unsubscribed 1" in lines and "total 3" in lines
    assert "de 2" in lines
    bad = runner.invoke(app, ["subscribers", "list", "--status", "gone"])
    assert bad.exit_code == 2 and "unknown status 'gone'" in bad.stderr


def test_listing_without_a_database_says_what_to_do_and_creates_nothing(cli_project: Path) -> None:
    result = runner.invoke(app, ["subscribers", "count"])
    assert result.exit_code == 2
    assert "no subscriber database yet" in result.stderr and "subscribers import" in result.stderr
    assert not (cli_project / "var" / "subscribers.sqlite3").exists()


@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        ("address,locale\nana@example.org,de\n", "utf-8", "header naming an `email` column"),
        ("", "utf-8", "header naming an `email` column"),
        ("email,locale\nanä@example.org,de\n", "latin-1", "not UTF-8"),
        ("email,locale,Email\nana@example.org,de,ben@example.org\n", "utf-8", "`email` column twice"),
    ],
)
def test_unusable_files_are_one_clear_error(
    cli_project: Path, content: str, encoding: str, message: str
) -> None:
    _write(cli_project / "list.csv", content, encoding)
    result = runner.invoke(app, ["subscribers", "import", "list.csv"])
    assert result.exit_code == 2
    assert message in result.stderr and "list.csv" in result.stderr
    assert "Traceback" not in result.output


def test_excel_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffEmail;x,Locale\r\nana@example.org,DE\r\n".replace(";x", "").encode("utf-8")
    )
    with SubscriberStore.open(tmp_path / "db.sqlite3") as store:
        report = import_subscribers_csv(
            store, path, publishable_locales=["en", "de"], source_locale="en"
        )
        assert report.added == 1 and not report.problems
        assert store.find("ana@example.org").locale == "de"  # type: ignore[union-attr]


def test_store_file_is_private_wal_and_unique_ignoring_case(tmp_path: Path) -> None:
    path = tmp_path / "var" / "db.sqlite3"
    with SubscriberStore.open(path) as store:
        store.add("Ana@example.org", "de")
        with pytest.raises(DeliveryError, match="already a subscriber"):
            store.add("ana@EXAMPLE.org", "es")
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute(
                "UPDATE subscribers SET status = 'gone' WHERE email = 'Ana@example.org'"
            )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_schema_has_a_postgresql_variant_with_the_same_tables() -> None:
    sqlite_ddl = schema_statements("sqlite")
    postgres_ddl = schema_statements("postgresql")
    assert len(sqlite_ddl) == len(postgres_ddl)
    assert "GENERATED BY DEFAULT AS IDENTITY" in postgres_ddl[1]
    for statement in postgres_ddl:
        assert "AUTOINCREMENT" not in statement and "PRAGMA" not in statement


@pytest.mark.parametrize(
    ("given", "expected"),
    [("pt-br", "pt_BR"), ("PT_br", "pt_BR"), ("DE", "de"), ("zh-hant-tw", "zh_Hant_TW"), ("", "")],
)
def test_locale_spelling_is_normalised(given: str, expected: str) -> None:
    assert normalise_locale(given) == expected


def test_export_into_a_missing_folder_and_listing_a_bad_locale_are_refused(cli_project: Path) -> None:
    _write(cli_project / "list.csv", "email,locale\nana@example.org,de\n")
    assert runner.invoke(app, ["subscribers", "import", "list.csv"]).exit_code == 0
    missing = cli_project / "no" / "such" / "folder" / "out.csv"
    result = runner.invoke(app, ["subscribers", "export", str(missing)])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert not (cli_project / "no").exists()
    listed = runner.invoke(app, ["subscribers", "list", "--locale", "zz"])
    assert listed.exit_code == 2 and "zz" in listed.stderr
    assert "ana@example.org" in runner.invoke(app, ["subscribers", "list", "--locale", "DE"]).stdout


def test_shifted_values_and_an_unclosed_quote_are_named(cli_project: Path) -> None:
    _write(
        cli_project / "list.csv",
        'email,locale\nana@example.org,de\nben@example.org,Ben, Jr.,es\n"cleo@example.org,fr\ndora@example.org,de\n',
    )
    result = runner.invoke(app, ["subscribers", "import", "list.csv"])
    assert result.exit_code == 1, result.output
    problems = {int(line.split(":")[1]): line for line in result.stderr.splitlines() if line.startswith("list.csv:")}
    assert "4 values but the header names 2 columns" in problems[3]
    assert "runs from line 4 to 5: is a closing quote missing?" in problems[4]
    assert "1 added" in result.stdout


def test_an_export_never_hands_a_spreadsheet_a_formula_and_still_imports(cli_project: Path) -> None:
    _write(cli_project / "list.csv", "email,locale\n=1+2@example.org,de\n+tag@example.org,fr\n")
    assert runner.invoke(app, ["subscribers", "import", "list.csv"]).exit_code == 0
    exported = runner.invoke(app, ["subscribers", "export"])
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert sorted(r["email"] for r in rows) == ["'+tag@example.org", "'=1+2@example.org"]
    (cli_project / "again.csv").write_text(exported.stdout)
    with SubscriberStore.open(cli_project / "fresh.sqlite3") as fresh:
        import_subscribers_csv(
            fresh, cli_project / "again.csv", publishable_locales=["en", "de", "fr"], source_locale="en"
        )
        assert sorted(s.email for s in fresh.iter()) == ["+tag@example.org", "=1+2@example.org"]
