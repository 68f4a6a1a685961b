"""Importing a spreadsheet of service areas × columns: store, preview, apply.

An upload is kept server-side under a random token until it is applied or expires. The
preview compares it with the grid as it is now and names the grid's state it was based on
(its cursor); applying from an older state is refused, with a fresh preview offered. Every
change goes through the grid's own services, so history, hash chains and the activity feed
stay right, and all of it happens in one transaction or not at all.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from grid_app.audit import service as audit
from grid_app.auth.models import Actor, Role, User
from grid_app.database import utcnow
from grid_app.errors import EditConflict, Forbidden, Invalid, NotFound
from grid_app.exchange import spreadsheets
from grid_app.exchange.models import ImportUpload
from grid_app.exchange.service import OWNER_SEPARATOR, cell_text, live_view, require_exchange
from grid_app.extensions import db
from grid_app.grid import diff, markdown, queries, structure
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell, ColumnKind, Grid, RevisionKind

UPLOAD_LIFETIME = timedelta(hours=1)
MAX_COLUMNS = 50
# A new column with one of these names holds people, like the demo grid's "Owner".
PEOPLE_COLUMN_NAMES = {"owner", "owners", "lead", "leads", "contact", "contacts"}
_OWNER_SPLIT = re.compile(r"[;\n]+")
IMPORT_SUMMARY = "Imported from a spreadsheet"


def _limits() -> tuple[int, int]:
    config = current_app.config
    return config.get("IMPORT_MAX_BYTES", 2 * 1024 * 1024), config.get("IMPORT_MAX_ROWS", 1_000)


# --- Storing the upload ---------------------------------------------------------------


def store(
    actor: Actor,
    grid: Grid | None,
    filename: str,
    content: bytes,
    new_grid_name: str = "",
) -> ImportUpload:
    """Check an upload reads as a grid spreadsheet and keep it for its preview.

    ``grid`` is the grid to update, or None to create one named ``new_grid_name``.
    Raises Invalid (naming the row and column at fault) when the file cannot be imported.
    """
    require_exchange(actor)
    max_bytes, _ = _limits()
    if len(content) > max_bytes:
        message = f"The file is larger than {max_bytes // (1024 * 1024)} MB. Split it up."
        raise Invalid(message, {"file": message})
    if grid is None:
        _check_new_grid(actor, new_grid_name)
    upload = ImportUpload(
        id=secrets.token_urlsafe(24),
        grid_id=grid.id if grid else None,
        new_grid_name=" ".join(new_grid_name.split()) if grid is None else "",
        filename=filename[-255:],
        content=content,
        created_by_id=actor.id,
        expires_at=utcnow() + UPLOAD_LIFETIME,
    )
    # Checked before it is kept: a file that cannot be imported is never stored.
    preview(actor, upload)
    db.session.execute(delete(ImportUpload).where(ImportUpload.expires_at < utcnow()))
    db.session.add(upload)
    db.session.flush()
    return upload


def _check_new_grid(actor: Actor, name: str) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can create a grid. Import into this grid instead.")
    name = " ".join(name.split())
    if not name:
        raise Invalid("Name the new grid.", {"new_grid_name": "Enter a name for the new grid."})
    if len(name) > 200:
        raise Invalid("That name is too long.", {"new_grid_name": "Use 200 characters or fewer."})
    slug = grid_service.slugify(name)
    if db.session.scalar(select(func.count(Grid.id)).where(Grid.slug == slug)):
        raise Invalid(
            "A grid with that name already exists.",
            {"new_grid_name": "A grid with that name already exists. Choose another name."},
        )


def upload_for(actor: Actor, token: str) -> ImportUpload:
    """The stored upload at ``token``, if it is the actor's own and has not expired."""
    require_exchange(actor)
    upload = db.session.get(ImportUpload, token)
    mine = upload is not None and upload.created_by_id == actor.id
    if upload is None or not mine or upload.expires_at < utcnow():
        raise NotFound("This import has expired or was already applied. Upload the file again.")
    return upload


# --- The preview --------------------------------------------------------------------


