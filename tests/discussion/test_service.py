"""Commenting, replying, editing, deleting and resolving, called as the CLI or a view would."""

from __future__ import annotations

import pytest
from flask import Flask

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import User
from grid_app.database import AppendOnlyViolation
from grid_app.discussion import queries, service
from grid_app.discussion.models import Comment, CommentEdit
from grid_app.errors import EditConflict, Forbidden, Invalid
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell
from tests.conftest import GridRef, Person


def person(who: Person) -> User:
    return db.session.get_one(User, who.id)


def a_cell(grid: GridRef, where=("Social work", "Evidence")) -> Cell:
    return db.session.get_one(Cell, grid.cells[where])


def commented(people, grid, who="contributor", body="Where is the **data**?") -> Comment:
    comment = service.add_comment(person(people[who]), a_cell(grid), body=body)
    db.session.commit()
    return comment


def replied(people, grid, thread: Comment, who="other", body="It is coming.") -> Comment:
    reply = service.add_comment(person(people[who]), a_cell(grid), body=body, parent_id=thread.id)
    db.session.commit()
    return reply


def audit_actions() -> list[str]:
    return list(
        db.session.scalars(
            db.select(AuditEvent.action)
            .where(AuditEvent.target_type == "comment")
            .order_by(AuditEvent.id)
        )
    )


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_contributor_starts_a_thread_rendered_from_markdown(app: Flask, people, grid):
    with app.app_context():
        comment = commented(people, grid)
        assert (comment.parent_id, comment.author_id, comment.version) == (
            None,
            people["contributor"].id,
            1,
        )
        assert comment.grid_id == grid.id and comment.body == "Where is the **data**?"
        assert comment.html == "<p>Where is the <strong>data</strong>?</p>\n"


def test_markdown_cannot_smuggle_html_or_scripts(app: Flask, people, grid):
    with app.app_context():
        comment = commented(
            people, grid, body='<script>alert(1)</script> [x](javascript:alert(1)) <b hx-get="/">'
        )
        assert "<script" not in comment.html and "href" not in comment.html
        assert "<b " not in comment.html and "&lt;b hx-get" in comment.html


def test_another_person_replies_to_a_thread(app: Flask, people, grid):
    with app.app_context():
        thread = commented(people, grid)
        reply = replied(people, grid, thread)
        [found] = queries.cell_threads(a_cell(grid))
        assert found.comment.id == thread.id and [r.id for r in found.replies] == [reply.id]


@pytest.mark.parametrize("who", ["reader"])
def test_people_who_cannot_edit_cells_cannot_comment_or_reply(app: Flask, people, grid, who):
    with app.app_context():
        thread = commented(people, grid)
        with pytest.raises(Forbidden):
            service.add_comment(person(people[who]), a_cell(grid), body="Hello")
        with pytest.raises(Forbidden):
            service.add_comment(
                person(people[who]), a_cell(grid), body="Hello", parent_id=thread.id
            )
        db.session.rollback()
        assert count(Comment) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write a comment."), ("  \n\t ", "Write a comment."), ("x" * 5_001, "5,000")],
)
def test_empty_or_overlong_comments_are_refused_naming_the_field(
    app: Flask, people, grid, body, message
):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            service.add_comment(person(people["contributor"]), a_cell(grid), body=body)
        assert message in refused.value.field_errors["body"]
        db.session.rollback()
        assert count(Comment) == 0


def test_five_thousand_characters_are_accepted(app: Flask, people, grid):
    with app.app_context():
        assert len(commented(people, grid, body="x" * 5_000).body) == 5_000


def test_replies_are_one_level_deep(app: Flask, people, grid):
    with app.app_context():
        thread = commented(people, grid)
        reply = replied(people, grid, thread)
        with pytest.raises(Invalid) as refused:
            service.add_comment(
                person(people["contributor"]), a_cell(grid), body="Deeper", parent_id=reply.id
            )
        assert "not to a reply" in refused.value.field_errors["parent"]


