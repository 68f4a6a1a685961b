"""The dashboard's read models against grids whose history and flags are known."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from grid_app.dashboard import queries
from grid_app.dashboard.queries import CellState, FlagSort, ListFilters
from grid_app.database import utcnow
from grid_app.extensions import db
from grid_app.grid.models import Grid, ServiceArea
from tests.dashboard.builders import backdate_grid, flag, write

SW_STRATEGY = ("Social work", "Strategy")
SW_EVIDENCE = ("Social work", "Evidence")
SW_OWNER = ("Social work", "Owner")
YJ_STRATEGY = ("Youth Justice", "Strategy")
YJ_EVIDENCE = ("Youth Justice", "Evidence")
YJ_OWNER = ("Youth Justice", "Owner")


def the_grid(grid) -> Grid:
    return db.session.get_one(Grid, grid.id)


def states(view: queries.Coverage) -> dict[tuple[str, str], CellState]:
    return {(c.row.name, c.column.name): c.state for c in view.cells.values()}


def build(people, grid):
    """Social work: fresh strategy, stale evidence, an owner. Youth Justice: flagged strategy,
    empty evidence, no owner."""
    now = utcnow()
    contributor, manager = people["contributor"], people["manager"]
    write(contributor, grid, SW_STRATEGY, "Anti-racist practice model", at=now - timedelta(days=3))
    write(contributor, grid, SW_EVIDENCE, "Workshops with two teams", at=now - timedelta(days=200))
    write(manager, grid, SW_OWNER, "", owners=[manager.id], at=now - timedelta(days=10))
    write(contributor, grid, YJ_STRATEGY, "Regional group", at=now - timedelta(days=250))
    return now


def test_each_cell_shows_one_state_flagged_over_stale_over_filled(app, people, grid):
    with app.app_context():
        now = build(people, grid)
        flag(grid, YJ_STRATEGY, "high", [(now - timedelta(days=5), None, "open")])
        flag(
            grid,
            SW_STRATEGY,
            "low",
            [
                (now - timedelta(days=9), None, "open"),
                (now - timedelta(days=8), "open", "resolved"),
            ],
        )
        db.session.commit()
        view = queries.coverage(the_grid(grid))
    assert states(view) == {
        SW_STRATEGY: CellState.FILLED,  # its only flag is closed
        SW_EVIDENCE: CellState.STALE,
        SW_OWNER: CellState.FILLED,
        YJ_STRATEGY: CellState.FLAGGED,  # stale too, but flagged wins
        YJ_EVIDENCE: CellState.EMPTY,
        YJ_OWNER: CellState.EMPTY,
    }


def test_a_flagged_empty_cell_is_flagged_and_still_listed_as_empty(app, people, grid):
    with app.app_context():
        now = build(people, grid)
        flag(grid, YJ_EVIDENCE, "medium", [(now - timedelta(days=1), None, "acknowledged")])
        db.session.commit()
        view = queries.coverage(the_grid(grid))
        lists = queries.lists(view, ListFilters())
    assert states(view)[YJ_EVIDENCE] is CellState.FLAGGED
    assert [(c.row.name, c.column.name) for c in lists.empty.items] == [YJ_EVIDENCE, YJ_OWNER]


def test_a_longer_review_period_makes_old_cells_fresh_again(app, people, grid):
    with app.app_context():
        build(people, grid)
        the_grid(grid).review_period_days = 365
        db.session.commit()
        view = queries.coverage(the_grid(grid))
    assert states(view)[SW_EVIDENCE] is CellState.FILLED


def test_headline_figures(app, people, grid):
    with app.app_context():
        now = build(people, grid)
        yesterday = now.date() - timedelta(days=1)
        flag(grid, YJ_STRATEGY, "high", [(now - timedelta(days=5), None, "open")], due=yesterday)
        flag(
            grid,
            YJ_EVIDENCE,
            "high",
            [(now - timedelta(days=5), None, "in_progress")],
            due=now.date() + timedelta(days=3),
        )
        flag(grid, SW_EVIDENCE, "low", [(now - timedelta(days=5), None, "open")])
        flag(
            grid,
            SW_EVIDENCE,
            "medium",
            [(now - timedelta(days=9), None, "wont_fix")],
            due=date(2020, 1, 1),
        )
        db.session.commit()
        headline = queries.coverage(the_grid(grid)).headline
    assert (headline.cells, headline.filled, headline.filled_percent) == (6, 4, 67)
    # Youth Justice's owner cell is empty: the area and its two text cells have no owner.
    assert (headline.unowned_areas, headline.unowned_cells) == (1, 2)
    assert headline.open_flags == {"high": 2, "medium": 0, "low": 1}
    assert headline.overdue == 1  # the closed flag's old due date does not count
    assert (headline.stale, headline.empty) == (2, 2)


def test_a_contact_note_alone_counts_as_an_owner(app, people, grid):
    with app.app_context():
        build(people, grid)
        write(people["manager"], grid, YJ_OWNER, "Head of youth justice", owners=[], at=utcnow())
        db.session.commit()
        headline = queries.coverage(the_grid(grid)).headline
    assert (headline.unowned_areas, headline.unowned_cells) == (0, 0)


def names(shown: queries.Shown) -> list[tuple[str, str]]:
    return [(c.row.name, c.column.name) for c in shown.items]


def test_lists_filter_by_service_area_column_owner_and_severity(app, people, grid):
    with app.app_context():
        now = build(people, grid)
        flag(grid, SW_EVIDENCE, "low", [(now - timedelta(days=2), None, "open")])
        db.session.commit()
        view = queries.coverage(the_grid(grid))
        youth = db.session.scalar(
            db.select(ServiceArea.id).where(ServiceArea.name == "Youth Justice")
        )
        manager = people["manager"].id

        everything = queries.lists(view, ListFilters())
        by_row = queries.lists(view, ListFilters(row_id=youth))
        by_column = queries.lists(view, ListFilters(column_id=view.columns[1].id))
        owned_by_manager = queries.lists(view, ListFilters(owner=manager))
        nobody = queries.lists(view, ListFilters(owner=queries.NO_OWNER))
        low = queries.lists(view, ListFilters(severity="low"))
        high = queries.lists(view, ListFilters(severity="high"))
    assert names(everything.stale) == [YJ_STRATEGY, SW_EVIDENCE]  # least recently reviewed first
    assert names(everything.empty) == [YJ_EVIDENCE, YJ_OWNER]
    assert [r.name for r in everything.unowned.items] == ["Youth Justice"]
    assert names(by_row.stale) == [YJ_STRATEGY] and by_row.flags.total == 0
    assert names(by_column.stale) == [SW_EVIDENCE] and names(by_column.empty) == [YJ_EVIDENCE]
    assert names(owned_by_manager.stale) == [SW_EVIDENCE] and owned_by_manager.empty.total == 0
    assert owned_by_manager.unowned.total == 0
    assert names(nobody.stale) == [YJ_STRATEGY] and nobody.flags.total == 1  # unassigned flag
    assert names(low.stale) == [SW_EVIDENCE] and low.flags.total == 1
    assert high.stale.total == high.empty.total == high.flags.total == 0


def test_open_flags_sort_by_age_severity_owner_and_due_date(app, people, grid):
    with app.app_context():
        now = build(people, grid)
        days = lambda n: now - timedelta(days=n)  # noqa: E731
        soon = now.date() + timedelta(days=2)
        later = now.date() + timedelta(days=20)
        a = flag(
            grid, SW_EVIDENCE, "low", [(days(30), None, "open")], due=soon, owner=people["other"].id
        )
        b = flag(grid, SW_STRATEGY, "high", [(days(10), None, "open")])
        c = flag(
            grid,
            YJ_STRATEGY,
            "medium",
            [(days(20), None, "acknowledged")],
            due=later,
            owner=people["admin"].id,
        )
        d = flag(grid, YJ_EVIDENCE, "high", [(days(40), None, "resolved")])
        db.session.commit()
        a, b, c, d = a.id, b.id, c.id, d.id
        grid_model = the_grid(grid)
        order = {
            sort: [f.id for f in queries.open_flags(grid_model, ListFilters(sort=sort)).items]
            for sort in FlagSort
        }
    assert d not in order[FlagSort.AGE]
    assert order[FlagSort.AGE] == [a, c, b]
    assert order[FlagSort.SEVERITY] == [b, c, a]
    # Ade Admin, Olu Other, then flags nobody owns yet.
    assert order[FlagSort.OWNER] == [c, a, b]
    assert order[FlagSort.DUE] == [a, c, b]


def test_weekly_numbers_match_a_hand_built_history(app, people, grid):
    now = utcnow()
    ends = queries.week_ends(now)
    before = lambda k, hours=1: ends[k] - timedelta(hours=hours)  # noqa: E731
    with app.app_context():
        backdate_grid(grid)
        contributor, manager = people["contributor"], people["manager"]
        write(manager, grid, SW_OWNER, owners=[manager.id], at=ends[0] - timedelta(days=10))
        write(contributor, grid, SW_STRATEGY, "First words", at=before(3))
        write(contributor, grid, SW_STRATEGY, "", at=before(8))
        write(contributor, grid, SW_EVIDENCE, "Evidence", at=before(5))
        # Written after the last week ends? Impossible; written in the last week: counts there.
        write(contributor, grid, YJ_STRATEGY, "Plan", at=before(25, hours=2))
        youth = db.session.scalar(db.select(ServiceArea).where(ServiceArea.name == "Youth Justice"))
        youth.archived_at = before(20)
        flag(
            grid,
            SW_EVIDENCE,
            "high",
            [
                (before(2), None, "open"),
                (before(6), "open", "resolved"),
                (before(9), "resolved", "open"),
            ],
        )
        flag(
            grid,
            SW_STRATEGY,
            "low",
            [
                (before(4), None, "open"),
                (before(5), "open", "acknowledged"),
                (before(12), "acknowledged", "wont_fix"),
            ],
        )
        flag(grid, YJ_EVIDENCE, "medium", [(ends[0] - timedelta(days=3), None, "open")])
        db.session.commit()
        weeks = queries.weekly(the_grid(grid), now)

    assert [w.ends for w in weeks] == ends and len(weeks) == 26
    expected_cells = [6 if k < 20 else 3 for k in range(26)]
    expected_filled = [1 + (3 <= k < 8) + (k >= 5) for k in range(26)]
    assert [w.cells for w in weeks] == expected_cells
    assert [w.filled for w in weeks] == expected_filled
    assert weeks[4].filled_percent == 33 and weeks[25].filled_percent == 67
    assert [w.open_flags["high"] for w in weeks] == [int(2 <= k < 6 or k >= 9) for k in range(26)]
    assert [w.open_flags["low"] for w in weeks] == [int(4 <= k < 12) for k in range(26)]
    assert [w.open_flags["medium"] for w in weeks] == [1] * 26


def test_week_ends_are_a_week_apart_and_the_last_is_tonight(app):
    now = utcnow()
    ends = queries.week_ends(now)
    assert ends[-1].date() == now.date() + timedelta(days=1) and ends[-1].hour == 0
    assert {b - a for a, b in pairwise(ends)} == {timedelta(weeks=1)}


def test_a_step_at_the_very_end_of_a_week_counts_in_the_week_after(app, people, grid):
    now = utcnow()
    ends = queries.week_ends(now)
    with app.app_context():
        backdate_grid(grid)
        flag(
            grid,
            SW_EVIDENCE,
            "high",
            [(ends[7], None, "open"), (ends[15], "open", "resolved")],
        )
        flag(grid, SW_STRATEGY, "low", [(ends[0], None, "open")])
        db.session.commit()
        weeks = queries.weekly(the_grid(grid), now)
    assert [w.open_flags["high"] for w in weeks] == [int(8 <= k <= 15) for k in range(26)]
    assert [w.open_flags["low"] for w in weeks] == [int(k >= 1) for k in range(26)]


def test_flags_raised_and_moved_today_count_in_this_week_only(app, people, grid):
    """Steps taken through the gap flag service are counted where the dashboard reads them:
    the cell's open flags by severity now, and the chart's weeks (none open last week)."""
    from grid_app.gaps import service as gaps
    from grid_app.gaps.service import Action
    from tests.dashboard.builders import cell, person

    with app.app_context():
        backdate_grid(grid)
        contributor, manager = person(people["contributor"]), person(people["manager"])

        def raised(severity: str):
            found = cell(grid, SW_EVIDENCE)
            return gaps.raise_flag(contributor, found, what_is_missing="Data", severity=severity)

        def act(found, action: Action, note: str = "") -> None:
            gaps.change(manager, found, action, expected_version=found.version, note=note)

        high, medium, low = raised("high"), raised("medium"), raised("low")
        act(low, Action.START)  # open to in progress: still open
        act(medium, Action.RESOLVE, "Done.")
        act(medium, Action.REOPEN)
        act(high, Action.WONT_FIX, "Covered by the regional plan.")
        db.session.commit()

        view = queries.coverage(the_grid(grid))
        evidence = next(c for c in view.cells.values() if c.id == grid.cells[SW_EVIDENCE])
        assert evidence.flags == {"medium": 1, "low": 1}
        assert evidence.state is CellState.FLAGGED
        assert view.headline.open_flags == {"high": 0, "medium": 1, "low": 1}
        # Without the open flags from coverage, the chart counts them itself.
        weeks = queries.weekly(the_grid(grid), view.now)
        assert weeks[-1].open_flags == {"high": 0, "medium": 1, "low": 1}
        assert weeks[-2].open_flags == {"high": 0, "medium": 0, "low": 0}
