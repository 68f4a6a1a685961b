"""Exports: the grid and its gaps as CSV and XLSX, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import User
from grid_app.extensions import db
from grid_app.gaps import service as gap_service
from grid_app.grid.models import Cell
from grid_app.grid.queries import HISTORY_CSV_HEADER
from tests.exchange.conftest import fill, sheet_values, workbook

EXPORTS = [
    "/grids/{slug}/export/grid.csv",
    "/grids/{slug}/export/grid.xlsx",
    "/grids/{slug}/export/gaps.csv",
    "/grids/{slug}/export/gaps.xlsx",
    "/grids/{slug}/export/sharing-practice.docx",
    "/grids/{slug}/export/sharing-practice.md",
    "/grids/{slug}/exchange",
]
DANGEROUS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTabbed", "\rReturn"]


@pytest.mark.parametrize("path", EXPORTS)
def test_signed_out_people_are_sent_to_sign_in(client, grid, path):
    response = client.get(path.format(slug=grid.slug))
    assert response.status_code in (302, 303)
    assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("path", EXPORTS)
@pytest.mark.parametrize("who", ["contributor", "reader", "facilitator"])
def test_only_managers_and_admins_may_export(client, people, grid, path, who):
    client.sign_in(people[who])
    response = client.get(path.format(slug=grid.slug))
    assert response.status_code == 403
    assert "manager or an admin" in response.text


def test_the_exchange_page_lists_the_downloads_and_the_import_form(manager, grid):
    page = manager.get(f"/grids/{grid.slug}/exchange")
    assert page.status_code == 200
    assert "Export and import" in page.text
    for link in ("export/grid.xlsx", "export/grid.csv", "export/gaps.csv", "history.csv"):
        assert link in page.text
    assert 'type="file"' in page.text


def test_the_site_navigation_links_managers_to_export_and_import(client, people, grid):
    client.sign_in(people["manager"])
    assert "Export and import" in client.get(f"/grids/{grid.slug}").text
    followed = client.get("/exchange")
    assert followed.status_code == 302
    assert followed.headers["Location"].endswith(f"/grids/{grid.slug}/exchange")


def test_the_navigation_link_is_hidden_from_contributors(client, people, grid):
    client.sign_in(people["contributor"])
    assert "Export and import" not in client.get(f"/grids/{grid.slug}").text
    assert client.get("/exchange").status_code == 403


def test_grid_csv_names_owners_and_guards_against_formulas(app, people, grid, manager):
    fill(app, people, grid, ("Social work", "Strategy"), DANGEROUS[0])
    fill(app, people, grid, ("Youth Justice", "Owner"), "Jo External", owners=["manager"])
    response = manager.get(f"/grids/{grid.slug}/export/grid.csv")
    assert response.status_code == 200
    today = date.today().isoformat()
    assert f'filename="{grid.slug}-grid-{today}.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Service area", "Strategy", "Evidence", "Owner"]
    assert rows[1][1] == "'" + DANGEROUS[0]
    assert rows[2] == ["Youth Justice", "", "", "Mo Manager; Jo External"]


def test_every_dangerous_start_gets_an_apostrophe_in_csv(app, people, grid, manager):
    for text, where in zip(
        DANGEROUS[1:],
        [
            ("Social work", "Strategy"),
            ("Social work", "Evidence"),
            ("Youth Justice", "Strategy"),
            ("Youth Justice", "Evidence"),
        ],
        strict=False,
    ):
        fill(app, people, grid, where, text + " end")
    rows = list(csv.reader(io.StringIO(manager.get(f"/grids/{grid.slug}/export/grid.csv").text)))
    values = [v for row in rows[1:] for v in row[1:3]]
    assert values == ["'+1+1 end", "'-2+3 end", "'@SUM(A1) end", "'\tTabbed end"]


def test_grid_workbook_has_grid_gaps_and_history_sheets_with_no_formulas(
    app, people, grid, manager
):
    for text, where in zip(
        DANGEROUS,
        [
            ("Social work", "Strategy"),
            ("Social work", "Evidence"),
            ("Youth Justice", "Strategy"),
            ("Youth Justice", "Evidence"),
        ],
        strict=False,
    ):
        fill(app, people, grid, where, text)
    with app.app_context():
        gap_service.raise_flag(
            db.session.get_one(User, people["contributor"].id),
            db.session.get_one(Cell, grid.cells[("Social work", "Evidence")]),
            what_is_missing="=No figures by ethnicity",
            severity="high",
        )
        db.session.commit()
    response = manager.get(f"/grids/{grid.slug}/export/grid.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert f"{grid.slug}-grid-" in response.headers["Content-Disposition"]
    book = workbook(response.data)
    assert book.sheetnames == ["Grid", "Open gaps", "History", "Grid as typed"]
    assert book["Grid as typed"].sheet_state == "hidden"
    grid_sheet = book["Grid"]
    assert grid_sheet.freeze_panes == "A2"
    assert grid_sheet["A1"].font.b and grid_sheet["A1"].value == "Service area"
    assert grid_sheet["B2"].alignment.wrap_text
    assert grid_sheet.column_dimensions["A"].width >= 20
    assert grid_sheet["B2"].value == DANGEROUS[0] and grid_sheet["B2"].data_type == "s"
    gaps = sheet_values(book["Open gaps"])
    assert gaps[0][:4] == ["Service area", "Column", "What is missing", "Severity"]
    assert gaps[1][:5] == ["Social work", "Evidence", "=No figures by ethnicity", "High", "Open"]
    assert gaps[1][7] == "Cara Contributor"
    history = sheet_values(book["History"])
    assert history[1] == HISTORY_CSV_HEADER
    assert len(history) == 2 + 4
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


def test_workbook_history_sheet_holds_only_the_newest_changes(app, people, grid, manager):
    from grid_app.exchange import service

    for number in range(5):
        fill(app, people, grid, ("Social work", "Strategy"), f"Version {number}")
    limit = service.HISTORY_SHEET_MAX
    service.HISTORY_SHEET_MAX = 3
    try:
        book = workbook(manager.get(f"/grids/{grid.slug}/export/grid.xlsx").data)
    finally:
        service.HISTORY_SHEET_MAX = limit
    texts = [row[8] for row in sheet_values(book["History"])[2:]]
    assert texts == ["Version 2", "Version 3", "Version 4"]


def test_gaps_alone_as_csv_and_workbook(app, people, grid, manager):
    with app.app_context():
        gap_service.raise_flag(
            db.session.get_one(User, people["contributor"].id),
            db.session.get_one(Cell, grid.cells[("Youth Justice", "Strategy")]),
            what_is_missing="@No plan",
            severity="low",
        )
        db.session.commit()
    as_csv = manager.get(f"/grids/{grid.slug}/export/gaps.csv")
    assert "open-gaps" in as_csv.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[1][:4] == ["Youth Justice", "Strategy", "'@No plan", "Low"]
    book = workbook(manager.get(f"/grids/{grid.slug}/export/gaps.xlsx").data)
    assert book.sheetnames == ["Open gaps"]
    assert book["Open gaps"]["C2"].value == "@No plan"


def test_exports_are_recorded_in_the_audit_log(app, people, grid, manager):
    manager.get(f"/grids/{grid.slug}/export/grid.xlsx")
    manager.get(f"/grids/{grid.slug}/export/gaps.csv")
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
        exported = [(e.action, e.details) for e in events if e.action == "grid.exported"]
        assert exported == [
            ("grid.exported", {"what": "grid", "format": "xlsx"}),
            ("grid.exported", {"what": "gaps", "format": "csv"}),
        ]
        assert all(
            e.actor_id == people["manager"].id for e in events if e.action == "grid.exported"
        )


def test_an_unknown_format_is_not_found(manager, grid):
    assert manager.get(f"/grids/{grid.slug}/export/grid.pdf").status_code == 404


def test_grid_workbook_holds_plain_text_not_markdown(app, people, grid, manager):
    fill(
        app,
        people,
        grid,
        ("Social work", "Strategy"),
        "We **listen first**.\n\n- Monthly supervision\n- A [model](https://example.org/m)",
    )
    book = workbook(manager.get(f"/grids/{grid.slug}/export/grid.xlsx").data)
    values = sheet_values(book["Grid"])
    header = values[0]
    row = next(r for r in values if r[0] == "Social work")
    assert row[header.index("Strategy")] == (
        "We listen first.\n\n• Monthly supervision\n• A model (https://example.org/m)"
    )
    # The CSV is for other systems and keeps the Markdown as typed.
    lines = manager.get(f"/grids/{grid.slug}/export/grid.csv").text
    assert "**listen first**" in lines


def test_a_workbook_export_carries_when_it_was_taken(app, grid, manager):
    book = workbook(manager.get(f"/grids/{grid.slug}/export/grid.xlsx").data)
    stamps = [p.value for p in book.custom_doc_props.props if p.name == "Grid exported at"]
    assert len(stamps) == 1 and stamps[0].endswith("Z")


def test_open_gaps_export_gives_raised_times_in_uk_time(app, people, grid, manager):
    with app.app_context():
        flag = gap_service.raise_flag(
            db.session.get_one(User, people["contributor"].id),
            db.session.get_one(Cell, grid.cells[("Social work", "Evidence")]),
            what_is_missing="No figures by ethnicity",
            severity="high",
        )
        flag.created_at = datetime(2026, 7, 1, 8, 0)  # 09:00 in London, summer time
        db.session.commit()
    rows = list(csv.reader(io.StringIO(manager.get(f"/grids/{grid.slug}/export/gaps.csv").text)))
    assert rows[0][-1] == "Raised at (UK time)"
    assert rows[1][-1] == "2026-07-01 09:00"