@dataclass
class CellChange:
    """One cell the import fills or changes."""

    area: str
    column: str
    old: str
    new: str
    text: str  # what the cell's text becomes
    owner_ids: list[int] | None  # the owners it gets (owner columns only)
    cell_id: int | None = None  # None for a cell of a new row or column
    # Names the change in the apply form; stable while the grid stays at the preview's base.
    key: str = ""
    # Set when the grid's cell was saved after the file was exported: applying this
    # change would undo that edit, so it is left out unless the manager chooses it.
    edited_by: str = ""
    edited_at: datetime | None = None

    @property
    def edited_after_export(self) -> bool:
        """True when the cell was edited after the file was exported."""
        return self.edited_at is not None

    @property
    def words(self) -> list[diff.DiffPart]:
        """The change word by word."""
        return diff.word_diff(self.old, self.new)


@dataclass
class Preview:
    """What applying an upload would do to the grid as it is now."""

    grid: Grid | None
    grid_name: str
    base: str  # the grid's state the preview was made from
    new_rows: list[str] = field(default_factory=list)
    new_columns: list[str] = field(default_factory=list)
    filled: list[CellChange] = field(default_factory=list)
    changed: list[CellChange] = field(default_factory=list)
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)
    # What in the file cannot be imported, each with why; the rest still applies.
    skipped: list[str] = field(default_factory=list)
    # When the file was exported from the app (naive UTC); None for other files.
    exported_at: datetime | None = None

    @property
    def is_empty(self) -> bool:
        """True when applying would change nothing."""
        return not (self.new_rows or self.new_columns or self.filled or self.changed)

    @property
    def cell_changes(self) -> list[CellChange]:
        """Every cell the import would fill or change."""
        return [*self.filled, *self.changed]

    @property
    def edited_after_export(self) -> list[CellChange]:
        """The changes that would undo an edit made after the file was exported."""
        return [c for c in self.cell_changes if c.edited_after_export]


def state_of(grid: Grid | None) -> str:
    """The grid's state as a short token: its last revision and structure version."""
    if grid is None:
        return "new"
    cursor = queries.cursor(grid)
    return f"{cursor.revision_id}-{cursor.structure_version}"


def preview(actor: Actor, upload: ImportUpload) -> Preview:
    """Compare the upload with the grid as it is now; raise Invalid if it cannot apply."""
    _, max_rows = _limits()
    table = spreadsheets.read(upload.filename, upload.content, max_rows, MAX_COLUMNS)
    header = _check_header(table)
    areas = _check_rows(table)
    grid = db.session.get(Grid, upload.grid_id) if upload.grid_id else None
    if upload.grid_id and grid is None:
        raise NotFound("The grid this import was for no longer exists.")
    result = Preview(grid, grid.name if grid else upload.new_grid_name, state_of(grid))
    result.exported_at = table.exported_at
    people = _people()
    limit = current_app.config["CELL_TEXT_MAX"]
    for row_number, column_number in table.formulas:
        result.notes.append(
            f"Row {row_number}, column {_column_name(header, column_number)} holds a formula. "
            "It is imported as its text and never calculated."
        )
    view = live_view(grid) if grid else None
    rows = {_key(r.name): r for r in view.rows} if view else {}
    columns = {_key(c.name): c for c in view.columns} if view else {}
    # Adding service areas or columns to a grid needs an admin; a manager's file still
    # applies its other changes, and the preview says what is left out and why.
    may_add = grid is None or structure.can_change_structure(actor)
    for name in header:
        if _key(name) in columns:
            continue
        if may_add:
            result.new_columns.append(name)
        else:
            result.skipped.append(
                f"The column “{name}” is not in the grid, and only an admin can add "
                "columns, so its cells were left out."
            )
    for index, (area, values) in enumerate(areas):
        row = rows.get(_key(area))
        if row is None:
            if not may_add:
                result.skipped.append(
                    f"Row {index + 2}: the service area “{area}” is not in the grid, and only "
                    "an admin can add service areas, so the row was left out."
                )
                continue
            result.new_rows.append(area)
        for name, value in zip(header, values, strict=True):
            column = columns.get(_key(name))
            if column is None and not may_add:
                continue
            holds_people = column.holds_people if column else _key(name) in PEOPLE_COLUMN_NAMES
            if len(value) > limit:
                raise Invalid(
                    f"Row {index + 2}, column {name}: the text is {len(value):,} characters "
                    f"long; a cell can hold up to {limit:,}.",
                    {"file": f"Row {index + 2}, column {name} is too long."},
                )
            if not value:
                continue  # An empty cell in the file leaves the grid's cell as it is.
            text, owner_ids = _split_owners(value, people) if holds_people else (value, None)
            text = grid_service.normalise_text(text)
            cell = view.cell(row, column) if (view and row and column) else None
            if cell is None:
                key = f"new-{len(result.filled)}"
                result.filled.append(CellChange(area, name, "", value, text, owner_ids, None, key))
                continue
            old = cell_text(cell)
            same_owners = owner_ids is None or sorted(owner_ids) == sorted(
                p.id for p in cell.owners
            )
            # A workbook from this app holds cells as plain text: the same words without
            # their Markdown are the same cell, not a change that would strip its styling.
            same_text = text == cell.text or text == markdown.plain(cell.text)
            if same_text and same_owners:
                result.unchanged += 1
                continue
            change = CellChange(area, name, old, value, text, owner_ids, cell.id, f"cell-{cell.id}")
            if _edited_after(cell, table.exported_at):
                change.edited_at = cell.updated_at
                change.edited_by = cell.updated_by.display_name if cell.updated_by else "someone"
            (result.changed if old.strip() else result.filled).append(change)
    return result