@pytest.mark.parametrize("state", ["deleted", "unknown", "other cell", "resolved"])
def test_replies_to_deleted_unknown_misplaced_or_resolved_comments_are_refused(
    app: Flask, people, grid, state
):
    with app.app_context():
        thread = commented(people, grid)
        parent_id = thread.id
        cell = a_cell(grid)
        if state == "deleted":
            service.delete(person(people["contributor"]), thread)
        elif state == "unknown":
            parent_id = 99_999
        elif state == "other cell":
            cell = a_cell(grid, ("Youth Justice", "Strategy"))
        else:
            service.resolve(person(people["manager"]), thread)
        db.session.commit()
        with pytest.raises(Invalid) as refused:
            service.add_comment(person(people["other"]), cell, body="Reply", parent_id=parent_id)
        assert "parent" in refused.value.field_errors
        db.session.rollback()
        assert count(Comment) == 1


def test_author_edits_and_the_earlier_wording_is_kept(app: Flask, people, grid):
    with app.app_context():
        comment = commented(people, grid, body="First *words*")
        service.edit(
            person(people["contributor"]), comment, body="Second words", expected_version=1
        )
        db.session.commit()
        assert (comment.body, comment.version) == ("Second words", 2)
        assert comment.html == "<p>Second words</p>\n" and comment.edited_at is not None
        [before] = queries.earlier_wordings(comment)
        assert (before.body, before.editor_id) == ("First *words*", people["contributor"].id)
        assert before.html == "<p>First <em>words</em></p>\n"


def test_an_edit_that_changes_nothing_writes_nothing(app: Flask, people, grid):
    with app.app_context():
        comment = commented(people, grid, body="Same")
        service.edit(person(people["contributor"]), comment, body="Same\n", expected_version=1)
        db.session.commit()
        assert comment.version == 1 and comment.edited_at is None and count(CommentEdit) == 0


def test_edit_from_a_stale_version_is_a_conflict(app: Flask, people, grid):
    with app.app_context():
        comment = commented(people, grid)
        service.edit(person(people["contributor"]), comment, body="Two", expected_version=1)
        db.session.commit()
        with pytest.raises(EditConflict):
            service.edit(person(people["contributor"]), comment, body="Three", expected_version=1)
        db.session.rollback()
        assert db.session.get_one(Comment, comment.id).body == "Two"


def test_bad_edit_is_refused_naming_the_field(app: Flask, people, grid):
    with app.app_context():
        comment = commented(people, grid)
        with pytest.raises(Invalid) as refused:
            service.edit(person(people["contributor"]), comment, body=" ", expected_version=1)
        assert "body" in refused.value.field_errors


@pytest.mark.parametrize("who", ["other", "manager", "admin", "reader"])
def test_only_the_author_edits_or_deletes(app: Flask, people, grid, who):
    with app.app_context():
        comment = commented(people, grid)
        with pytest.raises(Forbidden):
            service.edit(person(people[who]), comment, body="Mine now", expected_version=1)
        with pytest.raises(Forbidden):
            service.delete(person(people[who]), comment)
        db.session.rollback()
        stored = db.session.get_one(Comment, comment.id)
        assert (stored.body, stored.deleted_at) == ("Where is the **data**?", None)


def test_deleting_blanks_the_words_keeps_the_replies_and_is_audited(app: Flask, people, grid):
    with app.app_context():
        thread = commented(people, grid)
        reply = replied(people, grid, thread)
        service.delete(person(people["contributor"]), thread)
        db.session.commit()
        stored = db.session.get_one(Comment, thread.id)
        assert (stored.body, stored.html) == ("", "") and stored.deleted_at is not None
        [shown] = queries.cell_threads(a_cell(grid))
        assert shown.comment.is_deleted and [r.id for r in shown.replies] == [reply.id]
        assert audit_actions() == ["comment.deleted"]


