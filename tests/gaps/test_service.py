"""Raising gap flags and moving them through their workflow, called as the CLI or a view would."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import User
from grid_app.database import AppendOnlyViolation
from grid_app.errors import EditConflict, Forbidden, Invalid
from grid_app.extensions import db
from grid_app.gaps import service
from grid_app.gaps.models import GapFlag, GapFlagEvent, GapStatus
from grid_app.gaps.service import TRANSITIONS, Action
from grid_app.grid.models import Cell
from tests.conftest import GridRef, Person

TODAY = date(2026, 11, 28)


def person(who: Person) -> User:
    return db.session.get_one(User, who.id)


def a_cell(grid: GridRef) -> Cell:
    return db.session.get_one(Cell, grid.cells[("Social work", "Evidence")])


def raised(people: dict[str, Person], grid: GridRef, severity: str = "high") -> GapFlag:
    flag = service.raise_flag(
        person(people["contributor"]),
        a_cell(grid),
        what_is_missing="No data on who is referred",
        severity=severity,
    )
    db.session.commit()
    return flag


def act(people: dict[str, Person], flag: GapFlag, action: Action, **fields: object):
    step = service.change(
        person(people["manager"]),
        flag,
        action,
        expected_version=flag.version,
        today=TODAY,
        **fields,  # type: ignore[arg-type]
    )
    db.session.commit()
    return step


def events(flag_id: int) -> list[GapFlagEvent]:
    return list(
        db.session.scalars(
            db.select(GapFlagEvent).where(GapFlagEvent.flag_id == flag_id).order_by(GapFlagEvent.id)
        )
    )


def audit_actions() -> list[str]:
    return list(
        db.session.scalars(
            db.select(AuditEvent.action)
            .where(AuditEvent.target_type == "gap_flag")
            .order_by(AuditEvent.id)
        )
    )


def test_contributor_raises_a_flag_with_its_first_timeline_step_and_an_audit_event(
    app: Flask, people, grid
):
    with app.app_context():
        flag = raised(people, grid)
        assert (flag.status, flag.severity, flag.raised_by_id) == (
            "open",
            "high",
            people["contributor"].id,
        )
        assert flag.grid_id == grid.id and flag.version == 1
        [step] = events(flag.id)
        assert (step.kind, step.from_status, step.to_status, step.actor_id) == (
            "raised",
            None,
            "open",
            people["contributor"].id,
        )
        assert audit_actions() == ["gap_flag.raised"]


def test_reader_without_a_role_cannot_raise_a_flag(app: Flask, people, grid):
    with app.app_context():
        with pytest.raises(Forbidden):
            service.raise_flag(
                person(people["reader"]), a_cell(grid), what_is_missing="x", severity="low"
            )
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count(GapFlag.id))) == 0


@pytest.mark.parametrize(
    ("what", "severity", "field"),
    [
        ("   \n ", "low", "what_is_missing"),
        ("x" * 2_001, "low", "what_is_missing"),
        ("Missing data", "urgent", "severity"),
        ("Missing data", "", "severity"),
    ],
)
def test_bad_input_is_refused_naming_the_field(app: Flask, people, grid, what, severity, field):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            service.raise_flag(
                person(people["contributor"]), a_cell(grid), what_is_missing=what, severity=severity
            )
        assert field in refused.value.field_errors
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count(GapFlag.id))) == 0


def test_two_thousand_characters_are_accepted(app: Flask, people, grid):
    with app.app_context():
        flag = service.raise_flag(
            person(people["contributor"]), a_cell(grid), what_is_missing="x" * 2_000, severity="low"
        )
        assert len(flag.what_is_missing) == 2_000


def test_manager_acknowledges_assigns_starts_and_resolves_and_each_step_is_recorded(
    app: Flask, people, grid
):
    with app.app_context():
        flag = raised(people, grid)
        act(people, flag, Action.ACKNOWLEDGE, note="Seen")
        act(
            people,
            flag,
            Action.ASSIGN,
            owner_id=people["other"].id,
            due_date=TODAY + timedelta(days=30),
        )
        act(people, flag, Action.START)
        act(people, flag, Action.RESOLVE, note="Referral data now published monthly.")
        assert flag.status == "resolved" and flag.closed_at is not None
        assert flag.owner_id == people["other"].id and flag.version == 5
        steps = events(flag.id)
        assert [(s.kind, s.from_status, s.to_status) for s in steps] == [
            ("raised", None, "open"),
            ("acknowledged", "open", "acknowledged"),
            ("assigned", "acknowledged", "acknowledged"),
            ("started", "acknowledged", "in_progress"),
            ("resolved", "in_progress", "resolved"),
        ]
        assert steps[2].owner_id == people["other"].id
        assert steps[2].due_date == TODAY + timedelta(days=30)
        assert steps[4].note == "Referral data now published monthly."
        assert {s.actor_id for s in steps[1:]} == {people["manager"].id}
        assert audit_actions() == [
            "gap_flag.raised",
            "gap_flag.acknowledged",
            "gap_flag.assigned",
            "gap_flag.started",
            "gap_flag.resolved",
        ]


def test_admin_can_triage_too(app: Flask, people, grid):
    with app.app_context():
        flag = raised(people, grid)
        service.change(
            person(people["admin"]), flag, Action.ACKNOWLEDGE, expected_version=1, today=TODAY
        )
        assert flag.status == "acknowledged"


@pytest.mark.parametrize("who", ["contributor", "other", "facilitator", "reader"])
def test_only_managers_and_admins_act_on_flags(app: Flask, people, grid, who):
    with app.app_context():
        flag = raised(people, grid)
        for action in Action:
            with pytest.raises(Forbidden):
                service.change(
                    person(people[who]), flag, action, expected_version=1, note="n", today=TODAY
                )
        db.session.rollback()
        assert len(events(flag.id)) == 1


def test_assigning_to_a_new_flag_acknowledges_it(app: Flask, people, grid):
    with app.app_context():
        flag = raised(people, grid)
        act(people, flag, Action.ASSIGN, owner_id=people["manager"].id)
        assert (flag.status, flag.owner_id, flag.due_date) == (
            "acknowledged",
            people["manager"].id,
            None,
        )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "owner"),
        ({"owner_id": 424242}, "owner"),
        ({"owner_id": "inactive"}, "owner"),
        ({"owner_id": "other", "due_date": TODAY - timedelta(days=1)}, "due_date"),
        ({"owner_id": "other", "note": "n" * 2_001}, "note"),
    ],
)
def test_bad_assignments_are_refused_and_change_nothing(app: Flask, people, grid, fields, field):
    with app.app_context():
        if fields.get("owner_id") == "inactive":
            person(people["other"]).active = False
            db.session.commit()
            fields = {**fields, "owner_id": people["other"].id}
        elif fields.get("owner_id") == "other":
            fields = {**fields, "owner_id": people["other"].id}
        flag = raised(people, grid)
        with pytest.raises(Invalid) as refused:
            act(people, flag, Action.ASSIGN, **fields)
        assert field in refused.value.field_errors
        db.session.rollback()
        flag = db.session.get_one(GapFlag, flag.id)
        assert (flag.status, flag.owner_id, flag.version) == ("open", None, 1)
        assert len(events(flag.id)) == 1


def test_a_due_date_of_today_is_accepted(app: Flask, people, grid):
    with app.app_context():
        flag = raised(people, grid)
        act(people, flag, Action.ASSIGN, owner_id=people["other"].id, due_date=TODAY)
        assert flag.due_date == TODAY


@pytest.mark.parametrize("action", [Action.RESOLVE, Action.WONT_FIX])
def test_closing_needs_a_note(app: Flask, people, grid, action):
    with app.app_context():
        flag = raised(people, grid)
        with pytest.raises(Invalid) as refused:
            act(people, flag, action, note="  \n ")
        assert "note" in refused.value.field_errors


def test_a_wont_fix_flag_must_be_reopened_before_it_can_be_resolved(app: Flask, people, grid):
    with app.app_context():
        flag = raised(people, grid)
        act(people, flag, Action.WONT_FIX, note="Covered by the regional plan.")
        with pytest.raises(Invalid, match=r"cannot be resolved\. Reopen it first\."):
            act(people, flag, Action.RESOLVE, note="Done anyway")
        db.session.rollback()
        flag = db.session.get_one(GapFlag, flag.id)
        act(people, flag, Action.REOPEN, note="The regional plan was dropped.")
        assert (flag.status, flag.closed_at) == ("open", None)
        act(people, flag, Action.RESOLVE, note="Local plan agreed.")
        assert flag.status == "resolved"
        assert [s.kind for s in events(flag.id)] == [
            "raised",
            "wont_fix",
            "reopened",
            "resolved",
        ]


def test_every_move_missing_from_the_transitions_table_is_refused(app: Flask, people, grid):
    with app.app_context():
        flag = raised(people, grid)
        for status in GapStatus:
            for action in Action:
                if (status, action) in TRANSITIONS:
                    continue
                flag = db.session.get_one(GapFlag, flag.id)
                flag.status = status.value
                db.session.commit()
                with pytest.raises(Invalid, match="cannot be"):
                    act(people, flag, action, note="n", owner_id=people["other"].id)
                db.session.rollback()
        assert len(events(flag.id)) == 1


def test_stale_version_is_a_conflict_and_changes_nothing(app: Flask, people, grid):
    with app.app_context():
        flag = raised(people, grid)
        act(people, flag, Action.ACKNOWLEDGE)
        with pytest.raises(EditConflict):
            service.change(
                person(people["manager"]),
                flag,
                Action.WONT_FIX,
                expected_version=1,
                note="Not ours",
                today=TODAY,
            )
        db.session.rollback()
        assert db.session.get_one(GapFlag, flag.id).status == "acknowledged"
        assert len(events(flag.id)) == 2


def test_timeline_steps_can_never_be_changed_or_deleted(app: Flask, people, grid):
    with app.app_context():
        flag = raised(people, grid)
        [step] = events(flag.id)
        step.note = "rewritten"
        with pytest.raises(AppendOnlyViolation):
            db.session.flush()
        db.session.rollback()
        db.session.delete(events(flag.id)[0])
        with pytest.raises(AppendOnlyViolation):
            db.session.flush()
