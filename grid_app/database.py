"""Declarative base, naming convention and time helpers shared by every domain's models."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, MetaData, Table, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AppendOnlyViolation(RuntimeError):
    """Code tried to change or delete a row of an append-only model."""


class AppendOnly:
    """Marks a model whose rows, once written, are never changed or deleted (history,
    timelines, earlier wordings). Every session refuses such a flush."""


@event.listens_for(Session, "before_flush")
def _refuse_rewriting_append_only(session: Session, *_: object) -> None:
    for obj in session.deleted:
        if isinstance(obj, AppendOnly):
            raise AppendOnlyViolation(f"{type(obj).__name__} rows are never deleted.")
    for obj in session.dirty:
        if isinstance(obj, AppendOnly) and session.is_modified(obj):
            raise AppendOnlyViolation(f"{type(obj).__name__} rows are never changed.")


AnySession = Session | scoped_session[Any]


def insert_unless_present(session: AnySession, table: Table, values: dict[str, Any]) -> None:
    """INSERT a row unless one with the same key exists (waiting for any in flight).

    ON CONFLICT DO NOTHING, which SQLite and PostgreSQL both speak.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(table).values(**values).on_conflict_do_nothing())


def recount_tally(
    session: AnySession,
    model: type[Base],
    cell_id: int,
    grid_id: int,
    count: Callable[[], dict[str, int]],
) -> None:
    """Set a cell's row in the tally table of ``model`` to ``count()``, counted under the
    row's lock.

    Two transactions changing one cell's comments (or flags) at once queue on the lock, and
    the second counts after the first has committed, so a tally is never left short.
    """
    table = cast(Table, model.__table__)
    insert_unless_present(session, table, {"cell_id": cell_id, "grid_id": grid_id})
    mine = table.c.cell_id == cell_id
    session.execute(select(table.c.cell_id).where(mine).with_for_update())
    session.execute(update(table).where(mine).values(**count()))


def utcnow() -> datetime:
    """Return the current time as a naive UTC datetime (how every timestamp is stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=15000",
    "PRAGMA synchronous=FULL",
    # Deleted rows are overwritten with zeros, not left readable in free space: a sealed
    # or purged contribution's earlier copy must not outlive it in the file.
    "PRAGMA secure_delete=ON",
)


def scrub(engine: Engine, tables: tuple[str, ...]) -> None:
    """Remove what deleted or rewritten rows of ``tables`` leave behind, where the database
    lets us: PostgreSQL's VACUUM frees old row versions (it cannot while an older
    transaction still runs); on SQLite, secure_delete already zeroes them in the file and a
    checkpoint empties the write-ahead log of their pages (unless a reader holds it)."""
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            statements = [f"VACUUM {', '.join(tables)}"]
        else:
            statements = ["PRAGMA wal_checkpoint(TRUNCATE)"]
        cursor = raw.cursor()
        for statement in statements:
            cursor.execute(statement)
        cursor.close()
    finally:
        raw.close()


def install_sqlite_settings() -> None:
    """Apply our SQLite settings to every new connection of every engine, in every process.

    Connections are opened in autocommit mode so that SQLAlchemy's ``begin`` can issue our
    own BEGIN: deferred for reads, IMMEDIATE inside ``writing()``.
    """
    if event.contains(Engine, "connect", _on_connect):
        return
    event.listen(Engine, "connect", _on_connect)
    event.listen(Engine, "begin", _on_begin)


# Set while the code running in this thread (or task) is about to write; see ``writing``.
_WRITING: ContextVar[bool] = ContextVar("grid_writing", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Begin every transaction started inside the block as a write transaction.

    On SQLite that is ``BEGIN IMMEDIATE``: the transaction takes the write lock as it starts,
    so two writers queue (busy_timeout). A deferred transaction that has read and then
    writes cannot wait for the lock (waiting could deadlock two such upgraders), so it
    fails at once with "database is locked"; every write must therefore start inside this
    block. Every other transaction begins deferred: it reads a snapshot and never waits for
    a writer, so pages keep opening while a save holds the lock.

    A transaction already open when the block starts is left as it is: end it first.
    PostgreSQL needs nothing here; row locks and version checks queue its writers.
    """
    token = _WRITING.set(True)
    try:
        yield
    finally:
        _WRITING.reset(token)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_begin(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _WRITING.get() else "BEGIN")
