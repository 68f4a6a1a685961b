"""Redaction: asked for by a manager or admin, approved by a different admin, shown
everywhere in place of the words, and still verified by the history's keyed chain."""

from __future__ import annotations

import io
import zipfile

import pytest
from flask import Flask
from sqlalchemy import select, text

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import User
from grid_app.discussion import service as discussion_service
from grid_app.discussion.models import Comment, CommentEdit
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell, CellRevision, Redaction
from grid_app.redaction import service
from tests.conftest import HX
from tests.grid.test_tampering import behind_the_apps_back, verify

SECRET = "Call Jo Bloggs on 07700 900123"
REASON = "A private phone number"


@pytest.fixture
def admins(app: Flask, people) -> dict[str, int]:
    """A second admin, so that one can ask and the other approve."""
    from grid_app.auth import service as auth_service
    from grid_app.auth.models import OPERATOR, Role
    from tests.conftest import PASSWORD

    with app.app_context():
        second = auth_service.create_user(
            OPERATOR, "second@example.org", "Sam Second", PASSWORD, roles=[Role.ADMIN]
        )
        db.session.commit()
        return {"first": people["admin"].id, "second": second.id}


def write(app: Flask, person_id: int, cell_id: int, words: str) -> int:
    with app.app_context():
        cell = db.session.get_one(Cell, cell_id)
        revision = grid_service.save_cell(
            db.session.get_one(User, person_id), cell, expected_version=cell.version, text=words
        )
        db.session.commit()
        assert revision is not None
        return revision.id


def ask(app: Flask, person_id: int, revision_id: int, reason: str = REASON) -> int:
    with app.app_context():
        revision = db.session.get_one(CellRevision, revision_id)
        made = service.request_revision(db.session.get_one(User, person_id), revision, reason)
        db.session.commit()
        return made.id


def approve(app: Flask, person_id: int, redaction_id: int) -> None:
    with app.app_context():
        service.approve(db.session.get_one(User, person_id), redaction_id)
        db.session.commit()


@pytest.fixture
def cell_id(grid) -> int:
    return grid.cells[("Social work", "Strategy")]


@pytest.fixture
def redacted(app, people, admins, cell_id) -> int:
    """The cell's newest revision said something it never should have; it is redacted."""
    write(app, people["contributor"].id, cell_id, "A first plan")
    revision_id = write(app, people["contributor"].id, cell_id, SECRET)
    approve(app, admins["second"], ask(app, people["manager"].id, revision_id))
    return revision_id


def unzip(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def test_approved_words_are_replaced_everywhere_and_the_history_verifies(
    app, client, people, grid, cell_id, redacted
):
    assert verify(app)[0] == 0
    client.sign_in(people["contributor"])
    pages = {
        "cell": client.get(f"/cells/{cell_id}").text,
        "grid": client.get(f"/grids/{grid.slug}").text,
        "history": client.get(f"/cells/{cell_id}/history").text,
        "diff": client.get(f"/revisions/compare?to={redacted}").text,
        "history csv": client.get(f"/cells/{cell_id}/history.csv").text,
        "activity": client.get(f"/grids/{grid.slug}/activity").text,
    }
    client.sign_in(people["manager"])
    pages["grid csv"] = client.get(f"/grids/{grid.slug}/export/grid.csv").text
    pages["grid xlsx"] = unzip(client.get(f"/grids/{grid.slug}/export/grid.xlsx").data)
    for where, page in pages.items():
        assert "07700" not in page and "Jo Bloggs" not in page, where
    assert f"{REASON}" in pages["cell"] and "Redacted on " in pages["cell"]
    assert "Redacted on " in pages["history"] and "Redacted on " in pages["grid xlsx"]


def test_an_older_revision_is_redacted_and_the_cell_keeps_its_newest_words(
    app, people, admins, cell_id
):
    revision_id = write(app, people["contributor"].id, cell_id, SECRET)
    write(app, people["contributor"].id, cell_id, "The plan as agreed")
    approve(app, admins["second"], ask(app, people["manager"].id, revision_id))
    with app.app_context():
        assert db.session.get_one(Cell, cell_id).text == "The plan as agreed"
        assert db.session.get_one(CellRevision, revision_id).text.startswith("Redacted on ")
    assert verify(app)[0] == 0


def test_the_cell_shows_the_notice_until_someone_writes_and_the_history_still_verifies(
    app, people, cell_id, redacted
):
    with app.app_context():
        assert db.session.get_one(Cell, cell_id).text.startswith("Redacted on ")
    write(app, people["contributor"].id, cell_id, "A better plan")
    assert verify(app)[0] == 0


def test_tampering_with_a_redacted_revisions_other_fields_is_reported(app, redacted):
    with behind_the_apps_back(app) as session:
        session.execute(
            text("UPDATE cell_revision SET summary = 'changed' WHERE id = :id"), {"id": redacted}
        )
    code, lines = verify(app)
    assert code == 1 and any("chain hash does not match" in line for line in lines)


def test_putting_the_redacted_words_back_by_sql_is_reported(app, redacted):
    with behind_the_apps_back(app) as session:
        session.execute(
            text("UPDATE cell_revision SET text = :words WHERE id = :id"),
            {"words": SECRET, "id": redacted},
        )
    code, lines = verify(app)
    assert code == 1 and any("its redacted text was changed" in line for line in lines)


def test_removing_the_redaction_and_its_notice_by_sql_is_reported(app, cell_id, redacted):
    with behind_the_apps_back(app) as session:
        session.execute(text("DELETE FROM redaction"))
        session.execute(
            text("UPDATE cell_revision SET text = :words WHERE id = :id"),
            {"words": SECRET, "id": redacted},
        )
        session.execute(
            text("UPDATE cell SET text = :words WHERE id = :id"), {"words": SECRET, "id": cell_id}
        )
    code, lines = verify(app)
    assert code == 1 and any("head does not match" in line for line in lines)


def test_changing_a_redacted_revisions_owners_is_reported(app, people, redacted):
    with behind_the_apps_back(app) as session:
        session.execute(
            text("UPDATE cell_revision SET owner_ids = :owners WHERE id = :id"),
            {"owners": f"[{people['other'].id}]", "id": redacted},
        )
    code, lines = verify(app)
    assert code == 1 and any("its redaction is not sealed" in line for line in lines)


def test_requester_and_approver_are_recorded_and_audited(app, people, admins, redacted):
    with app.app_context():
        made = db.session.scalars(select(Redaction)).one()
        assert (made.requested_by_id, made.decided_by_id) == (
            people["manager"].id,
            admins["second"],
        )
        events = {
            e.action: e
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("redaction.%"))
            )
        }
        assert events["redaction.requested"].actor_id == people["manager"].id
        approved = events["redaction.approved"]
        assert approved.actor_id == admins["second"]
        assert approved.details["requested_by"] == people["manager"].id
        assert approved.target_type == "cell" and approved.details["revision"] == 2
        assert db.session.get_one(CellRevision, redacted).number == 2


