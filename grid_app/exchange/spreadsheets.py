"""Writing workbooks and reading uploaded spreadsheets, with nothing in them ever run.

Writing: every text value is stored as a string cell, never a formula, whatever it starts
with. Reading: CSV and XLSX become rows of text; an XLSX formula is read as its text.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from grid_app.errors import Invalid
from grid_app.grid import csvout, markdown

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A document property of an exported workbook: when the export was taken (UTC, ISO 8601).
# An import reads it back to mark the cells edited after the file was made. Spreadsheet
# programs keep custom properties when they save, and nobody edits them by accident.
EXPORTED_AT = "Grid exported at"
# A hidden sheet of an exported workbook: the grid's cells as typed, with their Markdown.
# The visible sheet is plain text for reading; an import takes a cell's typed text back
# when its visible text is unchanged, so a round trip keeps bold, lists and links.
AS_TYPED = "Grid as typed"
# Column widths are in characters; long text wraps within the widest.
WIDTH_MIN, WIDTH_MAX = 10, 60


@dataclass
class Sheet:
    """One worksheet to write: a title, a header row and the rows under it."""

    title: str
    header: list[str]
    rows: Iterable[Sequence[Any]]
    # Widths in characters by column index; columns not named are sized from their header.
    widths: Mapping[int, float] = field(default_factory=dict)
    # A note written above nothing: it becomes the sheet's first row when set.
    note: str = ""
    hidden: bool = False


def workbook(sheets: Sequence[Sheet], exported_at: datetime | None = None) -> bytes:
    """An XLSX file of ``sheets``: bold frozen header, wrapped text, set widths.

    ``exported_at`` (naive UTC) is kept as a document property for a later import.
    Written in openpyxl's write-only mode, so memory stays flat however many rows.
    """
    # openpyxl is imported when a workbook is made or read, not when the app starts: the web
    # worker serves pages without it in memory.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    if exported_at is not None:
        stamp = exported_at.isoformat() + "Z"
        book.custom_doc_props.append(StringProperty(name=EXPORTED_AT, value=stamp))
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for spec in sheets:
        sheet = book.create_sheet(spec.title[:31])
        if spec.hidden:
            sheet.sheet_state = "hidden"
        for index, title in enumerate(spec.header):
            width = spec.widths.get(index, len(title) + 4)
            letter = get_column_letter(index + 1)
            sheet.column_dimensions[letter].width = max(WIDTH_MIN, min(WIDTH_MAX, width))
        header_row = 1
        if spec.note:
            note = WriteOnlyCell(sheet)
            note.font = Font(italic=True)
            sheet.append([_fill(note, spec.note)])
            header_row = 2
        sheet.freeze_panes = f"A{header_row + 1}"
        header = [WriteOnlyCell(sheet) for _ in spec.header]
        for cell in header:
            cell.font = bold
            cell.alignment = wrap
        sheet.append([_fill(cell, title) for cell, title in zip(header, spec.header, strict=True)])
        # One styled cell per column, refilled for every row: a write-only sheet writes each
        # row as it is appended, and styling a fresh cell per value would triple the time.
        cells = [WriteOnlyCell(sheet) for _ in spec.header]
        for cell in cells:
            cell.alignment = wrap
        for row in spec.rows:
            while len(cells) < len(row):
                cells.append(WriteOnlyCell(sheet))
            sheet.append([_fill(cell, value) for cell, value in zip(cells, row, strict=False)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(cell: Any, value: Any) -> Any:
    """Put ``value`` in ``cell``; text is always a string cell, so "=…" is never a formula."""
    if isinstance(value, str):
        # Set directly: assigning ``value`` would make text starting with "=" a formula.
        cell._value = _printable(value)
        cell.data_type = "s"
    elif isinstance(value, bool | int | float | datetime | date) or value is None:
        cell.value = value
    else:
        cell._value = _printable(str(value))
        cell.data_type = "s"
    return cell


# Control characters other than tab, newline and carriage return are not allowed in XLSX.
_CONTROL = {c: None for c in range(32) if c not in (9, 10, 13)}


def _printable(text: str) -> str:
    return text.translate(_CONTROL)


def csv_body(header: list[str], rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    """CSV lines with the shared formula guard (a leading apostrophe)."""
    return csvout.lines(header, rows)


# --- Reading ------------------------------------------------------------------------


@dataclass
class Table:
    """An uploaded sheet as text: its header row and the rows under it.

    ``formulas`` names the (row number, column number) of cells that held a formula,
    read as their text; both count from 1 as a spreadsheet shows them. ``exported_at``
    is when the app exported the file (naive UTC), if it says so.
    """

    header: list[str]
    rows: list[list[str]]
    formulas: list[tuple[int, int]] = field(default_factory=list)
    exported_at: datetime | None = None


def read(filename: str, content: bytes, max_rows: int, max_columns: int) -> Table:
    """Read a CSV or XLSX upload; raise Invalid with a plain message if it is neither."""
    if not content:
        raise Invalid("The file is empty.", {"file": "The file is empty. Choose a spreadsheet."})
    if zipfile.is_zipfile(io.BytesIO(content)):
        return _read_xlsx(content, max_rows, max_columns)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise _not_a_spreadsheet()
    return _read_csv(content, max_rows, max_columns)


def _not_a_spreadsheet() -> Invalid:
    message = "This file is not a spreadsheet. Upload an .xlsx workbook or a .csv file."
    return Invalid(message, {"file": message})


def _too_big(what: str, limit: int) -> Invalid:
    message = f"The sheet has more than {limit:,} {what}. Split it into smaller files."
    return Invalid(message, {"file": message})


def _read_csv(content: bytes, max_rows: int, max_columns: int) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError as error:
            raise _not_a_spreadsheet() from error
    if "\x00" in text:
        raise _not_a_spreadsheet()
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            if len(rows) > max_rows:
                raise _too_big("rows", max_rows)
            if len(row) > max_columns + 1:
                raise _too_big("columns", max_columns)
            rows.append([csvout.unguard(value) for value in row])
    except csv.Error as error:
        raise _not_a_spreadsheet() from error
    return _table(rows)


def _read_xlsx(content: bytes, max_rows: int, max_columns: int) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # Not data_only: a formula's cached result could be stale or missing, and its text
        # is what the person typed. It is kept as text and never evaluated.
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise _not_a_spreadsheet() from error
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise Invalid("The workbook has no sheets.", {"file": "The workbook has no sheets."})
        rows: list[list[str]] = []
        formulas: list[tuple[int, int]] = []
        for row_number, row in enumerate(sheet.iter_rows(), start=1):
            if row_number > max_rows + 1:
                raise _too_big("rows", max_rows)
            values: list[str] = []
            for column_number, cell in enumerate(row, start=1):
                value = getattr(cell, "value", None)
                if column_number > max_columns + 1:
                    if value not in (None, ""):
                        raise _too_big("columns", max_columns)
                    continue
                if getattr(cell, "data_type", "") == "f":
                    formulas.append((row_number, column_number))
                values.append(_as_text(value))
            rows.append(values)
        typed = book[AS_TYPED] if AS_TYPED in book.sheetnames else None
        typed_rows = (
            [
                [_as_text(c.value) for c in row]
                for row in (typed.iter_rows(max_row=max_rows + 1, max_col=max_columns + 1))
            ]
            if typed
            else []
        )
    finally:
        book.close()
    table = _table(rows)
    table.formulas = formulas
    table.exported_at = _exported_at(book)
    if any(any(row) for row in typed_rows):
        _restore_typed(table, _table(typed_rows))
    return table


def _restore_typed(table: Table, typed: Table) -> None:
    """Put back the Markdown of each cell whose visible text is still the export's."""
    columns = {name.casefold(): index for index, name in enumerate(typed.header)}
    rows = {row[0].casefold(): row for row in typed.rows if row and row[0]}
    for row in table.rows:
        source = rows.get(row[0].casefold()) if row else None
        if source is None:
            continue
        for index, name in enumerate(table.header):
            at = columns.get(name.casefold())
            if index == 0 or at is None or at >= len(source):
                continue
            if row[index] == markdown.plain(source[at]):
                row[index] = source[at]


def _exported_at(book: Any) -> datetime | None:
    """The export time the app wrote into the workbook, or None (another program's file)."""
    for prop in getattr(book, "custom_doc_props", None) or []:
        if prop.name == EXPORTED_AT and isinstance(prop.value, str):
            try:
                stamp = datetime.fromisoformat(prop.value.strip().removesuffix("Z"))
            except ValueError:
                return None
            if stamp.tzinfo is not None:
                stamp = stamp.astimezone(UTC).replace(tzinfo=None)
            return stamp
    return None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    return str(value)


def _table(rows: list[list[str]]) -> Table:
    """Drop trailing empty rows and columns; the first row left is the header."""
    rows = [[value.strip() for value in row] for row in rows]
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise Invalid(
            "The sheet is empty.",
            {"file": "The sheet is empty: it needs a header row and at least one service area."},
        )
    width = max(max((i + 1 for i, v in enumerate(row) if v), default=0) for row in rows)
    padded = [(row + [""] * width)[:width] for row in rows]
    return Table(header=padded[0], rows=padded[1:])
