"""Migrations build the whole schema from nothing, with no drift from the models."""

from __future__ import annotations

import hashlib
import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.exc import IntegrityError

from grid_app import create_app
from grid_app.extensions import db
from grid_app.search import schema as search_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path, worker_id):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrated.db"
        return
    base = request.getfixturevalue("postgres_url")
    url = base.set(database=f"{base.database}_migrations")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_on_an_empty_database_matches_the_models(empty_database, tmp_path):
    app = create_app(
        {"DATABASE_URL": empty_database, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "render_as_batch": True,
                    # Search's indexes are the databases' own, not the models' (as in env.py).
                    "include_object": search_schema.include_object,
                },
            )
            differences = compare_metadata(context, db.metadata)
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.engine.dispose()
    assert differences == []
    assert head is not None
    assert make_url(empty_database).database


def test_the_tallies_start_from_the_comments_and_flags_already_there(empty_database, tmp_path):
    """A database with discussions and gap flags keeps its counts on the grid when upgraded,
    and the dashboard's counts of open flags by cell, severity and day start from them."""
    from grid_app.discussion import queries as discussion
    from grid_app.gaps import queries as gaps
    from grid_app.gaps.models import CellFlagTally, FlagDayTally
    from grid_app.grid.models import Grid

    app = create_app(
        {"DATABASE_URL": empty_database, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO user_account (id, email, display_name, password_hash, active, "
                "created_at) VALUES (1, 'a@example.org', 'A', 'x', true, '2026-01-01')",
                "INSERT INTO grid (id, slug, name, description, review_period_days, created_at, "
                "structure_version) VALUES (1, 'g', 'G', '', 180, '2026-01-01', 1)",
                "INSERT INTO grid_row (id, grid_id, name, position, created_at) "
                "VALUES (1, 1, 'Row', 0, '2026-01-01')",
                "INSERT INTO grid_column (id, grid_id, name, kind, position, created_at) "
                "VALUES (1, 1, 'Col', 'text', 0, '2026-01-01')",
                "INSERT INTO cell (id, grid_id, row_id, column_id, text, html, version) "
                "VALUES (1, 1, 1, 1, '', '', 1)",
                # Open; resolved; deleted with a reply (still shown); deleted alone (gone).
                "INSERT INTO comment (id, grid_id, cell_id, parent_id, author_id, body, html, "
                "created_at, resolved_at, deleted_at, version) VALUES "
                "(1, 1, 1, NULL, 1, 'a', 'a', '2026-01-01', NULL, NULL, 1),"
                "(2, 1, 1, NULL, 1, 'b', 'b', '2026-01-01', '2026-01-02', NULL, 1),"
                "(3, 1, 1, NULL, 1, '', '', '2026-01-01', NULL, '2026-01-02', 1),"
                "(4, 1, 1, 3, 1, 'd', 'd', '2026-01-01', NULL, NULL, 1),"
                "(5, 1, 1, NULL, 1, '', '', '2026-01-01', NULL, '2026-01-02', 1)",
                "INSERT INTO gap_flag (id, grid_id, cell_id, what_is_missing, severity, status, "
                "raised_by_id, created_at, version) VALUES "
                "(1, 1, 1, 'x', 'high', 'open', 1, '2026-01-01', 1),"
                "(2, 1, 1, 'y', 'low', 'in_progress', 1, '2026-01-01', 1),"
                "(3, 1, 1, 'z', 'high', 'resolved', 1, '2026-01-01', 1)",
                # Raised on 1 January; the third resolved on the 2nd, reopened and closed
                # again on the 3rd (both on one day: no change that day).
                "INSERT INTO gap_flag_event (id, flag_id, actor_id, created_at, kind, "
                "from_status, to_status, note) VALUES "
                "(1, 1, 1, '2026-01-01 09:00', 'raised', NULL, 'open', ''),"
                "(2, 2, 1, '2026-01-01 10:00', 'raised', NULL, 'open', ''),"
                "(3, 3, 1, '2026-01-01 11:00', 'raised', NULL, 'open', ''),"
                "(4, 2, 1, '2026-01-02 09:00', 'started', 'open', 'in_progress', ''),"
                "(5, 3, 1, '2026-01-02 23:59', 'resolved', 'open', 'resolved', ''),"
                "(6, 3, 1, '2026-01-03 08:00', 'reopened', 'resolved', 'open', ''),"
                "(7, 3, 1, '2026-01-03 09:00', 'resolved', 'open', 'resolved', '')",
            ):
                conn.execute(text(statement))
        upgrade()
        grid = db.session.get_one(Grid, 1)
        assert discussion.open_counts(grid) == {1: 2}
        assert gaps.open_counts(grid) == {1: gaps.OpenCount(2, 1)}
        tally = db.session.get_one(CellFlagTally, 1)
        assert (tally.open_high, tally.open_medium, tally.open_low) == (1, 0, 1)
        days = db.session.execute(
            select(FlagDayTally.day, FlagDayTally.severity, FlagDayTally.net).order_by(
                FlagDayTally.day, FlagDayTally.severity
            )
        ).all()
        assert [(d.isoformat(), s, n) for d, s, n in days if n] == [
            ("2026-01-01", "high", 2),
            ("2026-01-01", "low", 1),
            ("2026-01-02", "high", -1),
        ]
        db.session.remove()
        db.engine.dispose()


def _sha256(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()


def test_upgrade_seals_history_with_the_key_keeps_old_breaks_and_downgrade_restores_it(
    empty_database, tmp_path
):
    """Revisions hashed before the key existed are re-sealed with it; one whose chain was
    already broken stays broken; every cell gets a head; the triggers exist afterwards."""
    from flask_migrate import downgrade

    from grid_app.grid import history

    app = create_app(
        {"DATABASE_URL": empty_database, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)}
    )
    at = "2026-01-01 10:00:00"
    # Cell 1: two revisions; cell 2: one revision whose chain hash was already wrong; 3: none.
    chains = {}
    rows = []
    for revision_id, cell_id, number, words in ((1, 1, 1, "one"), (2, 1, 2, "two"), (3, 2, 1, "x")):
        content = _sha256({"text": words, "owners": []})
        previous = chains.get(cell_id, "0" * 64)
        chain = _sha256([previous, cell_id, number, "edit", 1, "2026-01-01T10:00:00", "", content])
        chains[cell_id] = chain if revision_id != 3 else "f" * 64
        rows.append(
            f"({revision_id}, {cell_id}, 1, {number}, 'edit', '{words}', '[]', '', 1, '{at}', "
            f"'{content}', '{chains[cell_id]}')"
        )
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO user_account (id, email, display_name, password_hash, active, "
                f"created_at) VALUES (1, 'a@example.org', 'A', 'x', true, '{at}')",
                "INSERT INTO grid (id, slug, name, description, review_period_days, created_at, "
                f"structure_version) VALUES (1, 'g', 'G', '', 180, '{at}', 1)",
                "INSERT INTO grid_row (id, grid_id, name, position, created_at) "
                f"VALUES (1, 1, 'Row', 0, '{at}')",
                "INSERT INTO grid_column (id, grid_id, name, kind, position, created_at) VALUES "
                f"(1, 1, 'A', 'text', 0, '{at}'), (2, 1, 'B', 'text', 1, '{at}'), "
                f"(3, 1, 'C', 'text', 2, '{at}')",
                "INSERT INTO cell (id, grid_id, row_id, column_id, text, html, version) VALUES "
                "(1, 1, 1, 1, 'two', '', 3), (2, 1, 1, 2, 'x', '', 2), (3, 1, 1, 3, '', '', 1)",
                "INSERT INTO cell_revision (id, cell_id, grid_id, number, kind, text, owner_ids, "
                "summary, author_id, created_at, content_hash, chain_hash) VALUES "
                + ", ".join(rows),
            ):
                conn.execute(text(statement))
        upgrade()
        found = history.verify_all()
        assert (found.revisions, found.cells) == (3, 3)
        assert [(b.cell_id, b.number, b.reason) for b in found.broken] == [
            (2, 1, "chain hash does not match")
        ]
        assert db.session.scalar(text("SELECT count(*) FROM cell_head")) == 3
        with pytest.raises(IntegrityError, match="append-only"):
            db.session.execute(text("DELETE FROM cell_revision"))
        db.session.rollback()
        db.session.remove()

        downgrade(revision="0009")
        with db.engine.connect() as conn:
            restored = conn.execute(text("SELECT chain_hash FROM cell_revision ORDER BY id"))
            assert [r[0] for r in restored] == [
                _sha256(
                    [
                        "0" * 64,
                        1,
                        1,
                        "edit",
                        1,
                        "2026-01-01T10:00:00",
                        "",
                        _sha256({"text": "one", "owners": []}),
                    ]
                ),
                chains[1],
                "f" * 64,
            ]
            conn.execute(text("DELETE FROM cell_revision"))
            conn.commit()
        db.engine.dispose()


def test_search_finds_what_was_written_before_its_indexes_existed(empty_database, tmp_path):
    """The search migration indexes the text already in cells, comments, flags, their notes
    and earlier versions; the first step of a flag is not indexed as a note."""
    from grid_app.search import queries
    from grid_app.search.syntax import parse

    app = create_app(
        {"DATABASE_URL": empty_database, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade(revision="0023")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO user_account (id, email, display_name, password_hash, active, "
                "created_at) VALUES (1, 'a@example.org', 'A', 'x', true, '2026-01-01')",
                "INSERT INTO grid (id, slug, name, description, review_period_days, created_at, "
                "structure_version) VALUES (1, 'g', 'G', '', 180, '2026-01-01', 1)",
                "INSERT INTO grid_row (id, grid_id, name, position, created_at) "
                "VALUES (1, 1, 'Row', 0, '2026-01-01')",
                "INSERT INTO grid_column (id, grid_id, name, kind, position, created_at) "
                "VALUES (1, 1, 'Col', 'text', 0, '2026-01-01')",
                "INSERT INTO cell (id, grid_id, row_id, column_id, text, html, version) "
                "VALUES (1, 1, 1, 1, 'Mentoring now', '', 2)",
                "INSERT INTO cell_revision (id, cell_id, grid_id, number, kind, text, owner_ids, "
                "summary, author_id, created_at, content_hash, chain_hash) VALUES "
                "(1, 1, 1, 1, 'edit', 'Apprenticeships then', '[]', '', 1, '2026-01-01', 'h', 'c')",
                "INSERT INTO comment (id, grid_id, cell_id, author_id, body, html, created_at, "
                "version) VALUES (1, 1, 1, 1, 'Quarterly review', '', '2026-01-02', 1)",
                "INSERT INTO gap_flag (id, grid_id, cell_id, what_is_missing, severity, status, "
                "raised_by_id, created_at, version) VALUES "
                "(1, 1, 1, 'Exit interviews', 'high', 'open', 1, '2026-01-03', 1)",
                "INSERT INTO gap_flag_event (id, flag_id, grid_id, actor_id, created_at, kind, "
                "to_status, note) VALUES "
                "(1, 1, 1, 1, '2026-01-03', 'raised', 'open', 'Exit interviews'),"
                "(2, 1, 1, 1, '2026-01-04', 'acknowledged', 'acknowledged', 'Awaiting payroll')",
            ):
                conn.execute(text(statement))
        upgrade()
        from grid_app.auth.models import OPERATOR

        def kinds(words: str) -> list[str]:
            page = queries.search(
                OPERATOR, parse(words), queries.Filters(history=True), queries.Sort.NEWEST
            )
            return [r.kind.value for r in page.results]

        assert kinds("mentoring") == ["cell"]
        assert kinds("apprenticeships") == ["history"]
        assert kinds("quarterly") == ["comment"]
        assert kinds("interviews") == ["flag"]
        assert kinds("payroll") == ["note"]
        db.session.remove()
        db.engine.dispose()
