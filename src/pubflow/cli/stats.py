"""`pubflow stats`: translation progress per locale and domain (a table, or JSON rows)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from pubflow.cli.common import (
    DomainsOption,
    LocalesOption,
    app,
    console,
    guarded,
    settings_from,
)
from pubflow.i18n.stats import StatsRow, catalog_stats

_HELP = (
    "Show how much of each catalog is reviewed, machine-translated, stale, missing or invalid.\n\n"
    "Counts come from the .po files themselves. Fuzzy entries (machine suggestions and stale "
    "translations) never count as translated; obsolete (#~) entries are not counted.\n\n"
    "--json prints a list of rows {locale, domain, reviewed, machine, stale, missing, invalid, "
    "total, percent_reviewed}: a stable interface for scripts and dashboards."
)


def _percent_style(row: StatsRow, threshold: float) -> str:
    if row.percent_reviewed >= 100:
        return "green"
    return "yellow" if row.percent_reviewed >= threshold else "red"


def stats_tables(rows: list[StatsRow], threshold: float) -> list[Table]:
    """One rich table per domain (slugs are long: a domain column would not fit 80 columns)."""
    tables: dict[str, Table] = {}
    for row in rows:
        table = tables.get(row.domain)
        if table is None:
            table = tables[row.domain] = Table(title=row.domain, title_justify="left")
            table.add_column("locale", no_wrap=True)
            for name in ("reviewed", "machine", "stale", "missing", "invalid", "total"):
                table.add_column(name, justify="right", no_wrap=True)
            table.add_column("% reviewed", justify="right", no_wrap=True)
        table.add_row(
            row.locale,
            str(row.reviewed),
            str(row.machine),
            str(row.stale),
            str(row.missing),
            f"[red]{row.invalid}[/]" if row.invalid else "0",
            str(row.total),
            f"[{_percent_style(row, threshold)}]{row.percent_reviewed:.1f}[/]",
        )
    return list(tables.values())


@app.command("stats", help=_HELP)
@guarded
def stats_command(
    locales: LocalesOption = None,
    domains: DomainsOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list of row objects instead of a table.")
    ] = False,
) -> None:
    settings = settings_from()
    rows = catalog_stats(settings, locales, domains)
    if as_json:
        typer.echo(json.dumps([row.as_dict() for row in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("no catalogs yet: run `pubflow catalogs update` to extract them")
        return
    for table in stats_tables(rows, settings.coverage_threshold):
        console.print(table)