def _edited_after(cell: Cell, exported_at: datetime | None) -> bool:
    """Whether ``cell`` was saved after the file it is compared with was exported."""
    return exported_at is not None and cell.updated_at is not None and cell.updated_at > exported_at


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _column_name(header: list[str], column_number: int) -> str:
    if column_number == 1:
        return "Service area"
    index = column_number - 2
    return header[index] if 0 <= index < len(header) else str(column_number)


def _check_header(table: spreadsheets.Table) -> list[str]:
    """The column names from the first row, which must be a header.

    A column with neither a name nor any text is dropped from ``table``."""
    unnamed = [i for i, name in enumerate(table.header) if i and not name]
    for index in unnamed:
        for row_number, row in enumerate(table.rows, start=2):
            if row[index]:
                message = (
                    f"Row {row_number}, column {_letter(index + 1)} has text, but the header "
                    "(row 1) names no column there. Name the column, or move the text."
                )
                raise Invalid(message, {"file": message})
    keep = [i for i in range(len(table.header)) if i not in unnamed]
    table.header = [table.header[i] for i in keep]
    table.rows = [[row[i] for i in keep] for row in table.rows]
    names = table.header[1:]
    if not any(names):
        message = (
            "The first row must be a header: the service area, then one column name per "
            "column (for example Service area, Strategy, Evidence, Owner)."
        )
        raise Invalid(message, {"file": message})
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=2):
        letter = _letter(index)
        if len(" ".join(name.split())) > structure.NAME_MAX["column"]:
            message = f"Row 1, column {letter}: the column name is too long."
            raise Invalid(message, {"file": message})
        if _key(name) in seen:
            message = (
                f"Row 1, column {letter}: “{name}” is already the name of column "
                f"{_letter(seen[_key(name)])}. Column names must differ."
            )
            raise Invalid(message, {"file": message})
        seen[_key(name)] = index
    return [" ".join(name.split()) for name in names]


def _check_rows(table: spreadsheets.Table) -> list[tuple[str, list[str]]]:
    """(service area, values) of each row under the header."""
    areas: list[tuple[str, list[str]]] = []
    seen: dict[str, int] = {}
    for row_number, row in enumerate(table.rows, start=2):
        area = " ".join(row[0].split())
        if not area:
            if any(row[1:]):
                message = f"Row {row_number}, column A: name the service area."
                raise Invalid(message, {"file": message})
            continue  # a blank line
        if len(area) > structure.NAME_MAX["row"]:
            message = f"Row {row_number}, column A: the service area's name is too long."
            raise Invalid(message, {"file": message})
        if _key(area) in seen:
            message = (
                f"Row {row_number}, column A: “{area}” is also in row {seen[_key(area)]}. "
                "Each service area may appear once."
            )
            raise Invalid(message, {"file": message})
        seen[_key(area)] = row_number
        areas.append((area, row[1:]))
    if not areas:
        message = "The sheet has a header but no service areas under it."
        raise Invalid(message, {"file": message})
    return areas


