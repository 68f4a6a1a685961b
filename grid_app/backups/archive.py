"""Take a consistent backup of the live database, and restore one into an empty database.

A backup is a gzipped tar file holding ``manifest.json`` and the database itself: a copy made
with SQLite's online backup API, or ``pg_dump`` in custom format for PostgreSQL. The manifest
says when it was taken, the schema version, how many rows every table held and the keyed head
of every cell's history, all read from the very snapshot that was copied, so a restore can be
checked row count by row count and head by head, and then by ``verify-history``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, inspect, text

from grid_app.database import utcnow
from grid_app.extensions import db

MANIFEST = "manifest.json"
PAYLOAD = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FORMAT = 1


class BackupError(Exception):
    """A backup could not be taken or restored; the message says why and what to do."""


@dataclass
class Manifest:
    """What a backup holds, read from the snapshot it copied."""

    taken_at: str
    database: str
    schema_version: str | None
    counts: dict[str, int]
    heads: dict[str, str]
    format: int = FORMAT

    @property
    def rows(self) -> int:
        """Rows in all tables together."""
        return sum(self.counts.values())


@dataclass
class Restored:
    """What a restore found when it compared the restored database with the manifest."""

    manifest: Manifest
    count_mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)
    head_mismatches: int = 0

    @property
    def matches(self) -> bool:
        """True when every table's count and every cell's head are as the manifest says."""
        return not self.count_mismatches and not self.head_mismatches


def _tables() -> list[str]:
    return [table.name for table in db.metadata.sorted_tables]


def read_manifest_facts(conn: Connection, dialect: str) -> Manifest:
    """The manifest of what ``conn`` sees: counts of every table, the schema version and
    every cell's head."""
    counts = {
        name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
        for name in _tables()
    }
    version = None
    if inspect(conn).has_table("alembic_version"):
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    heads = {
        str(cell_id): mac
        for cell_id, mac in conn.execute(
            text("SELECT cell_id, mac FROM cell_head ORDER BY cell_id")
        )
    }
    return Manifest(
        taken_at=utcnow().isoformat(timespec="seconds") + "Z",
        database=dialect,
        schema_version=version,
        counts=counts,
        heads=heads,
    )


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The engine's database as a libpq address for pg_dump and pg_restore, with the
    password passed in the environment rather than on a command line others can read."""
    url = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
        url = url.set(password=None)
    return url.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    """Run a PostgreSQL client program, turning its failure into a BackupError."""
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed; install PostgreSQL's client programs "
            "(Debian: postgresql-client) in the same major version as the server."
        )
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


@contextmanager
def _snapshot(engine: Engine, folder: Path) -> Iterator[tuple[Manifest, Path]]:
    """Copy the database into ``folder`` and read its manifest from that same snapshot."""
    dialect = engine.dialect.name
    payload = folder / PAYLOAD[dialect]
    if dialect == "sqlite":
        # The backup API copies a consistent snapshot while the app goes on saving; the
        # manifest is then read from the copy itself, so the two cannot disagree.
        source = sqlite3.connect(_sqlite_path(engine))
        target = sqlite3.connect(payload)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        copy = create_engine(f"sqlite:///{payload}")
        try:
            with copy.connect() as conn:
                manifest = read_manifest_facts(conn, dialect)
        finally:
            copy.dispose()
        yield manifest, payload
        return
    address, env = _libpq(engine)
    with engine.connect() as conn:
        # One repeatable-read transaction exports its snapshot to pg_dump, so the dump and
        # the counts read here see the same committed state, whatever is saved meanwhile.
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        manifest = read_manifest_facts(conn, dialect)
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={payload}",
                address,
            ],
            env,
        )
    # Leaving the block ends the read-only transaction, and with it the exported snapshot.
    yield manifest, payload


def take(engine: Engine, target: Path) -> Manifest:
    """Write a backup of ``engine``'s database to ``target`` and return its manifest.

    The file is written beside ``target`` first and renamed into place, so a failed backup
    never leaves a half-written file under the name asked for.
    """
    target = Path(target)
    with (
        tempfile.TemporaryDirectory(prefix="grid-backup-") as work,
        _snapshot(engine, Path(work)) as (manifest, payload),
    ):
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(asdict(manifest), indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(utcnow().timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(payload, arcname=payload.name)
        os.replace(partial, target)
    return manifest


def _open(source: Path, folder: Path, dialect: str) -> tuple[Manifest, Path]:
    """Unpack a backup of a ``dialect`` database into ``folder``: its manifest and the path
    of its database copy."""
    try:
        with tarfile.open(source, "r:gz") as archive:
            names = archive.getnames()
            if MANIFEST not in names:
                raise BackupError(f"{source} holds no {MANIFEST}: it is not a backup of this app.")
            archive.extractall(folder, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{source} cannot be read as a backup: {error}") from error
    raw: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    if raw.get("format") != FORMAT:
        raise BackupError(f"{source} is a backup in a format this version cannot read.")
    manifest = Manifest(**raw)
    if manifest.database != dialect:
        raise BackupError(
            f"This backup is of a {manifest.database} database and cannot be restored "
            f"into {dialect}."
        )
    payload = folder / PAYLOAD.get(manifest.database, "")
    if not payload.is_file():
        raise BackupError(f"{source} holds no database copy.")
    return manifest, payload


def rows_held(engine: Engine) -> int:
    """How many rows the database's tables hold (0 for a database with no tables yet)."""
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        return sum(
            int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in _tables()
            if name in present
        )


def restore(engine: Engine, source: Path) -> Restored:
    """Restore the backup ``source`` into ``engine``'s database, which must hold no rows,
    then compare every table's count and every cell's head with the manifest.

    Raises BackupError, changing nothing, when the file is not a backup, was taken from the
    other kind of database, or the database already holds data.
    """
    dialect = engine.dialect.name
    with tempfile.TemporaryDirectory(prefix="grid-restore-") as work:
        manifest, payload = _open(Path(source), Path(work), dialect)
        held = rows_held(engine)
        if held:
            raise BackupError(
                f"The database already holds {held} rows; restore only into an empty one, "
                "so nothing stored is overwritten."
            )
        engine.dispose()
        if dialect == "sqlite":
            copy = sqlite3.connect(payload)
            target = sqlite3.connect(_sqlite_path(engine))
            try:
                copy.backup(target)
            finally:
                target.close()
                copy.close()
        else:
            address, env = _libpq(engine)
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    f"--dbname={address}",
                    str(payload),
                ],
                env,
            )
    with engine.connect() as conn:
        found = read_manifest_facts(conn, dialect)
    restored = Restored(manifest)
    for name, count in manifest.counts.items():
        if found.counts.get(name) != count:
            restored.count_mismatches[name] = (count, found.counts.get(name, 0))
    cells = manifest.heads.keys() | found.heads.keys()
    restored.head_mismatches = sum(manifest.heads.get(c) != found.heads.get(c) for c in cells)
    return restored


def describe(manifest: Manifest) -> str:
    """One line on what a backup holds."""
    return (
        f"{manifest.rows} rows in {len(manifest.counts)} tables, {len(manifest.heads)} cell "
        f"histories, schema {manifest.schema_version or 'unversioned'}, taken "
        f"{manifest.taken_at} from {manifest.database}"
    )