def test_a_deleted_comment_cannot_be_edited_or_deleted_again(app: Flask, people, grid):
    with app.app_context():
        comment = commented(people, grid)
        service.delete(person(people["contributor"]), comment)
        db.session.commit()
        with pytest.raises(Forbidden):
            service.edit(person(people["contributor"]), comment, body="Back", expected_version=2)
        with pytest.raises(Forbidden):
            service.delete(person(people["contributor"]), comment)


def test_a_deleted_thread_with_no_replies_is_no_longer_shown_or_counted(app: Flask, people, grid):
    with app.app_context():
        comment = commented(people, grid)
        service.delete(person(people["contributor"]), comment)
        db.session.commit()
        assert queries.cell_threads(a_cell(grid)) == []
        assert queries.open_counts(a_cell(grid).row.grid) == {}


@pytest.mark.parametrize("who", ["contributor", "manager", "admin", "owner"])
def test_author_owner_manager_and_admin_resolve_and_reopen(app: Flask, people, grid, who):
    with app.app_context():
        owner_cell = a_cell(grid, ("Social work", "Owner"))
        grid_service.save_cell(
            person(people["admin"]),
            owner_cell,
            expected_version=1,
            text="",
            owner_ids=[people["other"].id],
        )
        db.session.commit()
        thread = commented(people, grid)
        actor = person(people["other" if who == "owner" else who])
        service.resolve(actor, thread)
        db.session.commit()
        assert thread.resolved_at is not None and thread.resolved_by_id == actor.id
        assert queries.open_counts(owner_cell.row.grid) == {}
        service.reopen(actor, thread)
        db.session.commit()
        assert (thread.resolved_at, thread.resolved_by_id) == (None, None)
        assert audit_actions() == ["comment.resolved", "comment.reopened"]


@pytest.mark.parametrize("who", ["other", "facilitator", "reader"])
def test_other_people_cannot_resolve_or_reopen(app: Flask, people, grid, who):
    with app.app_context():
        thread = commented(people, grid)
        with pytest.raises(Forbidden):
            service.resolve(person(people[who]), thread)
        service.resolve(person(people["manager"]), thread)
        db.session.commit()
        with pytest.raises(Forbidden):
            service.reopen(person(people[who]), thread)
        db.session.rollback()
        assert audit_actions() == ["comment.resolved"]


def test_an_owner_of_another_service_area_cannot_resolve(app: Flask, people, grid):
    with app.app_context():
        elsewhere = a_cell(grid, ("Youth Justice", "Owner"))
        grid_service.save_cell(
            person(people["admin"]),
            elsewhere,
            expected_version=1,
            text="",
            owner_ids=[people["other"].id],
        )
        thread = commented(people, grid)
        with pytest.raises(Forbidden):
            service.resolve(person(people["other"]), thread)


def test_replies_cannot_be_resolved_and_threads_not_resolved_twice(app: Flask, people, grid):
    with app.app_context():
        thread = commented(people, grid)
        reply = replied(people, grid, thread)
        manager = person(people["manager"])
        with pytest.raises(Invalid):
            service.resolve(manager, reply)
        with pytest.raises(Invalid):
            service.reopen(manager, thread)
        service.resolve(manager, thread)
        with pytest.raises(Invalid):
            service.resolve(manager, thread)


def test_threads_come_most_recently_active_first(app: Flask, people, grid):
    with app.app_context():
        older = commented(people, grid, body="Older")
        newer = commented(people, grid, body="Newer")
        assert [t.comment.id for t in queries.cell_threads(a_cell(grid))] == [newer.id, older.id]
        replied(people, grid, older)
        assert [t.comment.id for t in queries.cell_threads(a_cell(grid))] == [older.id, newer.id]


def test_earlier_wordings_are_append_only(app: Flask, people, grid):
    with app.app_context():
        comment = commented(people, grid)
        service.edit(person(people["contributor"]), comment, body="New", expected_version=1)
        db.session.commit()
        [before] = queries.earlier_wordings(comment)
        before.body = "Rewritten"
        with pytest.raises(AppendOnlyViolation):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get_one(CommentEdit, before.id))
        with pytest.raises(AppendOnlyViolation):
            db.session.flush()
