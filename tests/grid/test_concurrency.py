"""No lost update: several OS processes change one thing from the same version at once."""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
import threading
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from grid_app.auth.models import User
from grid_app.extensions import db
from grid_app.grid import service
from grid_app.grid.models import Cell, CellRevision, GridChange, ServiceArea
from tests.conftest import HX, PASSWORD, TEST_HASH_METHOD, Client

WRITERS = 6
# Seconds a racing process may wait at the barrier for the others to sign in; a race waits
# at most twice that for its answers. Generous, as on a loaded machine starting a process
# and signing in can take minutes: only a hang should ever reach it. GRID_RACE_TIMEOUT sets it.
RACE_TIMEOUT = float(os.environ.get("GRID_RACE_TIMEOUT", "600"))


def _writer(
    config: dict[str, Any], email: str, url: str, form: dict[str, str], barrier: Any
) -> int:
    """One browser in its own process: sign in, wait for the others, then post."""
    from grid_app import create_app

    try:
        app = create_app(config)
        app.test_client_class = Client
        client: Client = app.test_client()  # type: ignore[assignment]
        client.post_form("/sign-in", {"email": email, "password": PASSWORD})
        token = client.csrf_token()
    except BaseException:
        barrier.abort()  # so the others stop waiting and this error is the one reported
        raise
    barrier.wait(timeout=RACE_TIMEOUT)
    response = client.post(url, data={"csrf_token": token, **form}, headers=HX)
    with app.app_context():
        db.engine.dispose()
    return response.status_code


def race_jobs(app: Flask, jobs: list[tuple[str, str, dict[str, str]]]) -> list[int]:
    """Post each ``(email, url, form)`` from its own process at the same moment; their
    statuses, in the order of ``jobs``. Every process signs in before the barrier, so only
    the posts race."""
    config = {
        "TESTING": True,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": app.instance_path,
        "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
    }
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(len(jobs))
        with ctx.Pool(len(jobs)) as pool:
            pending = [pool.apply_async(_writer, (config, *job, barrier)) for job in jobs]
            # Starting and signing in, at most RACE_TIMEOUT at the barrier, then the post.
            deadline = time.monotonic() + 2 * RACE_TIMEOUT
            statuses: list[int] = []
            broken = False
            for result in pending:
                try:
                    statuses.append(result.get(timeout=max(0.0, deadline - time.monotonic())))
                except ctx.TimeoutError:
                    pytest.fail(
                        f"The racing requests did not all answer within {2 * RACE_TIMEOUT:g} s "
                        "(twice GRID_RACE_TIMEOUT)",
                        pytrace=False,
                    )
                except threading.BrokenBarrierError:
                    broken = True  # a later process's own error, if any, says why
    if broken:
        pytest.fail(
            f"The racing processes were not all signed in within {RACE_TIMEOUT:g} s of each "
            "other (GRID_RACE_TIMEOUT)",
            pytrace=False,
        )
    return statuses


def race(app: Flask, email: str, url: str, forms: list[dict[str, str]]) -> list[int]:
    """Post ``forms`` to ``url`` from as many processes at the same moment; their statuses."""
    return sorted(race_jobs(app, [(email, url, form) for form in forms]))


