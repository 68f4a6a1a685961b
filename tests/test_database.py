"""On SQLite, reads begin deferred and never hold the write lock; writes take it as they begin."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text

from grid_app.database import writing
from grid_app.extensions import db

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def other_connection(app: Flask) -> Iterator[sqlite3.Connection]:
    """A second connection to the same file that never waits for a lock (timeout 0)."""
    path = str(app.config["SQLALCHEMY_DATABASE_URI"]).removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None, timeout=0)
    # As the app's own connections set it (and it stays with the file).
    conn.execute("PRAGMA journal_mode=WAL")
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def _can_take_the_write_lock(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    conn.execute("ROLLBACK")
    return True


def test_a_read_transaction_leaves_the_write_lock_free(app: Flask, other_connection):
    with app.app_context():
        db.session.execute(text("SELECT count(*) FROM grid")).scalar()
        assert db.session().in_transaction()
        assert _can_take_the_write_lock(other_connection)
        db.session.rollback()


def test_a_read_transaction_reads_while_another_connection_holds_the_write_lock(
    app: Flask, other_connection
):
    other_connection.execute("BEGIN IMMEDIATE")
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM grid")).scalar() == 0
        db.session.rollback()


def test_a_transaction_begun_for_writing_holds_the_write_lock_from_its_first_read(
    app: Flask, other_connection
):
    """So it re-reads what it depends on under the lock, and its later write never has to
    upgrade a read (which SQLite refuses at once when another writer got there first)."""
    with app.app_context(), writing():
        db.session.execute(text("SELECT count(*) FROM grid")).scalar()
        assert not _can_take_the_write_lock(other_connection)
        db.session.rollback()
    assert _can_take_the_write_lock(other_connection)
