"""Marking a cell reviewed: a "review" revision on the cell's chain, the cell unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from grid_app.audit.models import AuditEvent
from grid_app.dashboard import queries, service
from grid_app.database import utcnow
from grid_app.errors import EditConflict, Forbidden, Invalid
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.grid.models import CellRevision, Grid
from tests.dashboard.builders import cell, person, write

EVIDENCE = ("Social work", "Evidence")
OWNER = ("Social work", "Owner")


def stale_cell(people, grid, where=EVIDENCE, **extra):
    write(
        people["contributor"], grid, where, "Workshops", at=utcnow() - timedelta(days=200), **extra
    )
    db.session.commit()
    return cell(grid, where)


def test_review_writes_a_review_revision_and_the_cell_is_no_longer_stale(app, people, grid):
    with app.app_context():
        found = stale_cell(people, grid)
        version, changed_at = found.version, found.updated_at
        assert queries.coverage(db.session.get_one(Grid, grid.id)).headline.stale == 1
        revision = grid_service.review_cell(
            person(people["manager"]), found, expected_version=found.version
        )
        db.session.commit()
        found = cell(grid, EVIDENCE)
        headline = queries.coverage(db.session.get_one(Grid, grid.id)).headline
        assert (revision.kind, revision.number, revision.text) == ("review", 2, "Workshops")
        assert revision.summary == "Marked reviewed"
        # The cell itself is untouched: same version, same "last changed".
        assert (found.version, found.updated_at, found.text) == (version, changed_at, "Workshops")
        assert headline.stale == 0
    result = app.test_cli_runner().invoke(args=["verify-history"])
    assert result.exit_code == 0, result.output


def test_review_of_an_owner_cell_keeps_its_people(app, people, grid):
    with app.app_context():
        found = stale_cell(people, grid, OWNER, owners=[people["other"].id])
        revision = grid_service.review_cell(
            person(people["admin"]), found, expected_version=found.version
        )
        db.session.commit()
        assert revision.owner_ids == [people["other"].id]


def test_an_edit_from_before_a_review_still_saves_and_the_chain_holds(app, people, grid):
    with app.app_context():
        found = stale_cell(people, grid)
        seen = found.version  # an editor opened the form here
        grid_service.review_cell(person(people["manager"]), found, expected_version=seen)
        db.session.commit()
        found = cell(grid, EVIDENCE)
        saved = grid_service.save_cell(
            person(people["other"]), found, expected_version=seen, text="Workshops, and more"
        )
        db.session.commit()
        kinds = list(
            db.session.scalars(
                db.select(CellRevision.kind)
                .where(CellRevision.cell_id == found.id)
                .order_by(CellRevision.number)
            )
        )
        assert saved is not None and saved.number == 3
        assert kinds == ["edit", "review", "edit"]
    result = app.test_cli_runner().invoke(args=["verify-history"])
    assert result.exit_code == 0, result.output


def test_a_review_of_a_version_that_is_no_longer_current_is_a_conflict(app, people, grid):
    with app.app_context():
        found = stale_cell(people, grid)
        seen = found.version
        write(people["other"], grid, EVIDENCE, "Changed meanwhile", at=utcnow())
        db.session.commit()
        with pytest.raises(EditConflict):
            grid_service.review_cell(
                person(people["manager"]), cell(grid, EVIDENCE), expected_version=seen
            )


def test_only_managers_and_admins_review_and_empty_cells_have_nothing_to_review(app, people, grid):
    with app.app_context():
        found = stale_cell(people, grid)
        with pytest.raises(Forbidden):
            grid_service.review_cell(
                person(people["contributor"]), found, expected_version=found.version
            )
        empty = cell(grid, ("Youth Justice", "Evidence"))
        with pytest.raises(Invalid):
            grid_service.review_cell(
                person(people["manager"]), empty, expected_version=empty.version
            )
        count = db.session.scalar(
            db.select(db.func.count(CellRevision.id)).where(CellRevision.kind == "review")
        )
        assert count == 0


@pytest.mark.parametrize("typed", ["", "abc", "0", "3651", "-5", "12.5"])
def test_review_period_must_be_1_to_3650_days(app, people, grid, typed):
    with app.app_context():
        the_grid = db.session.get_one(Grid, grid.id)
        with pytest.raises(Invalid) as refused:
            service.set_review_period(person(people["manager"]), the_grid, typed)
        assert "1 to 3,650" in refused.value.field_errors["days"]


def test_setting_the_review_period_is_audited(app, people, grid):
    with app.app_context():
        the_grid = db.session.get_one(Grid, grid.id)
        assert service.set_review_period(person(people["manager"]), the_grid, " 90 ")
        db.session.commit()
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.action == "grid.review_period_set")
        )
        assert db.session.get_one(Grid, grid.id).review_period_days == 90
        assert event is not None and event.details == {"before": 180, "after": 90}
        with pytest.raises(Forbidden):
            service.set_review_period(person(people["contributor"]), the_grid, "30")


def test_reviews_and_saves_racing_from_one_version_keep_one_save_and_a_valid_chain(
    app, client, people, grid
):
    """Three managers review and three people save one cell at the same moment, each from
    the same version, in their own OS processes."""
    from tests.grid.test_concurrency import race_jobs

    with app.app_context():
        found = stale_cell(people, grid)
        cell_id, version = found.id, str(found.version)
    jobs = [(f"/cells/{cell_id}/review", {"version": version})] * 3 + [
        (f"/cells/{cell_id}", {"version": version, "text": f"Saved by writer {n}"})
        for n in range(3)
    ]
    statuses = race_jobs(app, [(people["manager"].email, url, form) for url, form in jobs])
    reviews, saves = statuses[:3], statuses[3:]
    assert sorted(saves) == [200, 409, 409]  # exactly one save wins
    assert set(reviews) <= {303, 409}
    with app.app_context():
        kinds = list(
            db.session.scalars(
                db.select(CellRevision.kind)
                .where(CellRevision.cell_id == cell_id)
                .order_by(CellRevision.number)
            )
        )
    assert kinds.count("edit") == 2 and kinds.count("review") == reviews.count(303)
    result = app.test_cli_runner().invoke(args=["verify-history"])
    assert result.exit_code == 0, result.output
