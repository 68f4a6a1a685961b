"""Importing a spreadsheet: upload, preview, apply; refusals and bad files change nothing."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from grid_app.auth.models import User
from grid_app.exchange.models import ImportUpload
from grid_app.extensions import db
from grid_app.grid import history
from grid_app.grid.models import Cell, CellRevision, Grid, GridChange, ServiceArea
from tests.exchange.conftest import fill

HEADER = "Service area,Strategy,Evidence,Owner\n"


def csv_file(text: str, name: str = "grid.csv"):
    return (io.BytesIO(text.encode()), name)


def xlsx_file(rows, name: str = "grid.xlsx"):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return (buffer, name)


def upload(client, grid, file, **fields):
    data = {"csrf_token": client.csrf_token(), "target": "this", "file": file, **fields}
    return client.post(f"/grids/{grid.slug}/import", data=data, content_type="multipart/form-data")


def preview_of(client, grid, file, **fields):
    response = upload(client, grid, file, **fields)
    assert response.status_code == 303, response.text
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return response.headers["Location"], page


def base_of(page) -> str:
    return re.search(r'name="base" value="([^"]*)"', page.text).group(1)


def apply(client, url, base):
    return client.post_form(url, {"base": base})


def texts(app, grid_id):
    with app.app_context():
        return {
            (c.row.name, c.column.name): c.text
            for c in db.session.scalars(db.select(Cell).where(Cell.grid_id == grid_id))
        }


def revision_count(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(CellRevision.id)))


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/grids/{slug}/import"), ("get", "/imports/x"), ("post", "/imports/x")],
)
def test_signed_out_people_are_sent_to_sign_in(client, grid, method, path):
    url = path.format(slug=grid.slug)
    response = client.get(url) if method == "get" else client.post_form(url, {})
    assert response.status_code in (302, 303)
    assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("who", ["contributor", "reader"])
def test_only_managers_and_admins_may_import(client, people, grid, app, who):
    client.sign_in(people[who])
    response = upload(client, grid, csv_file(HEADER + "Social work,New,,\n"))
    assert response.status_code == 403
    assert client.get("/imports/anything").status_code == 403
    assert client.post_form("/imports/anything", {"base": "x"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ImportUpload.id))) == 0


def test_someone_elses_preview_is_not_found(app, people, grid, manager, new_client):
    url, page = preview_of(manager, grid, csv_file(HEADER + "Social work,Mine,,\n"))
    other = new_client()
    other.sign_in(people["admin"])
    assert other.get(url).status_code == 404
    assert apply(other, url, base_of(page)).status_code == 404


def test_csv_preview_shows_filled_and_changed_cells_then_applies_as_import_revisions(
    app, people, grid, manager
):
    fill(app, people, grid, ("Social work", "Strategy"), "Reflective supervision monthly.")
    url, page = preview_of(
        manager,
        grid,
        csv_file(
            HEADER
            + "Social work,Reflective supervision every fortnight.,Audit of 40 cases,\n"
            + "Youth Justice,,,\n"
        ),
    )
    assert "Check the import" in page.text
    assert "Changed cells (1)" in page.text and "Filled cells (1)" in page.text
    assert "[removed: </span>monthly.<span" in page.text
    assert "Audit of 40 cases" in page.text
    before = revision_count(app)
    assert texts(app, grid.id)[("Social work", "Evidence")] == ""  # nothing applied yet
    done = apply(manager, url, base_of(page))
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/grids/{grid.slug}")
    after = texts(app, grid.id)
    assert after[("Social work", "Strategy")] == "Reflective supervision every fortnight."
    assert after[("Social work", "Evidence")] == "Audit of 40 cases"
    assert revision_count(app) == before + 2
    with app.app_context():
        newest = db.session.scalars(
            db.select(CellRevision).order_by(CellRevision.id.desc()).limit(2)
        ).all()
        assert {r.kind for r in newest} == {"import"}
        assert {r.author_id for r in newest} == {people["manager"].id}
        assert history.verify_all()[1] is None
        assert db.session.scalar(db.select(db.func.count(ImportUpload.id))) == 0
    feed = manager.get(f"/grids/{grid.slug}/activity").text
    assert "Audit of 40 cases" in feed or "Imported from a spreadsheet" in feed
    cell_history = manager.get(f"/cells/{grid.cells[('Social work', 'Evidence')]}/history")
    assert "import" in cell_history.text


def test_owner_names_and_emails_become_people_and_others_stay_contacts(app, people, grid, manager):
    url, page = preview_of(
        manager,
        grid,
        csv_file(HEADER + "Youth Justice,,,Cara Contributor; admin@example.org; Jo from YOT\n"),
    )
    assert apply(manager, url, base_of(page)).status_code == 303
    with app.app_context():
        cell = db.session.get_one(Cell, grid.cells[("Youth Justice", "Owner")])
        assert sorted(p.display_name for p in cell.owners) == ["Ade Admin", "Cara Contributor"]
        assert cell.text == "Jo from YOT"


def test_xlsx_formulas_and_html_are_imported_as_text_never_run(app, people, grid, manager):
    rows = [
        ["Service area", "Strategy", "Evidence", "Owner"],
        ["Social work", "=1+1", "<script>alert(1)</script><b>Bold</b>", None],
    ]
    url, page = preview_of(manager, grid, xlsx_file(rows))
    assert "Row 2, column Strategy holds a formula" in page.text
    assert "<script>alert(1)" not in page.text
    assert apply(manager, url, base_of(page)).status_code == 303
    after = texts(app, grid.id)
    assert after[("Social work", "Strategy")] == "=1+1"
    assert after[("Social work", "Evidence")] == "<script>alert(1)</script><b>Bold</b>"
    shown = manager.get(f"/grids/{grid.slug}").text
    assert "<script>alert(1)" not in shown


def test_a_managers_file_with_new_rows_applies_the_rest_and_says_what_was_left_out(
    app, people, grid, manager
):
    url, page = preview_of(
        manager,
        grid,
        csv_file(
            "Service area,Strategy,Training\nCorporate HR,Policy,Yes\nSocial work,Fortnightly,Yes\n"
        ),
    )
    assert "New service areas" not in page.text and "New columns" not in page.text
    assert "the service area “Corporate HR” is not in the grid" in page.text
    assert "The column “Training” is not in the grid" in page.text
    done = apply(manager, url, base_of(page))
    assert done.status_code == 303
    shown = manager.get(done.headers["Location"]).text
    assert "Imported: 1 cell changed" in shown
    assert "“Corporate HR” is not in the grid, and only an admin can add service areas" in shown
    assert texts(app, grid.id)[("Social work", "Strategy")] == "Fortnightly"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(GridChange.id))) == 0
        assert db.session.scalar(db.select(db.func.count(ServiceArea.id))) == 2


def test_an_admin_import_adds_rows_and_columns_through_the_structure_service(
    app, people, grid, admin
):
    url, page = preview_of(
        admin, grid, csv_file("Service area,Strategy,Training\nCorporate HR,Policy,Yes\n")
    )
    assert apply(admin, url, base_of(page)).status_code == 303
    after = texts(app, grid.id)
    assert after[("Corporate HR", "Strategy")] == "Policy"
    assert after[("Corporate HR", "Training")] == "Yes"
    assert after[("Social work", "Training")] == ""
    with app.app_context():
        kinds = db.session.scalars(db.select(GridChange.kind).order_by(GridChange.id)).all()
        assert kinds == ["column.added", "row.added"]


def test_an_admin_can_import_into_a_new_grid(app, people, grid, admin):
    url, page = preview_of(
        admin,
        grid,
        csv_file("Area,Strategy,Owner\nEducation,Curriculum review,Mo Manager\n"),
        target="new",
        new_grid_name="Schools grid",
    )
    assert "a new grid, <strong>Schools grid</strong>" in page.text
    done = apply(admin, url, base_of(page))
    assert done.status_code == 303 and done.headers["Location"].endswith("/grids/schools-grid")
    with app.app_context():
        made = db.session.scalar(db.select(Grid).where(Grid.slug == "schools-grid"))
        owner = db.session.scalar(
            db.select(Cell).join(ServiceArea).where(Cell.grid_id == made.id, Cell.text == "")
        )
        assert owner is not None
    assert texts(app, made.id)[("Education", "Strategy")] == "Curriculum review"


def test_a_manager_cannot_create_a_grid_by_import(app, people, grid, manager):
    response = upload(
        manager, grid, csv_file(HEADER + "A,b,,\n"), target="new", new_grid_name="Mine"
    )
    assert response.status_code == 403
    assert "Only an admin can create a grid" in response.text


def test_a_new_grid_needs_a_name_not_already_taken(app, people, grid, admin):
    missing = upload(admin, grid, csv_file(HEADER + "A,b,,\n"), target="new", new_grid_name="")
    assert missing.status_code == 422 and "Enter a name for the new grid" in missing.text
    taken = upload(
        admin, grid, csv_file(HEADER + "A,b,,\n"), target="new", new_grid_name="Test grid"
    )
    assert taken.status_code == 422 and "already exists" in taken.text


def test_applying_after_the_grid_changed_is_a_conflict_with_a_fresh_preview(
    app, people, grid, manager
):
    url, page = preview_of(manager, grid, csv_file(HEADER + "Social work,From the file,,\n"))
    fill(app, people, grid, ("Social work", "Strategy"), "Typed meanwhile")
    before = revision_count(app)
    response = apply(manager, url, base_of(page))
    assert response.status_code == 409
    assert "The grid changed meanwhile" in response.text
    assert "Typed meanwhile" in response.text  # the fresh preview diffs against it
    assert revision_count(app) == before
    assert texts(app, grid.id)[("Social work", "Strategy")] == "Typed meanwhile"
    again = apply(manager, url, base_of(response))
    assert again.status_code == 303
    assert texts(app, grid.id)[("Social work", "Strategy")] == "From the file"


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return buffer.getvalue()


BAD_FILES = [
    ((b"", "empty.csv"), "The file is empty"),
    ((b"\x89PNG\r\n\x1a\n\x00\x00binary", "photo.png"), "not a spreadsheet"),
    ((b"PK\x03\x04 not really a zip", "broken.xlsx"), "not a spreadsheet"),
    ((plain_zip(), "archive.xlsx"), "not a spreadsheet"),
    (("\n\n\n", "grid.csv"), "The sheet is empty"),
    (("Social work\nYouth Justice\n", "grid.csv"), "The first row must be a header"),
    (
        ("Service area,Strategy,\nSocial work,a,b\n", "grid.csv"),
        "Row 2, column C has text, but the header",
    ),
    (("Service area,Strategy,strategy\nSocial work,a,b\n", "grid.csv"), "Row 1, column C"),
    ((HEADER + "Social work,a,,\nSocial Work,b,,\n", "grid.csv"), "Row 3, column A"),
    ((HEADER + ",orphan text,,\n", "grid.csv"), "Row 2, column A: name the service area"),
    ((HEADER, "grid.csv"), "no service areas under it"),
    ((HEADER + "Social work," + "x" * 20_001 + ",,\n", "grid.csv"), "Row 2, column Strategy"),
]


@pytest.mark.parametrize(("file", "message"), BAD_FILES)
def test_bad_files_are_refused_with_a_clear_message_and_nothing_kept(
    app, grid, manager, file, message
):
    content, name = file
    data = content.encode() if isinstance(content, str) else content
    response = upload(manager, grid, (io.BytesIO(data), name))
    assert response.status_code == 422
    assert message in response.text
    assert 'class="govuk-error-message"' in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ImportUpload.id))) == 0
        assert db.session.scalar(db.select(db.func.count(CellRevision.id))) == 0


def test_a_missing_file_is_asked_for(manager, grid):
    response = manager.post(
        f"/grids/{grid.slug}/import",
        data={"csrf_token": manager.csrf_token(), "target": "this"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Choose a spreadsheet to import" in response.text


def test_too_many_rows_is_refused(app, grid, manager):
    app.config["IMPORT_MAX_ROWS"] = 3
    rows = "".join(f"Area {n},x,,\n" for n in range(4))
    response = upload(manager, grid, csv_file(HEADER + rows))
    assert response.status_code == 422
    assert "more than 3 rows" in response.text


def test_a_huge_upload_gets_a_friendly_413_page(app, grid, manager):
    big = FileStorage(
        io.BytesIO(b"Service area,Strategy\n" + b"x" * (2 * 1024 * 1024 + 10)), "big.csv"
    )
    # Encoded in memory: the test client would spool a body this size to a temporary file.
    boundary, body = encode_multipart(
        MultiDict({"csrf_token": manager.csrf_token(), "target": "this", "file": big})
    )
    response = manager.post(
        f"/grids/{grid.slug}/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert "larger than 2 MB" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ImportUpload.id))) == 0


def test_import_limit_below_the_request_limit_is_also_refused(app, grid, manager):
    app.config["IMPORT_MAX_BYTES"] = 100
    response = upload(manager, grid, csv_file(HEADER + "Social work," + "y" * 200 + ",,\n"))
    assert response.status_code == 422
    assert "larger than" in response.text


def test_someone_deactivated_after_the_preview_cannot_apply_it(app, people, grid, manager):
    url, page = preview_of(
        manager, grid, csv_file(HEADER + "Social work,First,Second,\nYouth Justice,Third,,\n")
    )
    with app.app_context():
        # The manager is deactivated between the preview and applying it.
        user = db.session.get_one(User, people["manager"].id)
        user.active = False
        db.session.commit()
    before = revision_count(app)
    response = apply(manager, url, base_of(page))
    assert response.status_code in (302, 303, 403)
    assert revision_count(app) == before


def test_an_expired_preview_is_not_found(app, grid, manager):
    url, _page = preview_of(manager, grid, csv_file(HEADER + "Social work,x,,\n"))
    with app.app_context():
        from datetime import datetime

        for stored in db.session.scalars(db.select(ImportUpload)):
            stored.expires_at = datetime(2000, 1, 1)
        db.session.commit()
    response = manager.get(url)
    assert response.status_code == 404
    assert "expired" in response.text


def exported_workbook(client, grid):
    response = client.get(f"/grids/{grid.slug}/export/grid.xlsx")
    assert response.status_code == 200
    return response.data


def edited_copy(data: bytes, edits: dict[tuple[str, str], str]):
    """The exported workbook with some cells changed, as a person would in a spreadsheet."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    sheet = book["Grid"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for (area, column), text in edits.items():
            if row[0].value == area:
                row[header.index(column)].value = text
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return (buffer, "grid.xlsx")


