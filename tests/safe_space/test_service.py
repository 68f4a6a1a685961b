"""Sessions through the service: what is stored, what is refused, and consent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from grid_app.database import utcnow
from grid_app.discussion.models import Notification
from grid_app.errors import Forbidden, Invalid
from grid_app.extensions import db
from grid_app.grid.models import Cell, CellRevision
from grid_app.safe_space import service
from grid_app.safe_space.models import (
    Contribution,
    Insight,
    SafeSpaceSession,
    Theme,
)
from tests.conftest import GridRef, Person
from tests.safe_space.conftest import SessionRef, contribute, held, user

EVIDENCE = ("Social work", "Evidence")


def themed(app: Flask, people, session: SessionRef, *keys: str, name: str = "Being overlooked"):
    """A theme holding the contributions ``keys``; its id."""
    with app.app_context():
        theme = service.create_theme(user(people["facilitator"]), held(session.id), name)
        if keys:
            service.move_contributions(
                user(people["facilitator"]), held(session.id), list(keys), theme.id
            )
        db.session.commit()
        return theme.id


def drafted(
    app: Flask, people, session: SessionRef, theme_id: int, text: str = "Staff feel unheard"
):
    with app.app_context():
        insight = service.draft_insight(
            user(people["facilitator"]), held(session.id), theme_id, text
        )
        db.session.commit()
        return insight.id


def agree(app: Flask, person: Person, insight_id: int, agreed: bool = True) -> None:
    with app.app_context():
        service.decide_consent(user(person), db.session.get_one(Insight, insight_id), agreed)
        db.session.commit()


def promote(app: Flask, people, insight_id: int, cell_id: int) -> dict[str, object]:
    """Promote as the facilitator; the new revision's kind, text, summary and id."""
    with app.app_context():
        revision: CellRevision = service.promote(
            user(people["facilitator"]),
            db.session.get_one(Insight, insight_id),
            db.session.get_one(Cell, cell_id),
        )
        db.session.commit()
        return {k: getattr(revision, k) for k in ("kind", "text", "summary", "id")}


def test_anonymous_contribution_stores_no_author_and_a_hashed_receipt(app, people, safe_session):
    key, receipt = contribute(app, people["contributor"], safe_session, "It hurt", anonymous=True)
    assert receipt is not None and len(receipt) == 14
    with app.app_context():
        stored = db.session.get_one(Contribution, key)
        assert stored.author_id is None and stored.anonymous
        assert (
            stored.receipt_hash is not None and receipt.replace("-", "") not in stored.receipt_hash
        )
        columns = {c.name for c in Contribution.__table__.columns}
        assert not {"created_at", "ip", "user_agent"} & columns


def test_named_contribution_keeps_its_author_and_gets_no_receipt(app, people, safe_session):
    key, receipt = contribute(app, people["contributor"], safe_session, "In my words")
    assert receipt is None
    with app.app_context():
        assert db.session.get_one(Contribution, key).author_id == people["contributor"].id


def test_receipt_withdraws_once_and_then_is_refused(app, people, safe_session):
    key, receipt = contribute(app, people["contributor"], safe_session, "Take me back", True)
    assert receipt
    with app.app_context():
        service.withdraw_by_receipt(user(people["other"]), held(safe_session.id), receipt.lower())
        db.session.commit()
        stored = db.session.get_one(Contribution, key)
        assert stored.withdrawn and stored.body is None
    with app.app_context(), pytest.raises(Invalid) as error:
        service.withdraw_by_receipt(user(people["contributor"]), held(safe_session.id), receipt)
    assert "already been used" in error.value.field_errors["code"]


def test_a_wrong_receipt_withdraws_nothing(app, people, safe_session):
    key, _ = contribute(app, people["contributor"], safe_session, "Stay", True)
    with app.app_context(), pytest.raises(Invalid) as error:
        service.withdraw_by_receipt(
            user(people["contributor"]), held(safe_session.id), "AAAA-BBBB-CCCC"
        )
    assert "does not match" in error.value.field_errors["code"]
    with app.app_context():
        assert db.session.get_one(Contribution, key).body == "Stay"


@pytest.mark.parametrize(
    ("body", "message"),
    [("   \n ", "Write something"), ("x" * 5001, "5,001 characters")],
)
def test_empty_or_overlong_contributions_are_refused(app, people, safe_session, body, message):
    with app.app_context(), pytest.raises(Invalid) as error:
        service.add_contribution(
            user(people["contributor"]), held(safe_session.id), body=body, anonymous=False
        )
    assert message in error.value.field_errors["body"]


def test_only_the_invited_who_accepted_the_rules_may_contribute(app, people, safe_session):
    with app.app_context():
        for key in ("manager", "admin", "reader"):
            with pytest.raises(Forbidden):
                service.add_contribution(
                    user(people[key]), held(safe_session.id), body="Hi", anonymous=True
                )
        with pytest.raises(Forbidden, match="facilitator holds"):
            service.add_contribution(
                user(people["facilitator"]), held(safe_session.id), body="Hi", anonymous=False
            )


