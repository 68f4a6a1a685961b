"""Subject access: one person's data as a download, with nothing pointing at them left out."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import User
from grid_app.dataprotection import access
from grid_app.discussion import service as discussion
from grid_app.extensions import db
from grid_app.gaps import service as gaps
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell
from tests.conftest import Client, GridRef, Person
from tests.safe_space.conftest import SessionRef, contribute, safe_session  # noqa: F401


def test_every_column_that_points_at_a_person_is_exported_or_left_out_for_a_reason(
    app: Flask,
) -> None:
    with app.app_context():
        columns = set(access.person_columns())
    decided = set(access.COVERED) | set(access.LEFT_OUT)
    assert columns - decided == set(), "Decide whether these go into a subject access export"
    assert decided - columns == set(), "These columns no longer exist"


def _their_data(app: Flask, people: dict[str, Person], grid: GridRef, session: SessionRef) -> None:
    person = people["contributor"]
    with app.app_context():
        actor = db.session.get_one(User, person.id)
        cell = db.session.get_one(Cell, grid.cells[("Social work", "Strategy")])
        grid_service.save_cell(
            actor, cell, expected_version=cell.version, text="Reverse mentoring pilot in Q2"
        )
        discussion.add_comment(actor, cell, body="Who holds the budget for this?")
        gaps.raise_flag(actor, cell, what_is_missing="No data on exclusions", severity="high")
        db.session.commit()
    contribute(app, person, session, "I was passed over twice for acting-up roles")
    contribute(app, person, session, "Words nobody may tie to me", anonymous=True)


def _download(client: Client, user_id: int) -> tuple[Any, dict[str, Any], str]:
    response = client.post_form(f"/people/{user_id}/data", {})
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        data = json.loads(archive.read("data.json"))
        summary = archive.read("summary.html").decode()
    return response, data, summary


def test_an_admin_downloads_everything_about_one_person_but_never_their_anonymous_words(
    app: Flask,
    client: Client,
    people: dict[str, Person],
    grid: GridRef,
    safe_session: SessionRef,  # noqa: F811
) -> None:
    _their_data(app, people, grid, safe_session)
    client.sign_in(people["admin"])
    person = people["contributor"]
    page = client.get(f"/people/{person.id}")
    assert f'href="/people/{person.id}/data"' in page.get_data(as_text=True)
    overview = client.get(f"/people/{person.id}/data").get_data(as_text=True)
    assert "Revisions they wrote" in overview and "Download" in overview

    response, data, summary = _download(client, person.id)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert f"personal-data-{person.id}-" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    text = json.dumps(data)
    assert data["person"]["email"] == person.email
    assert "password_hash" not in text and "token_hash" not in text
    sections = data["sections"]
    assert [r["text"] for r in sections["Revisions they wrote"]] == [
        "Reverse mentoring pilot in Q2"
    ]
    assert [r["body"] for r in sections["Comments they wrote"]] == [
        "Who holds the budget for this?"
    ]
    assert [r["what_is_missing"] for r in sections["Gap flags they raised"]] == [
        "No data on exclusions"
    ]
    named = sections["Their named safe-space contributions"]
    assert [r["body"] for r in named] == ["I was passed over twice for acting-up roles"]
    assert "Words nobody may tie to me" not in text
    assert sections["Roles"][0]["role"] == "contributor"
    assert person.name in summary and "Reverse mentoring pilot in Q2" in summary
    assert "Words nobody may tie to me" not in summary
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.data_exported")
        ).one()
        assert event.actor_id == people["admin"].id and event.target_id == str(person.id)
        assert "Reverse" not in json.dumps(event.details)
    # The audit log says who downloaded whose data; the next export of them includes it.
    assert f"downloaded the personal data of {person.name}" in client.get("/audit").get_data(
        as_text=True
    )
    _, again, _ = _download(client, person.id)
    about_them = again["sections"]["Audit events: what they did and what was done to them"]
    assert "user.data_exported" in {e["action"] for e in about_them}


def test_the_export_reads_one_query_per_kind_of_record(
    app: Flask, people: dict[str, Person], grid: GridRef, count_queries: Any
) -> None:
    with app.app_context():
        person = db.session.get_one(User, people["contributor"].id)
        with count_queries() as counted:
            access.collect(person)
    assert len(counted) <= len(access.COVERED) + 1


@pytest.mark.parametrize("key", ["contributor", "manager", "facilitator"])
def test_only_admins_see_or_download_someone_s_data(
    client: Client, people: dict[str, Person], key: str
) -> None:
    client.sign_in(people[key])
    target = people["other"].id
    assert client.get(f"/people/{target}/data").status_code == 403
    assert client.post_form(f"/people/{target}/data", {}).status_code == 403


def test_an_unknown_person_is_not_found_and_a_post_without_its_token_is_refused(
    client: Client, people: dict[str, Person]
) -> None:
    client.sign_in(people["admin"])
    assert client.get("/people/9999/data").status_code == 404
    assert client.post_form("/people/9999/data", {}).status_code == 404
    assert client.post(f"/people/{people['other'].id}/data").status_code == 400
