"""History changed behind the app's back, by someone who can write to the database but does
not hold HISTORY_KEY: verify-history names every cell it broke, and the database itself
refuses plain UPDATEs and DELETEs of history."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import scoped_session

from grid_app.auth.models import User
from grid_app.extensions import db
from grid_app.grid import service, structure
from grid_app.grid.models import Cell, CellRevision, Grid, GridChange, RevisionKind


@contextmanager
def behind_the_apps_back(app: Flask) -> Iterator[scoped_session[Any]]:
    """A database session of someone with the database owner's rights (who could disable the
    triggers; here they take a permit) but not the app's key. Commits at the end."""
    with app.app_context():
        postgres = db.session.get_bind().dialect.name == "postgresql"
        txid = "txid_current()" if postgres else "0"
        db.session.execute(text(f"INSERT INTO history_permit (txid) VALUES ({txid})"))
        yield db.session
        db.session.execute(text("DELETE FROM history_permit"))
        db.session.commit()


def verify(app: Flask) -> tuple[int, list[str]]:
    """Run verify-history: its exit code and its lines."""
    result = app.test_cli_runner().invoke(args=["verify-history"])
    return result.exit_code, result.output.splitlines()


def write(app: Flask, person_id: int, cell_id: int, texts: list[str]) -> None:
    with app.app_context():
        actor = db.session.get_one(User, person_id)
        cell = db.session.get_one(Cell, cell_id)
        for words in texts:
            service.save_cell(actor, cell, expected_version=cell.version, text=words)
        db.session.commit()


@pytest.fixture
def edited(app, people, grid) -> dict[str, int]:
    """Three cells written three times each; the others never edited."""
    names = {"strategy": ("Social work", "Strategy"), "evidence": ("Social work", "Evidence")}
    names["youth"] = ("Youth Justice", "Strategy")
    cells = {key: grid.cells[place] for key, place in names.items()}
    for key, cell_id in cells.items():
        write(app, people["contributor"].id, cell_id, [f"{key} one", f"{key} two", f"{key} 3"])
    return cells


def broken_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("BROKEN:")]


def test_untouched_history_verifies(app, edited):
    assert verify(app) == (0, ["OK: 9 revisions verified in 6 cells."])


def test_deleting_a_cells_newest_revision_is_reported(app, edited):
    with behind_the_apps_back(app) as session:
        session.execute(
            text("DELETE FROM cell_revision WHERE cell_id = :c AND number = 3"),
            {"c": edited["strategy"]},
        )
    code, lines = verify(app)
    assert code == 1
    assert broken_lines(lines) == [
        f"BROKEN: cell {edited['strategy']} (Social work × Strategy): what it holds differs "
        "from its newest revision (number 2)"
    ]


def test_deleting_the_newest_revision_and_putting_its_text_back_is_reported(app, edited):
    with behind_the_apps_back(app) as session:
        session.execute(
            text("DELETE FROM cell_revision WHERE cell_id = :c AND number = 3"),
            {"c": edited["strategy"]},
        )
        session.execute(
            text("UPDATE cell SET text = 'strategy two' WHERE id = :c"), {"c": edited["strategy"]}
        )
    code, lines = verify(app)
    assert code == 1
    assert broken_lines(lines) == [
        f"BROKEN: cell {edited['strategy']} (Social work × Strategy): its head records "
        "3 revisions but 2 were found"
    ]


def test_the_next_edit_does_not_seal_over_a_deleted_revision(app, people, edited):
    with behind_the_apps_back(app) as session:
        session.execute(
            text("DELETE FROM cell_revision WHERE cell_id = :c AND number = 3"),
            {"c": edited["strategy"]},
        )
        session.execute(
            text("UPDATE cell SET text = 'strategy two' WHERE id = :c"), {"c": edited["strategy"]}
        )
    write(app, people["other"].id, edited["strategy"], ["strategy, honestly"])
    code, lines = verify(app)
    assert code == 1
    assert broken_lines(lines) == [
        f"BROKEN: cell {edited['strategy']} (Social work × Strategy): its head does not match "
        "its newest revision"
    ]


def test_deleting_every_revision_of_a_cell_is_reported(app, edited):
    with behind_the_apps_back(app) as session:
        session.execute(
            text("DELETE FROM cell_revision WHERE cell_id = :c"), {"c": edited["evidence"]}
        )
    code, lines = verify(app)
    assert code == 1
    assert broken_lines(lines) == [
        f"BROKEN: cell {edited['evidence']} (Social work × Evidence): it holds text or owners "
        "but has no revision"
    ]