def test_changed_ground_rules_must_be_accepted_again(app, people, safe_session):
    with app.app_context():
        fields = service.meeting_fields(held(safe_session.id))
        fields.ground_rules += "\n- Phones away."
        service.update_meeting(user(people["facilitator"]), held(safe_session.id), fields)
        db.session.commit()
        with pytest.raises(Forbidden, match="ground rules"):
            service.add_contribution(
                user(people["contributor"]), held(safe_session.id), body="Hi", anonymous=False
            )
        service.accept_rules(user(people["contributor"]), held(safe_session.id))
        service.add_contribution(
            user(people["contributor"]), held(safe_session.id), body="Hi", anonymous=False
        )


def test_named_contributor_edits_and_withdraws_only_their_own_while_open(app, people, safe_session):
    key, _ = contribute(app, people["contributor"], safe_session, "First words")
    with app.app_context():
        with pytest.raises(Forbidden):
            service.edit_contribution(
                user(people["other"]), db.session.get_one(Contribution, key), "Mine now"
            )
        service.edit_contribution(
            user(people["contributor"]), db.session.get_one(Contribution, key), "Better words"
        )
        db.session.commit()
        stored = db.session.get_one(Contribution, key)
        assert (stored.body, stored.edited) == ("Better words", True)
        service.close_meeting(user(people["facilitator"]), held(safe_session.id))
        db.session.commit()
        with pytest.raises(Invalid, match="closed"):
            service.edit_contribution(
                user(people["contributor"]), db.session.get_one(Contribution, key), "Late"
            )
        with pytest.raises(Invalid, match="closed"):
            service.withdraw_contribution(
                user(people["contributor"]), db.session.get_one(Contribution, key)
            )
    with app.app_context():
        assert db.session.get_one(Contribution, key).body == "Better words"


def test_anonymous_contributions_cannot_be_edited_even_by_their_author(app, people, safe_session):
    key, _ = contribute(app, people["contributor"], safe_session, "Unsigned", True)
    with app.app_context(), pytest.raises(Forbidden):
        service.edit_contribution(
            user(people["contributor"]), db.session.get_one(Contribution, key), "Changed"
        )


def test_merging_themes_moves_contributions_and_insights(app, people, safe_session):
    a, _ = contribute(app, people["contributor"], safe_session, "One")
    b, _ = contribute(app, people["other"], safe_session, "Two", True)
    first = themed(app, people, safe_session, a, name="Pay")
    second = themed(app, people, safe_session, b, name="Progression")
    insight_id = drafted(app, people, safe_session, first)
    with app.app_context():
        service.merge_theme(user(people["facilitator"]), db.session.get_one(Theme, first), second)
        db.session.commit()
        assert db.session.get(Theme, first) is None
        assert {c.theme_id for c in db.session.scalars(db.select(Contribution))} == {second}
        assert db.session.get_one(Insight, insight_id).theme_id == second
        with pytest.raises(Invalid):
            service.merge_theme(
                user(people["facilitator"]), db.session.get_one(Theme, second), second
            )


def test_promotion_needs_every_named_contributor_and_the_group(
    app, people, safe_session, grid: GridRef
):
    a, _ = contribute(app, people["contributor"], safe_session, "Named words")
    b, _ = contribute(app, people["other"], safe_session, "Unnamed words", True)
    theme_id = themed(app, people, safe_session, a, b)
    insight_id = drafted(app, people, safe_session, theme_id)
    with app.app_context(), pytest.raises(Invalid) as error:
        service.promote(
            user(people["facilitator"]),
            db.session.get_one(Insight, insight_id),
            db.session.get_one(Cell, grid.cells[EVIDENCE]),
        )
    assert "Cara Contributor" in error.value.message and "group" in error.value.message
    agree(app, people["contributor"], insight_id)
    with app.app_context():
        service.record_group_consent(
            user(people["facilitator"]), db.session.get_one(Insight, insight_id), "By show of hands"
        )
        db.session.commit()
    revision = promote(app, people, insight_id, grid.cells[EVIDENCE])
    assert revision["kind"] == "insight" and revision["text"] == "Staff feel unheard"
    assert "14 January 2027" in str(revision["summary"])
    with app.app_context():
        insight = db.session.get_one(Insight, insight_id)
        assert insight.revision_id == revision["id"] and insight.cell_id == grid.cells[EVIDENCE]


def test_withdrawn_consent_blocks_promotion(app, people, safe_session, grid):
    a, _ = contribute(app, people["contributor"], safe_session, "Named words")
    insight_id = drafted(app, people, safe_session, themed(app, people, safe_session, a))
    agree(app, people["contributor"], insight_id)
    agree(app, people["contributor"], insight_id, agreed=False)
    with app.app_context(), pytest.raises(Invalid, match="Not agreed by: Cara Contributor"):
        service.promote(
            user(people["facilitator"]),
            db.session.get_one(Insight, insight_id),
            db.session.get_one(Cell, grid.cells[EVIDENCE]),
        )


