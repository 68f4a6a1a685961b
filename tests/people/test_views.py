"""The People pages as an admin meets them: list, person page, roles, deactivation, refusals."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from grid_app.auth import service as auth_service
from grid_app.auth.models import OPERATOR, Role, User
from grid_app.extensions import db
from grid_app.gaps import service as gap_service
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell
from grid_app.people import queries
from tests.conftest import HX, PASSWORD

NOT_ADMINS = ["contributor", "manager", "facilitator", "reader"]


def roles_of(app: Flask, person) -> set[str]:
    with app.app_context():
        return {r.value for r in db.session.get_one(User, person.id).roles}


def is_active(app: Flask, person) -> bool:
    with app.app_context():
        return db.session.get_one(User, person.id).active


def test_signed_out_people_are_sent_to_sign_in(client, people):
    for url in ("/people", f"/people/{people['other'].id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.location
    response = client.post_form(f"/people/{people['other'].id}/deactivate", {})
    assert response.status_code == 302 and "/sign-in" in response.location


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_people_who_are_not_admins_are_refused_everywhere(app, client, people, who):
    client.sign_in(people[who])
    assert ">People</a>" not in client.get("/profile").text
    target = people["other"].id
    assert client.get("/people").status_code == 403
    assert client.get("/people", headers=HX).status_code == 403
    assert client.get(f"/people/{target}").status_code == 403
    response = client.post_form(
        f"/people/{target}/roles", {"roles": ["admin"], "roles_seen": "contributor"}
    )
    assert response.status_code == 403
    assert client.post_form(f"/people/{target}/deactivate", {}).status_code == 403
    assert client.post_form(f"/people/{target}/reactivate", {}).status_code == 403
    assert roles_of(app, people["other"]) == {"contributor"}
    assert is_active(app, people["other"])


def test_the_header_links_admins_to_people(client, people):
    client.sign_in(people["admin"])
    page = client.get("/profile").text
    assert re.search(r'<a class="app-header__link" href="/people">People</a>', page)


def test_the_list_shows_everyone_with_roles_status_and_last_sign_in(app, client, people):
    with app.app_context():
        from grid_app.people import service

        service.deactivate(OPERATOR, db.session.get_one(User, people["reader"].id))
        db.session.commit()
    client.sign_in(people["admin"])
    page = client.get("/people")
    assert page.status_code == 200
    assert "HX-Request" in page.headers["Vary"]
    for person in people.values():
        assert person.name in page.text and person.email in page.text
    rows = {
        name: row
        for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", page.text, re.S)
        for name in [p.name for p in people.values()]
        if name in row
    }
    assert "Contributor, Manager" in rows["Mo Manager"]
    assert "Admin, Contributor" in rows["Ade Admin"]
    assert "Deactivated" in rows["Rae Reader"] and "Never" in rows["Rae Reader"]
    assert "<time" in rows["Ade Admin"]


def test_the_list_is_searched_and_filtered_as_a_fragment_or_a_page(client, people):
    client.sign_in(people["admin"])
    fragment = client.get("/people?q=MANAGER@&role=&status=", headers=HX)
    assert fragment.text.startswith('<div id="people-list">')
    assert "Mo Manager" in fragment.text and "Cara Contributor" not in fragment.text
    page = client.get("/people?q=o&role=facilitator")
    assert "<html" in page.text
    assert "Fay Facilitator" in page.text and "Mo Manager" not in page.text
    by_status = client.get("/people?status=active&q=rae", headers=HX)
    assert "Rae Reader" in by_status.text
    assert "Nobody matches" in client.get("/people?status=deactivated", headers=HX).text
    assert "Nobody matches" in client.get("/people?q=%25", headers=HX).text


def test_unknown_filters_are_refused_beside_their_fields(client, people):
    client.sign_in(people["admin"])
    response = client.get("/people?role=overlord&q=ade")
    assert response.status_code == 400
    assert 'id="people-role-error"' in response.text
    assert 'value="ade"' in response.text
    assert client.get("/people?page=zero").status_code == 400
    # From the htmx filter form, the browser is sent to the page that shows the message.
    refused = client.get("/people?role=overlord&q=ade", headers=HX)
    assert refused.status_code == 400
    assert refused.headers["HX-Redirect"] == "/people?role=overlord&q=ade"


def test_the_list_is_paginated(app, client, people):
    with app.app_context():
        for number in range(30):
            auth_service.create_user(
                OPERATOR, f"p{number:02}@example.org", f"Person {number:02}", PASSWORD
            )
        db.session.commit()
    client.sign_in(people["admin"])
    first = client.get("/people?q=person")
    assert "Person 24" in first.text and "Person 25" not in first.text
    assert 'href="/people?page=2&amp;q=person"' in first.text
    second = client.get("/people?page=2&q=person")
    assert "Person 25" in second.text and "Person 29" in second.text
    assert 'rel="next"' not in second.text and 'rel="prev"' in second.text


def test_the_list_runs_the_same_queries_however_many_people(app, client, people, count_queries):
    client.sign_in(people["admin"])
    with count_queries() as few:
        assert client.get("/people").status_code == 200
    with app.app_context():
        for number in range(20):
            user = auth_service.create_user(
                OPERATOR,
                f"p{number:02}@example.org",
                f"Person {number:02}",
                PASSWORD,
                roles=[Role.CONTRIBUTOR, Role.MANAGER],
            )
            auth_service.start_session(user)
        db.session.commit()
    with count_queries() as many:
        page = client.get("/people")
    assert page.text.count("Contributor, Manager") >= 20
    assert len(many) == len(few), "\n".join(s.split("\n")[0][:120] for s in many)


def test_the_person_page_shows_roles_and_what_they_own(app, client, people, grid):
    with app.app_context():
        owner_cell = db.session.get_one(Cell, grid.cells[("Youth Justice", "Owner")])
        grid_service.save_cell(
            OPERATOR,
            owner_cell,
            expected_version=owner_cell.version,
            text="",
            owner_ids=[people["other"].id],
        )
        evidence = db.session.get_one(Cell, grid.cells[("Social work", "Evidence")])
        manager = db.session.get_one(User, people["manager"].id)
        flag = gap_service.raise_flag(manager, evidence, what_is_missing="No data", severity="high")
        gap_service.change(
            manager,
            flag,
            gap_service.Action.ASSIGN,
            expected_version=flag.version,
            owner_id=people["other"].id,
        )
        db.session.commit()
        flag_id = flag.id
    client.sign_in(people["admin"])
    page = client.get(f"/people/{people['other'].id}").text
    assert 'id="role-contributor" name="roles" type="checkbox" value="contributor" checked' in page
    assert 'value="manager" aria-describedby' in page
    assert f'href="/cells/{grid.cells[("Youth Justice", "Owner")]}">Youth Justice</a>' in page
    assert f'href="/flags/{flag_id}">No data</a>' in page


def test_an_unknown_person_is_not_found(client, people):
    client.sign_in(people["admin"])
    assert client.get("/people/999999").status_code == 404
    assert client.post_form("/people/999999/deactivate", {}).status_code == 404


def test_admin_changes_roles_without_javascript(app, client, people):
    client.sign_in(people["admin"])
    response = client.post_form(
        f"/people/{people['other'].id}/roles",
        {"roles": ["contributor", "facilitator"], "roles_seen": "contributor"},
    )
    assert response.status_code == 303
    assert response.location.endswith(f"/people/{people['other'].id}")
    assert "roles have been saved" in client.get(response.location).text
    assert roles_of(app, people["other"]) == {"contributor", "facilitator"}


def test_admin_changes_roles_in_place_with_htmx(app, client, people):
    client.sign_in(people["admin"])
    response = client.post_form(
        f"/people/{people['other'].id}/roles",
        {"roles": ["manager"], "roles_seen": "contributor"},
        headers=HX,
    )
    assert response.status_code == 200
    assert response.text.startswith('<div id="person-roles">')
    assert "Roles saved." in response.text
    assert 'name="roles_seen" value="manager"' in response.text
    assert roles_of(app, people["other"]) == {"manager"}


@pytest.mark.parametrize("headers", [{}, HX])
def test_the_last_admin_keeps_the_role_and_the_ticks_are_kept(app, client, people, headers):
    client.sign_in(people["admin"])
    response = client.post_form(
        f"/people/{people['admin'].id}/roles",
        {"roles": ["contributor", "facilitator"], "roles_seen": "admin,contributor"},
        headers=headers,
    )
    assert response.status_code == 422
    assert 'id="roles-error"' in response.text
    assert "Someone else must be an active admin" in response.text
    assert 'value="facilitator" checked' in response.text
    assert 'value="admin" aria-describedby' in response.text
    assert ("<html" in response.text) is (not headers)
    assert roles_of(app, people["admin"]) == {"admin", "contributor"}


def test_an_unknown_role_is_refused_with_422(app, client, people):
    client.sign_in(people["admin"])
    response = client.post_form(
        f"/people/{people['other'].id}/roles", {"roles": ["overlord"], "roles_seen": "contributor"}
    )
    assert response.status_code == 422 and 'id="roles-error"' in response.text
    assert roles_of(app, people["other"]) == {"contributor"}


@pytest.mark.parametrize("headers", [{}, HX])
def test_roles_changed_meanwhile_are_a_conflict_that_keeps_the_ticks(app, client, people, headers):
    client.sign_in(people["admin"])
    response = client.post_form(
        f"/people/{people['other'].id}/roles",
        {"roles": ["contributor", "admin"], "roles_seen": "contributor,manager"},
        headers=headers,
    )
    assert response.status_code == 409
    assert "Someone else changed this person’s roles" in response.text
    assert 'value="admin" checked' in response.text
    assert 'name="roles_seen" value="contributor"' in response.text
    assert roles_of(app, people["other"]) == {"contributor"}


def test_admin_deactivates_someone_whose_next_request_is_signed_out(
    app, client, new_client, people
):
    theirs = new_client()
    theirs.sign_in(people["other"])
    assert theirs.get("/profile").status_code == 200
    client.sign_in(people["admin"])
    response = client.post_form(f"/people/{people['other'].id}/deactivate", {})
    assert response.status_code == 303
    assert "Olu Other has been deactivated." in client.get(response.location).text
    assert not is_active(app, people["other"])
    signed_out = theirs.get("/profile")
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.location
    refused = theirs.post_form("/sign-in", {"email": people["other"].email, "password": PASSWORD})
    assert refused.status_code == 422


def test_deactivating_with_htmx_moves_the_whole_page(client, people):
    client.sign_in(people["admin"])
    response = client.post_form(f"/people/{people['other'].id}/deactivate", {}, headers=HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/people/{people['other'].id}"


def test_the_last_admin_cannot_be_deactivated_and_is_told_why(app, client, people):
    with app.app_context():
        from grid_app.people import service

        service.set_roles(OPERATOR, db.session.get_one(User, people["manager"].id), ["admin"])
        db.session.commit()
    client.sign_in(people["admin"])
    response = client.post_form(f"/people/{people['admin'].id}/deactivate", {})
    assert response.status_code == 422
    assert 'id="status-error"' in response.text and "Ask another admin" in response.text
    assert is_active(app, people["admin"])


def test_admin_reactivates_someone(app, client, people):
    client.sign_in(people["admin"])
    client.post_form(f"/people/{people['other'].id}/deactivate", {})
    page = client.get(f"/people/{people['other'].id}").text
    assert "Reactivate Olu Other" in page
    response = client.post_form(f"/people/{people['other'].id}/reactivate", {})
    assert response.status_code == 303
    assert is_active(app, people["other"])


def test_the_person_queries_find_nobody_for_an_unknown_id(app, people):
    from grid_app.errors import NotFound

    with app.app_context(), pytest.raises(NotFound):
        queries.person(999999)
