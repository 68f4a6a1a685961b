"""The grid page and editing cells, as a person in a browser would (fragment and full page)."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy.orm import selectinload

from grid_app.auth.models import User
from grid_app.extensions import db
from grid_app.grid import queries, service
from grid_app.grid.models import Cell, CellRevision
from tests.conftest import HX, version_of


def revisions(app: Flask, cell_id: int) -> list[CellRevision]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(CellRevision)
                .where(CellRevision.cell_id == cell_id)
                .order_by(CellRevision.number)
            )
        )


def test_grid_page_shows_every_service_area_against_every_column(client, people, grid):
    client.sign_in(people["contributor"])
    page = client.get(f"/grids/{grid.slug}")
    assert page.status_code == 200
    for name in ("Social work", "Youth Justice"):
        assert re.search(rf'<th scope="row"[^>]*>{name}</th>', page.text)
    for name in ("Strategy", "Evidence", "Owner"):
        assert re.search(rf'<th scope="col"[^>]*>{name}</th>', page.text)
    assert page.text.count('class="app-cell__empty"') == 6
    assert 'Add<span class="govuk-visually-hidden"> Evidence for Youth Justice</span>' in page.text


def test_home_opens_the_first_grid(client, people, grid):
    client.sign_in(people["contributor"])
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/grids/{grid.slug}"


def test_unknown_grid_is_a_friendly_404(client, people, grid):
    client.sign_in(people["contributor"])
    response = client.get("/grids/no-such-grid")
    assert response.status_code == 404
    assert "There is no grid at this address." in response.text


def test_saved_cell_shows_rendered_text_author_and_time(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Evidence")]
    client.sign_in(people["contributor"])
    response = client.post_form(
        f"/cells/{cell_id}",
        {"text": "Workshops ran with **two** teams.", "version": "1"},
        headers=HX,
    )
    assert response.status_code == 200
    assert response.text.startswith(f'<div id="cell-{cell_id}"')
    assert "<strong>two</strong>" in response.text
    assert "by Cara Contributor" in response.text
    page = client.get(f"/grids/{grid.slug}")
    assert "Workshops ran with <strong>two</strong> teams." in page.text
    [revision] = revisions(app, cell_id)
    assert revision.text == "Workshops ran with **two** teams."
    assert revision.author_id == people["contributor"].id
    assert revision.kind == "edit"


def test_save_without_javascript_redirects_back_to_the_cell_in_the_grid(client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    response = client.post_form(f"/cells/{cell_id}", {"text": "Explicit model", "version": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/grids/{grid.slug}#cell-{cell_id}"


def test_edit_link_gives_a_form_fragment_in_place_and_a_full_page_without_javascript(
    client, people, grid
):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    fragment = client.get(f"/cells/{cell_id}/edit", headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.startswith(f'<div id="cell-{cell_id}" class="app-cell app-cell--editing"')
    assert "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    page = client.get(f"/cells/{cell_id}/edit")
    assert page.status_code == 200
    assert "<html" in page.text
    assert f'id="cell-{cell_id}" class="app-cell app-cell--editing"' in page.text
    assert '<label class="govuk-label" for="text-' in page.text


def test_cancel_fragment_is_the_cell_display(client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    fragment = client.get(f"/cells/{cell_id}", headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.startswith(f'<div id="cell-{cell_id}" class="app-cell')
    page = client.get(f"/cells/{cell_id}")
    assert "<h1" in page.text and "Strategy for Social work" in page.text


def test_boosted_request_gets_the_full_page(client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    page = client.get(f"/cells/{cell_id}", headers={**HX, "HX-Boosted": "true"})
    assert "<html" in page.text


def test_save_that_changes_nothing_writes_no_revision(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    client.post_form(f"/cells/{cell_id}", {"text": "Same words", "version": "1"})
    client.post_form(f"/cells/{cell_id}", {"text": "Same words\r\n", "version": "2"})
    assert len(revisions(app, cell_id)) == 1
    assert version_of(app, cell_id) == 2


def test_stale_save_is_refused_with_409_and_keeps_the_typed_text(app, new_client, people, grid):
    cell_id = grid.cells[("Youth Justice", "Evidence")]
    first, second = new_client(), new_client()
    first.sign_in(people["contributor"])
    second.sign_in(people["other"])
    assert (
        first.post_form(
            f"/cells/{cell_id}", {"text": "Regional group meets monthly.", "version": "1"}
        ).status_code
        == 303
    )

    refused = second.post_form(
        f"/cells/{cell_id}", {"text": "Data published quarterly.", "version": "1"}, headers=HX
    )
    assert refused.status_code == 409
    assert "Someone else changed this cell" in refused.text
    assert "Regional group meets monthly." in refused.text  # their version
    assert ">Data published quarterly.</textarea>" in refused.text  # mine, kept
    assert '<input type="hidden" name="version" value="2">' in refused.text
    assert "<del>" in refused.text and "<ins>" in refused.text
    assert [r.text for r in revisions(app, cell_id)] == ["Regional group meets monthly."]

    merged = second.post_form(
        f"/cells/{cell_id}",
        {"text": "Regional group meets monthly. Data published quarterly.", "version": "2"},
    )
    assert merged.status_code == 303
    assert [r.author_id for r in revisions(app, cell_id)] == [
        people["contributor"].id,
        people["other"].id,
    ]


def test_conflict_without_javascript_is_a_full_page(client, people, grid):
    cell_id = grid.cells[("Youth Justice", "Evidence")]
    client.sign_in(people["contributor"])
    client.post_form(f"/cells/{cell_id}", {"text": "One", "version": "1"})
    page = client.post_form(f"/cells/{cell_id}", {"text": "Two", "version": "1"})
    assert page.status_code == 409
    assert "<html" in page.text and "Merge your changes" in page.text
    assert ">Two</textarea>" in page.text


def test_over_long_text_is_refused_next_to_the_field_and_kept(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    typed = "x" * 20_001
    response = client.post_form(f"/cells/{cell_id}", {"text": typed, "version": "1"}, headers=HX)
    assert response.status_code == 422
    assert f'id="text-{cell_id}-error"' in response.text
    assert "a cell can hold up to 20,000" in response.text
    assert typed in response.text
    assert revisions(app, cell_id) == []


def test_missing_or_garbled_version_is_a_400_and_changes_nothing(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    for version in ("", "abc"):
        response = client.post_form(f"/cells/{cell_id}", {"text": "x", "version": version})
        assert response.status_code == 400
    assert revisions(app, cell_id) == []


def test_unknown_cell_is_404_for_every_cell_route(client, people, grid):
    client.sign_in(people["contributor"])
    assert client.get("/cells/99999").status_code == 404
    assert client.get("/cells/99999/edit").status_code == 404
    assert client.post_form("/cells/99999", {"text": "x", "version": "1"}).status_code == 404


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    response = client.post(f"/cells/{cell_id}", data={"text": "forged", "version": "1"})
    assert response.status_code == 400
    assert "This form has expired" in response.text
    htmx_forged = client.post(
        f"/cells/{cell_id}", data={"text": "forged", "version": "1"}, headers=HX
    )
    assert htmx_forged.status_code == 400
    assert revisions(app, cell_id) == []


def test_csrf_token_in_htmx_header_is_accepted(client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    response = client.post(
        f"/cells/{cell_id}",
        data={"text": "via htmx", "version": "1"},
        headers={**HX, "X-CSRFToken": client.csrf_token()},
    )
    assert response.status_code == 200


def test_reader_without_a_role_sees_the_grid_but_cannot_edit(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["reader"])
    page = client.get(f"/grids/{grid.slug}")
    assert page.status_code == 200
    assert "/edit" not in page.text
    assert client.get(f"/cells/{cell_id}/edit").status_code == 403
    refused = client.post_form(f"/cells/{cell_id}", {"text": "sneaky", "version": "1"})
    assert refused.status_code == 403
    assert revisions(app, cell_id) == []


def test_owner_column_takes_people_and_a_contact(app, client, people, grid):
    cell_id = grid.cells[("Youth Justice", "Owner")]
    client.sign_in(people["manager"])
    form = client.get(f"/cells/{cell_id}/edit", headers=HX)
    assert 'name="owners"' in form.text and "Olu Other" in form.text
    response = client.post_form(
        f"/cells/{cell_id}",
        {
            "owners": [str(people["other"].id), str(people["manager"].id)],
            "text": "Youth justice team",
            "version": "1",
        },
        headers=HX,
    )
    assert response.status_code == 200
    assert "<li>Mo Manager</li>" in response.text and "<li>Olu Other</li>" in response.text
    [revision] = revisions(app, cell_id)
    assert revision.owner_ids == sorted([people["other"].id, people["manager"].id])
    strategy = client.get(f"/cells/{grid.cells[('Youth Justice', 'Strategy')]}")
    assert "Mo Manager, Olu Other, Youth justice team" in strategy.text


def test_owner_that_is_not_a_person_is_refused(app, client, people, grid):
    cell_id = grid.cells[("Youth Justice", "Owner")]
    client.sign_in(people["manager"])
    response = client.post_form(
        f"/cells/{cell_id}", {"owners": ["424242"], "text": "", "version": "1"}, headers=HX
    )
    assert response.status_code == 422
    assert "Choose people from the list" in response.text
    assert revisions(app, cell_id) == []


def test_grid_page_runs_the_same_number_of_queries_however_full_it_is(
    app, client, people, grid, count_queries
):
    def fill(cell_filter) -> None:
        with app.app_context():
            actor = db.session.get_one(User, people["contributor"].id)
            owner_ids = [p.id for p in people.values()]
            query = db.select(Cell).options(selectinload(Cell.column)).where(cell_filter)
            for cell in db.session.scalars(query):
                service.save_cell(
                    actor,
                    cell,
                    expected_version=cell.version,
                    text="filled",
                    owner_ids=owner_ids if cell.column.holds_people else None,
                )
            db.session.commit()

    client.sign_in(people["contributor"])
    fill(
        Cell.id.in_([grid.cells[("Social work", "Owner")], grid.cells[("Social work", "Strategy")]])
    )
    with count_queries() as few:
        assert client.get(f"/grids/{grid.slug}").status_code == 200
    fill(Cell.id.is_not(None))
    with count_queries() as full:
        page = client.get(f"/grids/{grid.slug}")
    assert page.text.count("by Cara Contributor") == len(grid.cells)
    assert len(full) == len(few)
    # Seven queries of its own, one for each extension that puts badges on cells, and the
    # unread count on the notifications bell.
    assert len(full) <= 7 + len(queries.CELL_BADGES) + 1, "\n".join(
        s.split("\n")[0][:120] for s in full
    )


# --- A save sent again (its answer lost) ------------------------------------------------


def _hidden_fields(page: str) -> dict[str, str]:
    """The version and save key a page's form carries (whichever it has)."""
    return dict(re.findall(r'name="(version|save_key)" value="([^"]*)"', page))


