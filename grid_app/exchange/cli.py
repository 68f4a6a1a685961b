"""`flask export` and `flask import`: the same services as the web pages, as the operator.

The operator at the command line acts as the system (an actor of None), as `seed-demo` does:
changes are recorded with no person as their author. Both write (an export is audited), so
both run under ``writing()``, as the other commands do.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from grid_app.auth.models import OPERATOR
from grid_app.database import writing
from grid_app.errors import DomainError
from grid_app.exchange import importer, service, sharing
from grid_app.extensions import db
from grid_app.grid import queries
from grid_app.grid.models import Grid

FORMATS = ("csv", "xlsx", "docx", "md")


def _grid(slug: str | None) -> Grid:
    return queries.grid_by_slug(slug) if slug else queries.default_grid()


def _fail(error: DomainError) -> None:
    db.session.rollback()
    click.echo(f"Error: {error.message}", err=True)
    raise SystemExit(2) from error


@click.command("export")
@writing()
@with_appcontext
@click.option("--grid", "slug", help="The grid's slug; the default grid when left out.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--authority", help="The authority named in a sharing-practice document.")
def export_command(slug: str | None, fmt: str, output: str, authority: str | None) -> None:
    """Write the grid as CSV or XLSX, or its sharing-practice document as DOCX or Markdown."""
    try:
        grid = _grid(slug)
        data: bytes
        if fmt == "csv":
            data = "".join(service.grid_csv(OPERATOR, grid)).encode()
        elif fmt == "xlsx":
            data = service.grid_xlsx(OPERATOR, grid)
        else:
            name = authority if authority is not None else current_app.config["AUTHORITY_NAME"]
            document = sharing.build(OPERATOR, grid, name)
            data = (
                sharing.to_docx(document)
                if fmt == "docx"
                else sharing.to_markdown(document).encode()
            )
    except DomainError as error:
        _fail(error)
        return
    db.session.commit()
    Path(output).write_bytes(data)
    click.echo(f"Wrote {grid.name} as {fmt.upper()} to {output} ({len(data):,} bytes).")


@click.command("import")
@writing()
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--grid", "slug", help="The grid to update; the default grid when left out.")
@click.option("--new-grid", "new_grid_name", help="Create a grid of this name instead.")
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
def import_command(file: str, slug: str | None, new_grid_name: str | None, dry_run: bool) -> None:
    """Import a spreadsheet of service areas × columns into a grid, or into a new one."""
    path = Path(file)
    try:
        grid = None if new_grid_name else _grid(slug)
        upload = importer.store(OPERATOR, grid, path.name, path.read_bytes(), new_grid_name or "")
        found = importer.preview(OPERATOR, upload)
        _print_preview(found)
        if dry_run:
            db.session.rollback()
            click.echo("Dry run: nothing was changed.")
            return
        outcome = importer.apply(OPERATOR, upload, base=found.base)
    except DomainError as error:
        _fail(error)
        return
    db.session.commit()
    click.echo(
        f"Imported into {outcome.grid.name}: {outcome.cells_changed} cells changed, "
        f"{outcome.rows_added} service areas and {outcome.columns_added} columns added."
    )


def _print_preview(found: importer.Preview) -> None:
    target = f"grid {found.grid_name}" if found.grid else f"new grid {found.grid_name}"
    click.echo(f"Import into {target}:")
    for note in found.notes:
        click.echo(f"  Note: {note}")
    for name in found.new_rows:
        click.echo(f"  + service area: {name}")
    for name in found.new_columns:
        click.echo(f"  + column: {name}")
    for change in found.filled:
        click.echo(f"  fill {change.column} for {change.area}: {change.new!r}")
    for change in found.changed:
        click.echo(f"  change {change.column} for {change.area}: {change.old!r} -> {change.new!r}")
    if found.unchanged:
        click.echo(f"  {found.unchanged} cells unchanged")
    if found.is_empty:
        click.echo("  Nothing to import.")


COMMANDS = (export_command, import_command)