def _letter(column_number: int) -> str:
    from openpyxl.utils import get_column_letter  # imported when a file is imported

    return get_column_letter(column_number)


def _people() -> dict[str, User]:
    """Active people by display name and by email, for matching owner names."""
    found: dict[str, User] = {}
    for person in db.session.scalars(select(User).where(User.active.is_(True))):
        found.setdefault(_key(person.display_name), person)
        found[_key(person.email)] = person
    return found


def _split_owners(value: str, people: dict[str, User]) -> tuple[str, list[int]]:
    """Owner names and emails become people; anything else stays as a contact's name."""
    owner_ids: list[int] = []
    contacts: list[str] = []
    for part in _OWNER_SPLIT.split(value):
        name = part.strip()
        if not name:
            continue
        person = people.get(_key(name))
        if person is not None and person.id not in owner_ids:
            owner_ids.append(person.id)
        elif person is None:
            contacts.append(name)
    return OWNER_SEPARATOR.join(contacts), owner_ids


# --- Applying -----------------------------------------------------------------------


@dataclass
class Outcome:
    """What an applied import did, and what it left out."""

    grid: Grid
    rows_added: int
    columns_added: int
    cells_changed: int
    skipped: list[str] = field(default_factory=list)
    cells_left: int = 0  # changes in the preview the manager chose not to apply


def apply(
    actor: Actor, upload: ImportUpload, *, base: str, chosen: set[str] | None = None
) -> Outcome:
    """Apply the upload as previewed from ``base``; EditConflict if the grid moved on.

    ``chosen`` holds the keys of the cell changes to apply; None applies the preview's
    default: every change except those that would undo an edit made after the export.
    """
    found = preview(actor, upload)
    if found.base != base:
        raise EditConflict(
            "The grid changed after you saw the preview, so nothing was imported. "
            "Check the fresh preview and apply it again."
        )
    if chosen is None:
        chosen = {c.key for c in found.cell_changes if not c.edited_after_export}
    wanted = [c for c in found.cell_changes if c.key in chosen]
    grid = found.grid
    if grid is None:
        _check_new_grid(actor, upload.new_grid_name)
        areas = [*found.new_rows]
        kinds = [
            (name, ColumnKind.PEOPLE if _key(name) in PEOPLE_COLUMN_NAMES else ColumnKind.TEXT)
            for name in found.new_columns
        ]
        grid = grid_service.create_grid(actor, upload.new_grid_name, areas, kinds)
        rows_added, columns_added = len(areas), len(kinds)
    else:
        rows_added, columns_added = len(found.new_rows), len(found.new_columns)
        for name in found.new_columns:
            kind = ColumnKind.PEOPLE if _key(name) in PEOPLE_COLUMN_NAMES else ColumnKind.TEXT
            structure.add(
                actor,
                grid,
                expected_version=grid.structure_version,
                what="column",
                name=name,
                column_kind=kind,
            )
        for name in found.new_rows:
            structure.add(
                actor, grid, expected_version=grid.structure_version, what="row", name=name
            )
    view = live_view(grid)
    rows = {_key(r.name): r for r in view.rows}
    columns = {_key(c.name): c for c in view.columns}
    changed = 0
    for change in wanted:
        cell = view.cell(rows[_key(change.area)], columns[_key(change.column)])
        if cell is None:
            raise Invalid(f"The cell {change.column} for {change.area} is missing.")
        revision = grid_service.save_cell(
            actor,
            cell,
            expected_version=cell.version,
            text=change.text,
            owner_ids=change.owner_ids,
            summary=IMPORT_SUMMARY,
            kind=RevisionKind.IMPORT,
        )
        changed += revision is not None
    audit.record(
        actor,
        "grid.imported",
        "grid",
        grid.id,
        filename=upload.filename,
        rows_added=rows_added,
        columns_added=columns_added,
        cells_changed=changed,
        cells_left=len(found.cell_changes) - len(wanted),
        skipped=len(found.skipped),
    )
    db.session.delete(upload)
    db.session.flush()
    return Outcome(
        grid,
        rows_added,
        columns_added,
        changed,
        found.skipped,
        len(found.cell_changes) - len(wanted),
    )