def test_rewording_an_insight_asks_for_agreement_again(app, people, safe_session, grid):
    a, _ = contribute(app, people["contributor"], safe_session, "Named words")
    insight_id = drafted(app, people, safe_session, themed(app, people, safe_session, a))
    agree(app, people["contributor"], insight_id)
    with app.app_context():
        service.edit_insight(
            user(people["facilitator"]), db.session.get_one(Insight, insight_id), "New words"
        )
        state = service.consent_state(db.session.get_one(Insight, insight_id))
        assert state.named[0][1] is None and not state.complete


def test_only_named_contributors_of_the_theme_are_asked(app, people, safe_session):
    a, _ = contribute(app, people["contributor"], safe_session, "Named words")
    insight_id = drafted(app, people, safe_session, themed(app, people, safe_session, a))
    with app.app_context(), pytest.raises(Forbidden):
        service.decide_consent(user(people["other"]), db.session.get_one(Insight, insight_id), True)


def test_consent_withdrawn_after_promotion_asks_the_facilitator_to_review(
    app, people, safe_session, grid
):
    a, _ = contribute(app, people["contributor"], safe_session, "Named words")
    insight_id = drafted(app, people, safe_session, themed(app, people, safe_session, a))
    agree(app, people["contributor"], insight_id)
    promote(app, people, insight_id, grid.cells[EVIDENCE])
    agree(app, people["contributor"], insight_id, agreed=False)
    with app.app_context():
        assert db.session.get_one(Insight, insight_id).needs_review
        notes = db.session.scalars(db.select(Notification)).all()
        assert [(n.user_id, n.kind, n.actor_id) for n in notes] == [
            (people["facilitator"].id, "insight_review", None)
        ]
        assert "Social work × Evidence" in notes[0].message


def test_an_anonymous_withdrawal_after_promotion_asks_for_review_naming_nobody(
    app, people, safe_session, grid
):
    b, receipt = contribute(app, people["other"], safe_session, "Unnamed words", True)
    insight_id = drafted(app, people, safe_session, themed(app, people, safe_session, b))
    with app.app_context():
        service.record_group_consent(
            user(people["facilitator"]), db.session.get_one(Insight, insight_id), "All agreed"
        )
        db.session.commit()
    promote(app, people, insight_id, grid.cells[EVIDENCE])
    with app.app_context():
        assert receipt
        service.withdraw_by_receipt(user(people["other"]), held(safe_session.id), receipt)
        db.session.commit()
        note = db.session.scalars(db.select(Notification)).one()
        assert note.actor_id is None and note.user_id == people["facilitator"].id


def test_purge_deletes_raw_text_after_retention_and_keeps_counts_and_insights(
    app, people, safe_session
):
    a, _ = contribute(app, people["contributor"], safe_session, "Named words")
    contribute(app, people["other"], safe_session, "Unnamed words", True)
    theme_id = themed(app, people, safe_session, a)
    with app.app_context():
        theme = db.session.get_one(Theme, theme_id)
        theme.notes = "raw notes"
        drafted_id = service.draft_insight(
            user(people["facilitator"]), held(safe_session.id), theme_id, "Summary"
        ).id
        service.close_meeting(user(people["facilitator"]), held(safe_session.id))
        db.session.commit()
        later = utcnow() + timedelta(days=89)
        assert service.purge_due(later) == []
        due = utcnow() + timedelta(days=91)
        preview = service.purge_due(due, dry_run=True)
        assert [(p.session_id, p.contributions) for p in preview] == [(safe_session.id, 2)]
        assert db.session.scalar(db.select(db.func.count()).select_from(Contribution)) == 2
        service.purge_due(due)
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(Contribution)) == 0
        session = db.session.get_one(SafeSpaceSession, safe_session.id)
        assert session.is_purged and session.purged_contribution_count == 2
        theme = db.session.get_one(Theme, theme_id)
        assert (theme.purged_contribution_count, theme.notes) == (1, "")
        assert db.session.get_one(Insight, drafted_id).text == "Summary"
        assert service.purge_due(due + timedelta(days=1)) == []


def test_open_sessions_are_never_purged(app, people, safe_session):
    contribute(app, people["contributor"], safe_session, "Named words")
    with app.app_context():
        assert service.purge_due(utcnow() + timedelta(days=5000)) == []


def test_session_settings_are_checked(app, people):
    with app.app_context(), pytest.raises(Invalid) as error:
        service.create_meeting(
            user(people["facilitator"]),
            service.SessionFields(
                title="", starts_at="soon", retention_days="0", invitees="nobody@example.org"
            ),
        )
    assert set(error.value.field_errors) == {"title", "starts_at", "retention_days", "invitees"}
    assert "nobody@example.org" in error.value.field_errors["invitees"]


def test_only_facilitators_create_sessions(app, people):
    with app.app_context():
        for key in ("manager", "admin", "contributor"):
            with pytest.raises(Forbidden):
                service.create_meeting(user(people[key]), service.SessionFields(title="x"))