def test_only_an_admin_undoes_a_redaction_and_the_words_come_back(
    app, client, people, admins, cell_id, redacted
):
    client.sign_in(people["manager"])
    with app.app_context():
        redaction_id = db.session.scalars(select(Redaction.id)).one()
    assert client.post_form(f"/redactions/{redaction_id}/undo", {}).status_code == 403
    client.sign_in(people["admin"])
    response = client.post_form(f"/redactions/{redaction_id}/undo", {})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get_one(Cell, cell_id).text == SECRET
        assert db.session.get_one(CellRevision, redacted).text == SECRET
    assert verify(app)[0] == 0


def test_a_comment_and_its_earlier_wordings_are_redacted(app, client, people, admins, cell_id):
    with app.app_context():
        author = db.session.get_one(User, people["contributor"].id)
        comment = discussion_service.add_comment(
            author, db.session.get_one(Cell, cell_id), body=f"First: {SECRET}"
        )
        discussion_service.edit(
            author, comment, body=f"Second: {SECRET}", expected_version=comment.version
        )
        db.session.commit()
        comment_id = comment.id
    client.sign_in(people["manager"])
    response = client.post_form(f"/comments/{comment_id}/redact", {"reason": REASON})
    assert response.status_code == 303
    client.sign_in(people["admin"])
    with app.app_context():
        redaction_id = db.session.scalars(select(Redaction.id)).one()
    assert client.post_form(f"/redactions/{redaction_id}/approve", {}).status_code == 303
    page = client.get(f"/cells/{cell_id}/comments").text
    assert "07700" not in page and "Redacted on " in page
    with app.app_context():
        assert "07700" not in db.session.get_one(Comment, comment_id).body
        for body in db.session.scalars(select(CommentEdit.body)):
            assert "07700" not in body


def test_the_person_who_asked_cannot_approve_their_own_request(
    app, client, people, admins, cell_id
):
    revision_id = write(app, people["contributor"].id, cell_id, SECRET)
    client.sign_in(people["admin"])
    response = client.post_form(f"/revisions/{revision_id}/redact", {"reason": REASON})
    assert response.status_code == 303
    page = client.get("/redactions").text
    assert "Another admin must approve or decline" in page
    with app.app_context():
        redaction_id = db.session.scalars(select(Redaction.id)).one()
    assert client.post_form(f"/redactions/{redaction_id}/approve", {}).status_code == 403
    assert client.post_form(f"/redactions/{redaction_id}/decline", {}).status_code == 403
    with app.app_context():
        assert db.session.get_one(CellRevision, revision_id).text == SECRET


@pytest.mark.parametrize("who", ["contributor", "facilitator", "reader"])
def test_people_who_are_not_managers_or_admins_cannot_ask(app, client, people, cell_id, who):
    revision_id = write(app, people["contributor"].id, cell_id, SECRET)
    client.sign_in(people[who])
    assert client.get(f"/revisions/{revision_id}/redact").status_code == 403
    response = client.post_form(f"/revisions/{revision_id}/redact", {"reason": REASON})
    assert response.status_code == 403
    assert client.get("/redactions").status_code == 403
    assert ">Redactions</a>" not in client.get(f"/cells/{cell_id}").text