def test_reimporting_an_old_export_marks_later_edits_and_leaves_them_unless_chosen(
    app, people, grid, manager
):
    fill(app, people, grid, ("Social work", "Strategy"), "Monthly supervision.")
    data = exported_workbook(manager, grid)
    fill(app, people, grid, ("Social work", "Strategy"), "Weekly supervision, agreed later.")
    file = edited_copy(
        data, {("Social work", "Evidence"): "Audit of 40 cases", ("Youth Justice", "Strategy"): "x"}
    )
    url, page = preview_of(manager, grid, file)
    # The file still says "Monthly": applying it as it stands would undo the later edit.
    assert "Edited by Cara Contributor on " in page.text and ", after your file" in page.text
    assert "1 of its changes would undo edits made after that" in page.text
    assert f'value="cell-{grid.cells[("Social work", "Strategy")]}"' in page.text
    done = apply(manager, url, base_of(page))
    assert done.status_code == 303
    after = texts(app, grid.id)
    assert after[("Social work", "Strategy")] == "Weekly supervision, agreed later."
    assert after[("Social work", "Evidence")] == "Audit of 40 cases"
    shown = manager.get(done.headers["Location"]).text
    assert "1 change you left unticked stayed as the grid had them" in shown


def test_the_manager_chooses_per_change_what_to_apply(app, people, grid, manager):
    fill(app, people, grid, ("Social work", "Strategy"), "Monthly supervision.")
    data = exported_workbook(manager, grid)
    fill(app, people, grid, ("Social work", "Strategy"), "Weekly supervision, agreed later.")
    file = edited_copy(data, {("Social work", "Evidence"): "Audit of 40 cases"})
    url, page = preview_of(manager, grid, file)
    strategy = f"cell-{grid.cells[('Social work', 'Strategy')]}"
    done = manager.post_form(url, {"base": base_of(page), "choosing": "1", "apply": strategy})
    assert done.status_code == 303
    after = texts(app, grid.id)
    assert after[("Social work", "Strategy")] == "Monthly supervision."  # chosen: applied
    assert after[("Social work", "Evidence")] == ""  # unticked: left as it was


def test_a_choice_naming_no_change_in_the_preview_applies_nothing(app, people, grid, manager):
    url, page = preview_of(manager, grid, csv_file(HEADER + "Social work,From the file,,\n"))
    before = revision_count(app)
    done = manager.post_form(url, {"base": base_of(page), "choosing": "1", "apply": "cell-99999"})
    assert done.status_code == 303
    assert revision_count(app) == before
    assert texts(app, grid.id)[("Social work", "Strategy")] == ""


def test_a_file_from_elsewhere_says_later_edits_cannot_be_marked(app, people, grid, manager):
    _, page = preview_of(manager, grid, csv_file(HEADER + "Social work,From the file,,\n"))
    assert "The file does not say when it was exported" in page.text


def test_reimporting_an_untouched_export_of_styled_cells_changes_nothing(
    app, people, grid, manager
):
    fill(app, people, grid, ("Social work", "Strategy"), "We **listen first**.\n\n- Monthly")
    data = exported_workbook(manager, grid)
    _, page = preview_of(manager, grid, (io.BytesIO(data), "grid.xlsx"))
    assert "The file matches the grid: there is nothing to import." in page.text