def _edit_form(client, cell_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The hidden fields of the cell's edit form, as the browser got them."""
    return _hidden_fields(client.get(f"/cells/{cell_id}/edit", headers=HX).text)


def test_each_edit_form_carries_a_fresh_save_key(client, people, grid):
    cell_id = grid.cells[("Social work", "Evidence")]
    client.sign_in(people["contributor"])
    first, second = _edit_form(client, cell_id), _edit_form(client, cell_id)
    assert len(first.get("save_key", "")) >= 16
    assert first.get("save_key") != second.get("save_key")


def test_a_save_sent_again_is_answered_as_saved_not_as_a_conflict(app, client, people, grid):
    """The answer to a save was lost and the same form is sent again: the person is not
    shown their own text as someone else's."""
    cell_id = grid.cells[("Social work", "Evidence")]
    client.sign_in(people["contributor"])
    form = {**_edit_form(client, cell_id), "text": "Workshops with two teams."}
    first = client.post_form(f"/cells/{cell_id}", form, headers=HX)
    again = client.post_form(f"/cells/{cell_id}", form, headers=HX)
    assert (first.status_code, again.status_code) == (200, 200)
    assert "Someone else changed this cell" not in again.text
    assert 'class="app-cell__saved" role="status">Saved</p>' in again.text
    assert "Workshops with two teams." in again.text
    assert [r.text for r in revisions(app, cell_id)] == ["Workshops with two teams."]
    assert version_of(app, cell_id) == 2


def test_a_save_sent_again_without_javascript_goes_back_to_the_grid(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Evidence")]
    client.sign_in(people["contributor"])
    form = {**_edit_form(client, cell_id), "text": "Workshops with two teams."}
    answers = [client.post_form(f"/cells/{cell_id}", form) for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[1].headers["Location"] == answers[0].headers["Location"]
    assert len(revisions(app, cell_id)) == 1


def test_an_owner_save_sent_again_is_answered_as_saved(app, client, people, grid):
    cell_id = grid.cells[("Youth Justice", "Owner")]
    client.sign_in(people["contributor"])
    form = {
        **_edit_form(client, cell_id),
        "owners": [str(people["manager"].id), str(people["other"].id)],
        "text": "Youth Justice team",
    }
    answers = [client.post_form(f"/cells/{cell_id}", form, headers=HX) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert "Mo Manager" in answers[1].text
    [revision] = revisions(app, cell_id)
    assert sorted(revision.owner_ids) == sorted([people["manager"].id, people["other"].id])


def test_someone_else_sending_the_same_key_gets_the_usual_conflict(app, new_client, people, grid):
    """A key counts only for the person whose form it came in."""
    cell_id = grid.cells[("Social work", "Evidence")]
    mine, theirs = new_client(), new_client()
    mine.sign_in(people["contributor"])
    theirs.sign_in(people["other"])
    form = {**_edit_form(mine, cell_id), "text": "Workshops with two teams."}
    assert mine.post_form(f"/cells/{cell_id}", form, headers=HX).status_code == 200
    refused = theirs.post_form(f"/cells/{cell_id}", form, headers=HX)
    assert refused.status_code == 409
    assert "Someone else changed this cell" in refused.text
    assert [r.author_id for r in revisions(app, cell_id)] == [people["contributor"].id]


def test_other_text_sent_under_a_used_key_is_a_conflict_never_a_silent_saved(
    app, client, people, grid
):
    """An old copy of the form (the back button), edited again, is not a repeat: the new
    words are neither dropped nor written over the cell."""
    cell_id = grid.cells[("Social work", "Evidence")]
    client.sign_in(people["contributor"])
    form = _edit_form(client, cell_id)
    client.post_form(f"/cells/{cell_id}", {**form, "text": "First words."}, headers=HX)
    refused = client.post_form(f"/cells/{cell_id}", {**form, "text": "Other words."}, headers=HX)
    assert refused.status_code == 409
    assert ">Other words.</textarea>" in refused.text
    # The merged text goes out under a key of its own, and saves.
    fresh = _hidden_fields(refused.text)
    assert fresh["version"] == "2" and fresh.get("save_key") != form.get("save_key")
    merged = {**fresh, "text": "First words. Other words."}
    assert client.post_form(f"/cells/{cell_id}", merged, headers=HX).status_code == 200
    assert [r.text for r in revisions(app, cell_id)] == [
        "First words.",
        "First words. Other words.",
    ]


def test_a_restore_sent_again_is_answered_as_the_first_was(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    for version, text in enumerate(["One plan", "Two plans"], start=1):
        client.post_form(f"/cells/{cell_id}", {"text": text, "version": str(version)})
    first = revisions(app, cell_id)[0]
    form = _hidden_fields(client.get(f"/revisions/compare?to={first.id}").text)
    assert form["version"] == "3"
    answers = [client.post_form(f"/revisions/{first.id}/restore", form) for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303]
    history = client.get(f"/cells/{cell_id}/history").text
    assert history.count("Restored revision 1 as revision 3.") == 2
    assert [r.kind for r in revisions(app, cell_id)] == ["edit", "edit", "restore"]


LONG_TEXT = "\n\n".join(f"Paragraph {n} of what the team found this quarter." for n in range(12))


def _row_id(app: Flask, cell_id: int) -> int:
    with app.app_context():
        return db.session.get_one(Cell, cell_id).row_id


def test_every_cell_leads_to_its_own_page_for_every_role(client, people, grid):
    for role in ("contributor", "reader", "manager"):
        client.sign_in(people[role])
        page = client.get(f"/grids/{grid.slug}").text
        for (area, column), cell_id in grid.cells.items():
            assert re.search(
                rf'<a class="govuk-link app-cell__open" href="/cells/{cell_id}">Open'
                rf'<span class="govuk-visually-hidden"> {column} for {area}: ',
                page,
            ), (role, area, column)
        client.post_form("/sign-out", {})


def test_a_cells_own_page_shows_all_its_text_and_no_link_to_itself(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Evidence")]
    client.sign_in(people["contributor"])
    client.post_form(f"/cells/{cell_id}", {"text": LONG_TEXT, "version": "1"})
    page = client.get(f"/cells/{cell_id}").text
    assert "Paragraph 11" in page
    assert "app-cell__more" not in page
    assert f'href="/cells/{cell_id}">Open' not in page


def test_a_long_cell_shows_its_first_lines_and_a_show_all_that_needs_no_javascript(
    app, client, people, grid
):
    cell_id = grid.cells[("Social work", "Evidence")]
    client.sign_in(people["contributor"])
    client.post_form(f"/cells/{cell_id}", {"text": LONG_TEXT, "version": "1"})
    page = client.get(f"/grids/{grid.slug}").text
    assert page.count('<details class="app-cell__more">') == 1
    assert 'Show all</span><span class="app-cell__more-open">Show less</span>' in page
    row_id = _row_id(app, cell_id)
    # The whole row opens from beside the service area's name, with a plain link.
    assert f'href="/grids/{grid.slug}?open={row_id}#area-{row_id}"' in page
    opened = client.get(f"/grids/{grid.slug}?open={row_id}").text
    assert '<details class="app-cell__more" open>' in opened
    assert f'href="/grids/{grid.slug}#area-{row_id}" data-opened="true"' in opened


def test_a_row_to_open_that_is_not_a_number_shows_the_grid_as_usual(client, people, grid):
    cell_id = grid.cells[("Social work", "Evidence")]
    client.sign_in(people["contributor"])
    client.post_form(f"/cells/{cell_id}", {"text": LONG_TEXT, "version": "1"})
    response = client.get(f"/grids/{grid.slug}?open=everything")
    assert response.status_code == 200
    assert '<details class="app-cell__more">' in response.text


def test_someone_signed_out_cannot_open_a_row_of_the_grid(client, people, grid):
    response = client.get(f"/grids/{grid.slug}?open=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