def test_a_manager_cannot_approve_or_decline(app, client, people, cell_id):
    revision_id = write(app, people["contributor"].id, cell_id, SECRET)
    redaction_id = ask(app, people["admin"].id, revision_id)
    client.sign_in(people["manager"])
    assert client.post_form(f"/redactions/{redaction_id}/approve", {}).status_code == 403
    assert client.post_form(f"/redactions/{redaction_id}/decline", {}).status_code == 403


def test_a_missing_or_overlong_reason_is_refused_beside_the_field_and_kept(
    app, client, people, cell_id
):
    revision_id = write(app, people["contributor"].id, cell_id, SECRET)
    client.sign_in(people["manager"])
    url = f"/revisions/{revision_id}/redact"
    empty = client.post_form(url, {"reason": "   "})
    assert empty.status_code == 422 and "Say why it should be redacted." in empty.text
    long = client.post_form(url, {"reason": "x" * 301}, headers=HX)
    assert long.status_code == 422 and "300 characters or fewer" in long.text
    assert "x" * 301 in long.text
    assert client.get("/revisions/999999/redact").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Redaction)).all() == []


def test_a_second_request_for_the_same_words_is_refused(app, client, people, cell_id):
    revision_id = write(app, people["contributor"].id, cell_id, SECRET)
    ask(app, people["admin"].id, revision_id)
    client.sign_in(people["manager"])
    response = client.post_form(f"/revisions/{revision_id}/redact", {"reason": REASON})
    assert response.status_code == 422 and "already been asked for" in response.text


def test_a_declined_request_leaves_the_words_and_a_decided_one_cannot_be_decided_again(
    app, client, people, admins, cell_id
):
    revision_id = write(app, people["contributor"].id, cell_id, SECRET)
    redaction_id = ask(app, people["manager"].id, revision_id)
    client.sign_in(people["admin"])
    assert client.post_form(f"/redactions/{redaction_id}/decline", {}).status_code == 303
    again = client.post_form(f"/redactions/{redaction_id}/approve", {})
    assert again.status_code == 409 and "declined since you opened the page" in again.text
    with app.app_context():
        assert db.session.get_one(CellRevision, revision_id).text == SECRET
        assert db.session.scalars(
            select(AuditEvent.actor_id).where(AuditEvent.action == "redaction.declined")
        ).all() == [people["admin"].id]


def test_the_audit_log_says_who_asked_and_who_approved(app, client, people, redacted):
    client.sign_in(people["admin"])
    page = client.get("/audit").text
    assert "asked for revision 2 of" in page and "to be redacted" in page
    assert "approved redacting revision 2 of" in page and "asked for by Mo Manager" in page


def test_the_redactions_page_costs_the_same_queries_for_one_request_or_many(
    app, client, people, admins, grid, count_queries
):
    def ask_for_each(cells: list[int]) -> None:
        for cell in cells:
            revision_id = write(app, people["contributor"].id, cell, f"{SECRET} in {cell}")
            approve(app, admins["second"], ask(app, people["manager"].id, revision_id))
            ask(app, people["admin"].id, write(app, people["contributor"].id, cell, "More"))

    text_cells = [c for (_, column), c in grid.cells.items() if column != "Owner"]
    ask_for_each(text_cells[:1])
    client.sign_in(people["admin"])
    with count_queries() as one:
        assert client.get("/redactions").status_code == 200
    ask_for_each(text_cells[1:])
    with count_queries() as many:
        page = client.get("/redactions")
    assert page.text.count("Reason: ") == 2 * len(text_cells)
    assert len(many) == len(one)


@pytest.fixture
def comment_id(app, people, cell_id) -> int:
    with app.app_context():
        made = discussion_service.add_comment(
            db.session.get_one(User, people["contributor"].id),
            db.session.get_one(Cell, cell_id),
            body=f"Note: {SECRET}",
        )
        db.session.commit()
        return made.id


@pytest.mark.parametrize("who", ["contributor", "facilitator", "reader"])
def test_people_who_are_not_managers_or_admins_cannot_ask_about_a_comment(
    app, client, people, comment_id, who
):
    client.sign_in(people[who])
    assert client.get(f"/comments/{comment_id}/redact").status_code == 403
    response = client.post_form(f"/comments/{comment_id}/redact", {"reason": REASON})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(Redaction)).all() == []


def test_asking_about_a_comment_without_a_reason_is_refused_and_unknown_ones_are_404(
    app, client, people, comment_id
):
    client.sign_in(people["manager"])
    page = client.get(f"/comments/{comment_id}/redact")
    assert page.status_code == 200 and "07700" in page.text
    response = client.post_form(f"/comments/{comment_id}/redact", {"reason": ""})
    assert response.status_code == 422 and "Say why it should be redacted." in response.text
    assert client.get("/comments/999999/redact").status_code == 404
    client.sign_in(people["admin"])
    for verb in ("approve", "decline", "undo"):
        assert client.post_form(f"/redactions/999999/{verb}", {}).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Redaction)).all() == []


def test_signed_out_people_are_sent_to_sign_in(client, comment_id):
    for url in (f"/comments/{comment_id}/redact", "/redactions"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.location
