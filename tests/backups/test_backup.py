"""Backups that restore: taken while people save, restored into an empty database, checked."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from grid_app import create_app
from grid_app.auth.models import OPERATOR
from grid_app.database import writing
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell, CellRevision
from tests.conftest import TEST_HASH_METHOD, GridRef


def _app_on(url: str, tmp_path: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance-restored"),
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
            "MAIL_SEND_AFTER_COMMIT": False,
        }
    )


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second database, holding nothing at all, of the same kind as the app's."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"{url.database}_restored"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def restored_app(empty_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on the empty database, to restore into."""
    application = _app_on(empty_url, tmp_path)
    yield application
    with application.app_context():
        db.engine.dispose()


def _save_until(app: Flask, grid: GridRef, stop: threading.Event, saved: list[int]) -> None:
    """Keep saving the grid's two text cells, as people would, until told to stop."""
    cells = [grid.cells[("Social work", "Strategy")], grid.cells[("Youth Justice", "Evidence")]]
    with app.app_context():
        n = 0
        while not stop.is_set() or n < 20:
            n += 1
            with writing():
                cell = db.session.get(Cell, cells[n % 2])
                assert cell is not None
                grid_service.save_cell(
                    OPERATOR, cell, expected_version=cell.version, text=f"Plan, draft {n}"
                )
                db.session.commit()
            saved.append(n)
            db.session.remove()


def _counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(CellRevision.id))) or 0,
            db.session.scalar(select(func.count(Cell.id))) or 0,
        )


def test_a_backup_taken_while_people_save_restores_and_verifies(
    app: Flask, grid: GridRef, restored_app: Flask, tmp_path: Path
) -> None:
    stop = threading.Event()
    saved: list[int] = []
    saver = threading.Thread(target=_save_until, args=(app, grid, stop, saved))
    saver.start()
    try:
        while len(saved) < 5:
            threading.Event().wait(0.01)
        taken = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "grid.tar.gz")])
    finally:
        stop.set()
        saver.join()
    assert taken.exit_code == 0, taken.output
    assert "Backed up to" in taken.output and "cell histories" in taken.output
    with tarfile.open(tmp_path / "grid.tar.gz") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
    revisions_live, cells_live = _counts(app)
    # Saves went on after the snapshot; the backup holds a moment between two of them.
    assert 5 <= manifest["counts"]["cell_revision"] < revisions_live
    assert manifest["counts"]["cell"] == cells_live == len(manifest["heads"]) == 6

    restored = restored_app.test_cli_runner().invoke(
        args=["restore", str(tmp_path / "grid.tar.gz")]
    )
    assert restored.exit_code == 0, restored.output
    assert "MISMATCH" not in restored.output
    assert f"OK: {manifest['counts']['cell_revision']} revisions verified in 6 cells." in (
        restored.output
    )
    assert _counts(restored_app) == (manifest["counts"]["cell_revision"], 6)
    # The restored database goes on working: a new save lands on top of the restored history.
    with restored_app.app_context(), writing():
        cell = db.session.get(Cell, grid.cells[("Social work", "Strategy")])
        assert cell is not None and cell.text.startswith("Plan, draft ")
        grid_service.save_cell(OPERATOR, cell, expected_version=cell.version, text="After")
        db.session.commit()
    again = restored_app.test_cli_runner().invoke(args=["verify-history"])
    assert again.exit_code == 0, again.output


def test_restore_refuses_a_database_that_already_holds_data(
    app: Flask, grid: GridRef, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "grid.tar.gz")]).exit_code == 0
    before = _counts(app)
    refused = runner.invoke(args=["restore", str(tmp_path / "grid.tar.gz")])
    assert refused.exit_code == 1
    assert "already holds" in refused.output and "empty" in refused.output
    assert _counts(app) == before


def test_restore_refuses_a_file_that_is_not_a_backup(restored_app: Flask, tmp_path: Path) -> None:
    junk = tmp_path / "notes.tar.gz"
    junk.write_bytes(b"minutes of the March meeting")
    refused = restored_app.test_cli_runner().invoke(args=["restore", str(junk)])
    assert refused.exit_code == 1
    assert "cannot be read as a backup" in refused.output
    assert "Traceback" not in refused.output


def _rewrite_manifest(source: Path, target: Path, change: dict[str, object]) -> None:
    """Copy a backup with its manifest changed, as a damaged or mislabelled file would be."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "manifest.json":
                manifest = json.loads(data)
                for key, value in change.items():
                    if key == "counts":
                        manifest["counts"].update(value)  # type: ignore[call-overload]
                    else:
                        manifest[key] = value
                data = json.dumps(manifest).encode()
                member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def test_a_restore_that_does_not_match_its_manifest_says_so_and_fails(
    app: Flask, grid: GridRef, restored_app: Flask, tmp_path: Path
) -> None:
    assert app.test_cli_runner().invoke(args=["backup", str(tmp_path / "a.tar.gz")]).exit_code == 0
    _rewrite_manifest(tmp_path / "a.tar.gz", tmp_path / "b.tar.gz", {"counts": {"cell": 7}})
    result = restored_app.test_cli_runner().invoke(args=["restore", str(tmp_path / "b.tar.gz")])
    assert result.exit_code == 1
    assert "MISMATCH: cell holds 6 rows; the backup says 7." in result.output


def test_a_backup_of_the_other_kind_of_database_is_refused(
    app: Flask, grid: GridRef, restored_app: Flask, tmp_path: Path
) -> None:
    assert app.test_cli_runner().invoke(args=["backup", str(tmp_path / "a.tar.gz")]).exit_code == 0
    other = "postgresql" if app.config["DATABASE_URL"].startswith("sqlite") else "sqlite"
    _rewrite_manifest(tmp_path / "a.tar.gz", tmp_path / "b.tar.gz", {"database": other})
    result = restored_app.test_cli_runner().invoke(args=["restore", str(tmp_path / "b.tar.gz")])
    assert result.exit_code == 1
    assert f"is of a {other} database and cannot be restored" in result.output
