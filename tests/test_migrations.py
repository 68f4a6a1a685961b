"""Migrations build the whole schema from nothing, with no drift from the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from grid_app import create_app
from grid_app.extensions import db


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
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.engine.dispose()
    assert differences == []
    assert head is not None
    assert make_url(empty_database).database


def test_the_tallies_start_from_the_comments_and_flags_already_there(empty_database, tmp_path):
    """A database with discussions and gap flags keeps its counts on the grid when upgraded."""
    from grid_app.discussion import queries as discussion
    from grid_app.gaps import queries as gaps
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
            ):
                conn.execute(text(statement))
        upgrade()
        grid = db.session.get_one(Grid, 1)
        assert discussion.open_counts(grid) == {1: 2}
        assert gaps.open_counts(grid) == {1: gaps.OpenCount(2, 1)}
        db.session.remove()
        db.engine.dispose()