def test_deleting_every_revision_and_emptying_the_cell_is_reported(app, edited):
    with behind_the_apps_back(app) as session:
        session.execute(
            text("DELETE FROM cell_revision WHERE cell_id = :c"), {"c": edited["evidence"]}
        )
        session.execute(text("UPDATE cell SET text = '' WHERE id = :c"), {"c": edited["evidence"]})
    code, lines = verify(app)
    assert code == 1
    assert "its head records 3 revisions but 0 were found" in broken_lines(lines)[0]


def test_changing_a_cells_live_text_with_plain_sql_is_reported(app, edited):
    with app.app_context():
        db.session.execute(
            text("UPDATE cell SET text = 'rewritten' WHERE id = :c"), {"c": edited["youth"]}
        )
        db.session.commit()
    code, lines = verify(app)
    assert code == 1
    assert broken_lines(lines) == [
        f"BROKEN: cell {edited['youth']} (Youth Justice × Strategy): what it holds differs "
        "from its newest revision (number 3)"
    ]


def test_text_put_into_a_cell_that_never_had_a_revision_is_reported(app, grid, edited):
    empty = grid.cells[("Youth Justice", "Evidence")]
    with app.app_context():
        db.session.execute(text("UPDATE cell SET text = 'planted' WHERE id = :c"), {"c": empty})
        db.session.commit()
    code, lines = verify(app)
    assert code == 1
    assert broken_lines(lines) == [
        f"BROKEN: cell {empty} (Youth Justice × Evidence): it holds text or owners but has no "
        "revision"
    ]


def test_changing_a_cells_owners_with_plain_sql_is_reported(app, people, grid):
    owner_cell = grid.cells[("Social work", "Owner")]
    with app.app_context():
        actor = db.session.get_one(User, people["manager"].id)
        cell = db.session.get_one(Cell, owner_cell)
        service.save_cell(actor, cell, expected_version=1, text="", owner_ids=[people["other"].id])
        db.session.commit()
        db.session.execute(
            text("INSERT INTO cell_owner (cell_id, user_id) VALUES (:c, :u)"),
            {"c": owner_cell, "u": people["admin"].id},
        )
        db.session.commit()
    code, lines = verify(app)
    assert code == 1 and "differs from its newest revision (number 1)" in broken_lines(lines)[0]


def test_changing_an_old_revisions_text_is_reported(app, edited):
    with behind_the_apps_back(app) as session:
        session.execute(
            text("UPDATE cell_revision SET text = 'rewritten' WHERE cell_id = :c AND number = 1"),
            {"c": edited["strategy"]},
        )
        revision_id = session.scalar(
            text("SELECT id FROM cell_revision WHERE cell_id = :c AND number = 1"),
            {"c": edited["strategy"]},
        )
    code, lines = verify(app)
    assert code == 1
    assert broken_lines(lines) == [
        f"BROKEN: cell {edited['strategy']} (Social work × Strategy), revision {revision_id} "
        "(number 1): content does not match its hash"
    ]


