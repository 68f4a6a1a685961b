"""The grid page draws each cell once for what it shows and keeps it: whatever changes what a
cell shows (its words, a redaction, a name, the clock, who is looking) shows at once."""

from __future__ import annotations

import re
from datetime import timedelta

from grid_app.auth.models import User
from grid_app.database import utcnow
from grid_app.extensions import db
from grid_app.grid import cellcache, queries, service
from grid_app.grid.models import Cell, ServiceArea
from tests.redaction.test_redaction import SECRET, admins, approve, ask, write

__all__ = ["admins"]  # the fixture, used by the redaction test below


def cell_div(page: str, cell_id: int) -> str:
    found = re.search(rf'<div id="cell-{cell_id}".*?</div>\s*</td>', page, re.S)
    assert found, f"cell {cell_id} is not on the page"
    return found.group(0)


def test_new_words_show_on_the_grid_after_it_was_drawn(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    write(app, people["contributor"].id, cell_id, "Mentoring for new starters")
    assert "Mentoring for new starters" in client.get(f"/grids/{grid.slug}").text
    write(app, people["contributor"].id, cell_id, "Reverse mentoring with the board")
    shown = cell_div(client.get(f"/grids/{grid.slug}").text, cell_id)
    assert "Reverse mentoring with the board" in shown
    assert "new starters" not in shown


def test_a_redacted_cell_shows_the_notice_on_the_grid_it_was_drawn_on(
    app, client, people, admins, grid
):
    cell_id = grid.cells[("Social work", "Strategy")]
    revision_id = write(app, people["contributor"].id, cell_id, SECRET)
    client.sign_in(people["contributor"])
    assert "07700" in client.get(f"/grids/{grid.slug}").text
    # A redaction replaces the cell's words without a new version of the cell.
    approve(app, admins["second"], ask(app, people["manager"].id, revision_id))
    shown = cell_div(client.get(f"/grids/{grid.slug}").text, cell_id)
    assert "07700" not in shown and "Redacted on " in shown


def test_a_new_name_shows_for_the_last_editor_and_the_owners(app, client, people, grid):
    text_cell = grid.cells[("Youth Justice", "Evidence")]
    owner_cell = grid.cells[("Youth Justice", "Owner")]
    write(app, people["contributor"].id, text_cell, "Audit of stop and search")
    with app.app_context():
        cell = db.session.get_one(Cell, owner_cell)
        service.save_cell(
            db.session.get_one(User, people["manager"].id),
            cell,
            expected_version=cell.version,
            text="",
            owner_ids=[people["contributor"].id],
        )
        db.session.commit()
    client.sign_in(people["manager"])
    page = client.get(f"/grids/{grid.slug}").text
    old_name = people["contributor"].name
    assert f"by {old_name}" in cell_div(page, text_cell)
    assert f"<li>{old_name}</li>" in cell_div(page, owner_cell)
    with app.app_context():
        db.session.get_one(User, people["contributor"].id).display_name = "Kemi Okafor"
        db.session.commit()
    page = client.get(f"/grids/{grid.slug}").text
    assert "by Kemi Okafor" in cell_div(page, text_cell)
    assert "<li>Kemi Okafor</li>" in cell_div(page, owner_cell)
    assert old_name not in cell_div(page, text_cell) + cell_div(page, owner_cell)


def test_a_renamed_service_area_is_named_in_every_cell_of_its_row(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Evidence")]
    client.sign_in(people["contributor"])
    assert "Evidence for Social work" in cell_div(client.get(f"/grids/{grid.slug}").text, cell_id)
    with app.app_context():
        row = db.session.get_one(Cell, cell_id).row
        db.session.get_one(ServiceArea, row.id).name = "Children's social work"
        db.session.commit()
    shown = cell_div(client.get(f"/grids/{grid.slug}").text, cell_id)
    assert "Evidence for Children&#39;s social work" in shown


def area_heading(page: str, row_name: str) -> str:
    found = re.search(rf'<th scope="row"[^>]*>{re.escape(row_name)}.*?</th>', page, re.S)
    assert found, f"{row_name} is not on the page"
    return found.group(0)


def test_a_row_offers_show_all_while_it_holds_a_long_cell_and_not_after(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    write(app, people["contributor"].id, cell_id, "\n\n".join(f"Step {n}." for n in range(14)))
    page = client.get(f"/grids/{grid.slug}").text
    assert "Show all" in area_heading(page, "Social work")
    opened = client.get(f"/grids/{grid.slug}?open={row_id(app, cell_id)}").text
    assert "Show less" in area_heading(opened, "Social work")
    write(app, people["contributor"].id, cell_id, "One short line.")
    page = client.get(f"/grids/{grid.slug}").text
    assert "Show all" not in area_heading(page, "Social work")
    assert "One short line." in cell_div(page, cell_id)


def row_id(app, cell_id: int) -> int:
    with app.app_context():
        return db.session.get_one(Cell, cell_id).row_id


def test_a_reader_never_gets_the_edit_links_drawn_for_a_contributor(app, client, people, grid):
    client.sign_in(people["contributor"])
    assert "app-cell__edit" in client.get(f"/grids/{grid.slug}").text
    client.sign_in(people["reader"])
    page = client.get(f"/grids/{grid.slug}").text
    assert "app-cell__edit" not in page
    assert page.count("app-cell__open") == len(grid.cells)


def test_how_long_ago_moves_on_with_the_clock(app, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    write(app, people["contributor"].id, cell_id, "Mentoring for new starters")
    with app.test_request_context(), app.app_context():
        view = queries.grid_view(queries.grid_by_slug(grid.slug))
        row = next(r for r in view.rows if r.name == "Social work")
        macro = app.jinja_env.get_template("grid/_cell_macros.html").module.cell_view  # type: ignore[attr-defined]
        row_macro = app.jinja_env.get_template("grid/_table.html").module.grid_row  # type: ignore[attr-defined]
        changed = view.cells[(row.id, view.columns[0].id)].updated_at
        assert changed is not None

        def drawn(later: timedelta) -> str:
            address = f"/grids/{grid.slug}"
            rows = cellcache.grid_rows(
                cellcache.drawings(),
                address,
                row_macro,
                macro,
                str,
                view,
                True,
                None,
                changed + later,
            )
            return next(part for part in rows.split("</tr>") if row.name in part)

        assert "5 minutes ago" in drawn(timedelta(minutes=5))
        assert "5 minutes ago" in drawn(timedelta(minutes=5))
        assert "2 hours ago" in drawn(timedelta(hours=2))
        assert utcnow() - changed < timedelta(minutes=1)


def heat_cell(page: str, cell_id: int) -> str:
    found = re.search(
        rf'<td class="govuk-table__cell app-heat[^"]*">\s*<a [^>]*href="/cells/{cell_id}".*?</td>',
        page,
        re.S,
    )
    assert found, f"cell {cell_id} is not in the heatmap"
    return found.group(0)


def test_the_heatmap_shows_a_new_flag_and_new_words_after_it_was_drawn(app, client, people, grid):
    from grid_app.gaps import service as gaps

    cell_id = grid.cells[("Youth Justice", "Strategy")]
    client.sign_in(people["manager"])
    assert ">Empty<" in heat_cell(client.get(f"/grids/{grid.slug}/dashboard").text, cell_id)
    write(app, people["contributor"].id, cell_id, "Reverse mentoring")
    assert ">Filled<" in heat_cell(client.get(f"/grids/{grid.slug}/dashboard").text, cell_id)
    with app.app_context():
        gaps.raise_flag(
            db.session.get_one(User, people["contributor"].id),
            db.session.get_one(Cell, cell_id),
            what_is_missing="No figures by ethnicity",
            severity="high",
        )
        db.session.commit()
    shown = heat_cell(client.get(f"/grids/{grid.slug}/dashboard").text, cell_id)
    assert ">Flagged<" in shown and "1 open, 1 high" in shown