def count(app: Flask, model: type, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def test_concurrent_saves_from_one_version_let_exactly_one_win(app: Flask, people, grid):
    cell_id = grid.cells[("Social work", "Evidence")]
    forms = [{"text": f"Text {n}", "version": "1"} for n in range(WRITERS)]
    statuses = race(app, people["contributor"].email, f"/cells/{cell_id}", forms)
    assert statuses == [200] + [409] * (WRITERS - 1)
    assert count(app, CellRevision, CellRevision.cell_id == cell_id) == 1


def test_concurrent_restores_let_exactly_one_win(app: Flask, people, grid):
    cell_id = grid.cells[("Social work", "Evidence")]
    with app.app_context():
        actor = db.session.get_one(User, people["contributor"].id)
        cell = db.session.get_one(Cell, cell_id)
        for text in ("first", "second"):
            service.save_cell(actor, cell, expected_version=cell.version, text=text)
        db.session.commit()
        first = db.session.scalars(db.select(CellRevision.id).where(CellRevision.number == 1)).one()
    forms = [{"version": "3"}] * WRITERS
    statuses = race(app, people["contributor"].email, f"/revisions/{first}/restore", forms)
    assert statuses == [303] + [409] * (WRITERS - 1)
    assert count(app, CellRevision, CellRevision.cell_id == cell_id) == 3


@pytest.mark.parametrize("action", ["rename", "move-down"])
def test_concurrent_structural_edits_let_exactly_one_win(app: Flask, people, grid, action):
    with app.app_context():
        row_id = db.session.scalars(
            db.select(ServiceArea.id).where(ServiceArea.name == "Social work")
        ).one()
    forms = [
        {"version": "1", "action": action, "target": f"row:{row_id}", "name": f"Name {n}"}
        for n in range(WRITERS)
    ]
    statuses = race(app, people["admin"].email, f"/grids/{grid.slug}/structure", forms)
    assert statuses == [303] + [409] * (WRITERS - 1)
    assert count(app, GridChange) == 1


def test_concurrent_comments_and_flags_on_one_cell_are_all_counted(app: Flask, people, grid):
    """Each of several people starting a thread (or flagging a gap) at once is counted on
    the grid: the cell's tallies are recounted under a lock, never left short, and each
    day's count of flags opened is added to, never overwritten."""
    from grid_app.dashboard import queries as dashboard
    from grid_app.discussion import queries as discussion
    from grid_app.gaps import queries as gaps
    from grid_app.grid.models import Grid

    cell_id = grid.cells[("Social work", "Evidence")]
    threads = [{"body": f"Question {n}"} for n in range(WRITERS // 2)]
    flags = [{"what_is_missing": f"Gap {n}", "severity": "high"} for n in range(WRITERS // 2)]
    email = people["contributor"].email
    assert race(app, email, f"/cells/{cell_id}/comments", threads) == [200] * len(threads)
    assert race(app, email, f"/cells/{cell_id}/flags", flags) == [200] * len(flags)
    with app.app_context():
        found = db.session.get_one(Grid, grid.id)
        assert discussion.open_counts(found) == {cell_id: len(threads)}
        assert gaps.open_counts(found) == {cell_id: gaps.OpenCount(len(flags), len(flags))}
        # The dashboard's chart: all raised this week, so none open at the end of the last.
        weeks = dashboard.weekly(found)
        assert [w.open_flags["high"] for w in weeks[-2:]] == [0, len(flags)]


def _sqlite_path(app: Flask) -> str:
    return str(app.config["SQLALCHEMY_DATABASE_URI"]).removeprefix("sqlite:///")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_pages_open_while_a_save_holds_the_write_lock(app: Flask, client, people, grid):
    """On SQLite a page only reads: it never queues behind a save holding the write lock."""
    cell_id = grid.cells[("Social work", "Evidence")]
    client.sign_in(people["contributor"])
    # Another connection, a save in progress elsewhere, takes the lock and keeps it; it would
    # refuse at once to wait for anyone else (timeout 0).
    writer = sqlite3.connect(_sqlite_path(app), isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        page = client.get(f"/grids/{grid.slug}")
        cell = client.get(f"/cells/{cell_id}", headers=HX)
        poll = client.get(f"/grids/{grid.slug}/updates?after=0&structure=0", headers=HX)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert (page.status_code, cell.status_code, poll.status_code) == (200, 200, 200)
    assert "Social work" in page.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_save_still_saves_when_someone_else_wrote_while_its_page_was_read(
    app: Flask, client, people, grid
):
    """The read a save starts with is not the transaction that writes.

    SQLite cannot turn a read transaction into a write once another connection has
    committed since it began ("database is locked", at once). Here another connection
    commits between the save's first read of the cell and its write: the save still saves.
    """
    cell_id = grid.cells[("Social work", "Evidence")]
    client.sign_in(people["contributor"])
    with app.app_context():
        engine = db.engine
    wrote: list[str] = []

    def someone_else_writes(_conn, _cursor, statement: str, *_: Any) -> None:
        if wrote or not statement.lstrip().upper().startswith("SELECT"):
            return
        if "FROM cell " not in statement and "FROM cell\n" not in statement:
            return
        wrote.append(statement)
        elsewhere = sqlite3.connect(_sqlite_path(app), isolation_level=None, timeout=0)
        try:
            elsewhere.execute("UPDATE grid SET description = 'Changed elsewhere'")
        finally:
            elsewhere.close()

    event.listen(engine, "after_cursor_execute", someone_else_writes)
    try:
        response = client.post_form(
            f"/cells/{cell_id}", {"text": "Saved all the same", "version": "1"}, headers=HX
        )
    finally:
        event.remove(engine, "after_cursor_execute", someone_else_writes)
    assert wrote, "the save never read the cell"
    assert response.status_code == 200, response.text
    assert count(app, CellRevision, CellRevision.cell_id == cell_id) == 1


def test_the_same_save_sent_several_times_at_once_is_saved_once_and_never_a_conflict(
    app: Flask, people, grid
):
    """A save sent again while the first send is still being saved (a double click, a
    retry) waits for it and is answered as saved."""
    cell_id = grid.cells[("Social work", "Evidence")]
    form = {"text": "Text", "version": "1", "save_key": "k" * 32}
    statuses = race(app, people["contributor"].email, f"/cells/{cell_id}", [form] * WRITERS)
    assert statuses == [200] * WRITERS
    assert count(app, CellRevision, CellRevision.cell_id == cell_id) == 1
