"""Export and import in a real browser: a manager downloads the workbook, then imports a CSV."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, cell_id, save_as, sign_in

MANAGER = "manager@example.org"
AREA = "Safe spaces for staff"
NEW_EVIDENCE = "Attendance counted each month since March; 60% of black staff have come."
UPLOAD = f"Service area,Evidence\n{AREA},{NEW_EVIDENCE}\n".encode()


def open_exchange(page: Page, server: LiveServer) -> None:
    """The export and import page, reached from the site navigation."""
    sign_in(page, server, MANAGER)
    page.get_by_role("navigation", name="Site").get_by_role(
        "link", name="Export and import"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export and import")


def open_import_preview(page: Page, server: LiveServer) -> None:
    """The preview of an uploaded CSV, before it is applied."""
    open_exchange(page, server)
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(
        {"name": "safe-spaces.csv", "mimeType": "text/csv", "buffer": UPLOAD}
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")


def test_manager_exports_the_workbook_then_imports_a_csv_and_sees_it_in_history(
    page: Page, live_server, console_errors
):
    open_exchange(page, live_server)
    with page.expect_download() as info:
        page.get_by_role("link", name="The grid as a workbook (XLSX)").click()
    download = info.value
    assert download.suggested_filename.startswith("grid-for-supporting-people-grid-")
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    assert book.sheetnames == ["Grid", "Open gaps", "History", "Grid as typed"]
    assert book["Grid as typed"].sheet_state == "hidden"
    assert book["Grid"]["A2"].value == AREA

    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(
        {"name": "safe-spaces.csv", "mimeType": "text/csv", "buffer": UPLOAD}
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    expect(page.get_by_role("heading", name="Filled cells (1)")).to_be_visible()
    expect(page.get_by_role("rowheader", name=f"Evidence for {AREA}")).to_be_visible()
    page.get_by_role("button", name="Apply the import").click()

    expect(page.get_by_text("Imported: 1 cell changed")).to_be_visible()
    expect(page.get_by_role("table").get_by_text(NEW_EVIDENCE)).to_be_visible()
    page.goto(f"{live_server.url}/cells/{cell_id(live_server, AREA, 'Evidence')}/history")
    newest = page.get_by_role("row").filter(has_text="Imported from a spreadsheet").first
    expect(newest).to_contain_text("import")
    assert console_errors == []


LATER_EVIDENCE = "Attendance now counted weekly, agreed at the June meeting."


def open_preview_of_an_old_export(page: Page, server: LiveServer) -> None:
    """The preview of a workbook exported before a colleague edited one of its cells."""
    open_exchange(page, server)
    with page.expect_download() as info:
        page.get_by_role("link", name="The grid as a workbook (XLSX)").click()
    book = load_workbook(io.BytesIO(info.value.path().read_bytes()))
    save_as(server, "contributor@example.org", cell_id(server, AREA, "Evidence"), LATER_EVIDENCE)
    sheet = book["Grid"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("Evidence") + 1, value=NEW_EVIDENCE)
    buffer = io.BytesIO()
    book.save(buffer)
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(
        {"name": "grid.xlsx", "mimeType": "application/octet-stream", "buffer": buffer.getvalue()}
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")


def test_reimporting_an_old_export_shows_later_edits_and_keeps_them_unless_ticked(
    page: Page, live_server, console_errors
):
    open_preview_of_an_old_export(page, live_server)
    row = page.get_by_role("row").filter(has_text=f"Evidence for {AREA}")
    expect(row).to_contain_text("Edited by Chris Contributor on ")
    expect(row).to_contain_text("after your file")
    choice = row.get_by_role("checkbox", name=f"Apply the change to Evidence for {AREA}")
    expect(choice).not_to_be_checked()
    page.get_by_role("button", name="Apply the import").click()

    expect(
        page.get_by_text("1 change you left unticked stayed as the grid had them")
    ).to_be_visible()
    expect(page.get_by_role("table").get_by_text(LATER_EVIDENCE)).to_be_visible()
    assert console_errors == []