def _sha256_chain(previous: str, revision: CellRevision, content: str) -> str:
    """The chain hash as it was before it was keyed: anyone could compute it."""
    payload = json.dumps(
        [
            previous,
            revision.cell_id,
            revision.number,
            revision.kind,
            revision.author_id,
            revision.created_at.isoformat(),
            revision.summary,
            content,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def test_a_rewrite_resealed_with_the_public_sha256_chain_is_reported(app, edited):
    """Someone without the key rewrites revision 2 and recomputes every hash from scratch."""
    cell_id = edited["strategy"]
    with behind_the_apps_back(app) as session:
        revisions = session.scalars(
            db.select(CellRevision)
            .where(CellRevision.cell_id == cell_id)
            .order_by(CellRevision.number)
        ).all()
        previous = "0" * 64
        for revision in revisions:
            words = "never said" if revision.number == 2 else revision.text
            content = hashlib.sha256(
                json.dumps({"text": words, "owners": []}, separators=(",", ":")).encode()
            ).hexdigest()
            previous = _sha256_chain(previous, revision, content)
            session.execute(
                text(
                    "UPDATE cell_revision SET text = :t, content_hash = :c, chain_hash = :h "
                    "WHERE id = :id"
                ),
                {"t": words, "c": content, "h": previous, "id": revision.id},
            )
        first_id = revisions[0].id
        session.expunge_all()
    code, lines = verify(app)
    assert code == 1
    assert broken_lines(lines) == [
        f"BROKEN: cell {cell_id} (Social work × Strategy), revision {first_id} (number 1): "
        "chain hash does not match"
    ]


def test_history_sealed_with_another_key_does_not_verify(app, edited):
    app.config["HISTORY_KEY"] = "someone else's key"
    code, lines = verify(app)
    assert code == 1 and len(broken_lines(lines)) == 6


def test_every_broken_cell_is_reported_with_a_count(app, grid, edited):
    with behind_the_apps_back(app) as session:
        session.execute(
            text("DELETE FROM cell_revision WHERE cell_id = :c AND number = 3"),
            {"c": edited["strategy"]},
        )
        session.execute(
            text("DELETE FROM cell_revision WHERE cell_id = :c"), {"c": edited["evidence"]}
        )
        session.execute(
            text("UPDATE cell SET text = 'rewritten' WHERE id = :c"), {"c": edited["youth"]}
        )
    code, lines = verify(app)
    assert code == 1
    broken = broken_lines(lines)
    assert [line.split(" (")[0] for line in broken] == [
        f"BROKEN: cell {cell_id}"
        for cell_id in sorted((edited["strategy"], edited["evidence"], edited["youth"]))
    ]
    assert lines[-1] == "Cells that do not verify: 3 of 6."


def test_a_permit_left_in_the_database_is_reported(app, edited):
    with app.app_context():
        db.session.execute(text("INSERT INTO history_permit (txid) VALUES (1)"))
        db.session.commit()
    code, lines = verify(app)
    assert code == 1
    assert broken_lines(lines) == [
        "BROKEN: history_permit holds a row, so the database lets history be rewritten."
    ]


# --- The database refuses ----------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cell_revision SET text = 'rewritten'",
        "DELETE FROM cell_revision",
        "UPDATE grid_change SET after = '{}'",
        "DELETE FROM grid_change",
    ],
)
def test_the_database_refuses_to_change_or_delete_history(app, people, grid, edited, statement):
    with app.app_context():
        structure.rename(
            db.session.get_one(User, people["admin"].id),
            db.session.get_one(Grid, grid.id),
            expected_version=1,
            part=db.session.get_one(Cell, edited["strategy"]).row,
            name="Children's social work",
        )
        db.session.commit()
        before = counts()
        with pytest.raises(IntegrityError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
        assert counts() == before


def counts() -> tuple[int, int, str]:
    return (
        db.session.scalar(db.select(db.func.count(CellRevision.id))),
        db.session.scalar(db.select(db.func.count(GridChange.id))),
        db.session.scalar(db.select(CellRevision.text).order_by(CellRevision.id).limit(1)),
    )


def test_deleting_a_cell_is_refused_while_it_has_history(app, edited):
    with app.app_context():
        with pytest.raises(IntegrityError, match="append-only"):
            db.session.execute(text("DELETE FROM cell WHERE id = :c"), {"c": edited["strategy"]})
        db.session.rollback()


# --- What the app itself writes verifies ---------------------------------------------------


def test_edits_owners_reviews_restores_insights_structure_and_imports_verify(
    app, people, grid, edited, tmp_path
):
    with app.app_context():
        manager = db.session.get_one(User, people["manager"].id)
        strategy = db.session.get_one(Cell, edited["strategy"])
        version = strategy.version
        service.review_cell(manager, strategy, expected_version=version)
        assert strategy.version == version
        first = db.session.scalars(
            db.select(CellRevision).where(
                CellRevision.cell_id == strategy.id, CellRevision.number == 1
            )
        ).one()
        service.restore_revision(manager, first, expected_version=version)
        owner_cell = db.session.get_one(Cell, grid.cells[("Youth Justice", "Owner")])
        service.save_cell(
            manager, owner_cell, expected_version=1, text="Jo", owner_ids=[people["other"].id]
        )
        service.add_insight(
            db.session.get_one(User, people["facilitator"].id),
            db.session.get_one(Cell, edited["youth"]),
            text="People asked for interpreters.",
            summary="From a session",
        )
        structure.add(
            db.session.get_one(User, people["admin"].id),
            db.session.get_one(Grid, grid.id),
            expected_version=1,
            what="row",
            name="Housing",
        )
        db.session.commit()
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("Service area,Strategy,Training\nHousing,Homes first,Yes\n")
    imported = app.test_cli_runner().invoke(args=["import", "--grid", grid.slug, str(csv_path)])
    assert imported.exit_code == 0, imported.output
    with app.app_context():
        kinds = set(db.session.scalars(db.select(CellRevision.kind)))
        cell_count = db.session.scalar(db.select(db.func.count(Cell.id)))
    assert kinds == {k.value for k in RevisionKind}
    code, lines = verify(app)
    assert code == 0, lines
    assert lines == [f"OK: 15 revisions verified in {cell_count} cells."]
