"""Build a large database for benchmarks: a grid with a long, valid, hash-chained history.

    .venv/bin/python bench/build_large.py --database-url sqlite:////tmp/grid-bench.db --fresh
    .venv/bin/python bench/build_large.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/grid_bench --fresh

By default: 50 people, one grid of 100 service areas × 8 columns (the last holds people),
1,000,000 cell revisions spread over the past two years (one cell holding 10,000 of them)
and 2,000 structural changes (renames). Every revision is sealed exactly as the app seals
it (grid_app.grid.history.content_hash / chain_hash), so `flask --app grid_app
verify-history` passes, and every cell's text, html, version and last editor match its
latest revision.

Every person's password is PASSWORD below; BENCH_EMAIL is an admin (and contributor).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    create_engine,
    event,
    insert,
    make_url,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from add_discussion import fill_tallies  # noqa: E402  (bench/ is this script's folder)

from grid_app import create_app  # noqa: E402
from grid_app.auth import service as auth_service  # noqa: E402
from grid_app.auth.models import OPERATOR, Role  # noqa: E402
from grid_app.database import utcnow  # noqa: E402
from grid_app.extensions import db  # noqa: E402
from grid_app.gaps.models import GapFlag, GapFlagEvent  # noqa: E402
from grid_app.grid import markdown  # noqa: E402
from grid_app.grid import service as grid_service  # noqa: E402
from grid_app.grid.history import GENESIS, chain_hash, content_hash  # noqa: E402
from grid_app.grid.models import (  # noqa: E402
    Cell,
    CellRevision,
    ChangeKind,
    ColumnKind,
    Grid,
    GridChange,
    GridColumn,
    RevisionKind,
    ServiceArea,
    cell_owner,
)

PASSWORD = "long-history-2026"
BENCH_EMAIL = "bench.admin@example.org"
HASH_METHOD = "scrypt:1024:8:1"  # cheap scrypt: 50 people are created in well under a second
GRID_NAME = "Grid for Supporting People"
HISTORY_DAYS = 730
BATCH = 20_000
TEXT_POOL = 4_000

COLUMNS: list[tuple[str, ColumnKind]] = [
    ("Strategy", ColumnKind.TEXT),
    ("Evidence", ColumnKind.TEXT),
    ("Gaps", ColumnKind.TEXT),
    ("Actions", ColumnKind.TEXT),
    ("Outcomes", ColumnKind.TEXT),
    ("Risks", ColumnKind.TEXT),
    ("Review notes", ColumnKind.TEXT),
    ("Owner", ColumnKind.PEOPLE),
]

AREAS = [
    "Safe spaces for staff",
    "Social work",
    "Corporate parenting",
    "Early Help",
    "Early Years",
    "Youth Work",
    "Education",
    "Youth Justice",
    "Corporate & HR",
    "Partnerships",
    "Adult social care",
    "Mental health",
    "Housing",
    "Public health",
    "Libraries",
    "Leisure services",
    "Community safety",
    "Procurement",
    "Commissioning",
    "Fostering",
    "Adoption",
    "Special educational needs",
    "School admissions",
    "Exclusions",
    "Care leavers",
    "Domestic abuse",
    "Safeguarding adults",
    "Safeguarding children",
    "Complaints",
    "Customer services",
]
AREA_QUALIFIERS = ["", " (north)", " (south)", " (east)", " (west)", " – pilot", " – citywide"]
RENAME_SUFFIXES = [" and partners", " service", " team", " (review)", " programme", ""]

FIRST_NAMES = [
    "Ngozi", "Tom", "Priya", "Marcus", "Aisha", "Daniel", "Fatima", "Owen", "Mei", "Kwame",
    "Sarah", "Imran", "Chloe", "Tunde", "Hannah", "Ravi", "Grace", "Yusuf", "Ellie", "Jamal",
    "Sofia", "Liam", "Amara", "Patrick", "Zainab",
]  # fmt: skip
LAST_NAMES = [
    "Adeyemi", "Hughes", "Shah", "Reid", "Khan", "Okafor", "Evans", "Chen", "Mensah", "Patel",
    "Williams", "Begum", "Murphy", "Bakare", "Singh", "Jones", "Ali", "Taylor", "Osei", "Davies",
]  # fmt: skip

OPENINGS = [
    "Move from an implicit to an **explicit** anti-racist model of practice.",
    "Regular facilitated sessions where black staff can talk about their experience at work.",
    "Review the curriculum with an external partner and share what is learned.",
    "Reduce long-standing disproportionality in who is referred and who is excluded.",
    "Anti-racist policies for recruiting, keeping and supporting staff.",
    "Gather children's and families' own views before the strategy is agreed.",
    "Publish outcomes by ethnicity alongside the plan, every quarter.",
    "Work with partners so that the same data is collected the same way.",
    "Train every team leader in *reflective supervision* that names racism.",
    "Co-produce the service standards with the people who use the service.",
]
SENTENCES = [
    "Practice workshops ran with two teams in the autumn.",
    "The steering group meets monthly and reports to the board.",
    "Findings were shared through the [learning hubs](https://example.org/learning-hubs).",
    "See the [annual report](https://example.org/annual-report) for the baseline.",
    "Data on outcomes by ethnicity is **not yet** published.",
    "Staff survey response rate rose from 41% to 58%.",
    "Two posts are funded until March; a bid for more is with finance.",
    "A peer review by a neighbouring council is booked for the spring.",
    "Families said the letters we send are hard to read; they are being rewritten.",
    "The audit of 60 case files found language that stereotypes families.",
    "Managers now check the data at every quarterly performance meeting.",
    "Agreed with the union; the policy goes to cabinet next month.",
    "No agreed way yet to carry what is said in sessions into planning.",
    "Exit interviews are being analysed by ethnicity for the first time.",
    "The new panel includes two care-experienced young people.",
    "`Outcome framework v2` replaces the old spreadsheet.",
]
BULLETS = [
    "186 children in care",
    "83% from Black, Asian and minority ethnic backgrounds",
    "28% unaccompanied asylum-seeking children",
    "12 managers trained so far",
    "3 of 5 actions complete",
    "Next review: end of quarter",
    "Budget: £40k agreed",
    "Lead: head of service",
]
GAP_TEXTS = [
    "No local figures broken down by ethnicity.",
    "Nobody has asked the children and families affected.",
    "The plan has no date for reviewing it.",
    "No owner has agreed to take this on.",
    "Training is planned but nobody has a budget for it.",
    "The evidence is from before the restructure.",
]

SUMMARIES = [
    "Fixed a typo",
    "Added the latest figures",
    "Updated after the board meeting",
    "Reworded for clarity",
    "Added a link to the report",
    "Quarterly review",
    "Agreed with the team",
    "Removed an out-of-date action",
]
CONTACTS = [
    "",
    "",
    "Staff networks lead",
    "Head of school improvement",
    "Contact the **Early Help hub** first.",
    "Service manager (interim)",
    "Equality, diversity and inclusion team",
    "Ask at the monthly steering group.",
]


def log(started: float, message: str) -> None:
    """Print a progress line with the elapsed time."""
    print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True)


def make_text(rng: random.Random) -> str:
    """A Markdown cell text of 100 to 400 characters."""
    while True:
        target = rng.randint(100, 400)
        parts = [rng.choice(OPENINGS)]
        body = " ".join(parts)
        shape = rng.random()
        if shape < 0.25:
            items = rng.sample(BULLETS, rng.randint(2, 4))
            body += "\n\n" + "\n".join(f"- {item}" for item in items)
        while len(body) < target - 40:
            sentence = rng.choice(SENTENCES)
            body += ("\n\n" if rng.random() < 0.2 else " ") + sentence
        if 100 <= len(body) <= 400:
            return body


def prepare_database(url: URL, fresh: bool) -> None:
    """Create the PostgreSQL database if missing (dropping it first with --fresh), or
    remove the SQLite file with --fresh."""
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if fresh:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if fresh:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def _sqlite_bulk_settings(dbapi_connection: Any, _record: Any) -> None:
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        # A bigger page cache keeps the six indexes of cell_revision in memory while loading.
        dbapi_connection.execute("PRAGMA cache_size=-400000")


def create_people(count: int) -> tuple[list[int], list[int]]:
    """Create ``count`` people; return the ids of editors and of admins."""
    editors: list[int] = []
    admins: list[int] = []
    specs: list[tuple[str, str, tuple[Role, ...]]] = [
        (BENCH_EMAIL, "Bench Admin", (Role.CONTRIBUTOR, Role.ADMIN))
    ]
    for i in range(1, count):
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7) % len(LAST_NAMES)]
        if i % 17 == 0:
            roles: tuple[Role, ...] = (Role.CONTRIBUTOR, Role.ADMIN)
        elif i % 5 == 0:
            roles = (Role.CONTRIBUTOR, Role.MANAGER)
        elif i % 11 == 0:
            roles = (Role.CONTRIBUTOR, Role.FACILITATOR)
        elif i % 23 == 0:
            roles = ()  # reads only
        else:
            roles = (Role.CONTRIBUTOR,)
        specs.append((f"{first.lower()}.{last.lower()}{i}@example.org", f"{first} {last}", roles))
    for email, name, roles in specs:
        user = auth_service.create_user(OPERATOR, email, name, PASSWORD, roles=roles)
        if Role.CONTRIBUTOR in roles:
            editors.append(user.id)
        if Role.ADMIN in roles:
            admins.append(user.id)
    db.session.commit()
    return editors, admins


def area_names(count: int) -> list[str]:
    """Distinct service-area names."""
    names = []
    for i in range(count):
        base = AREAS[i % len(AREAS)]
        qualifier = AREA_QUALIFIERS[(i // len(AREAS)) % len(AREA_QUALIFIERS)]
        round_ = i // (len(AREAS) * len(AREA_QUALIFIERS))
        names.append(f"{base}{qualifier}" + (f" {round_ + 1}" if round_ else ""))
    return names


def plan_counts(rng: random.Random, cells: int, total: int, big: int) -> list[int]:
    """Revisions per cell: cell 0 gets ``big``; the rest share what is left unevenly, and
    about one in forty cells stays empty."""
    big = min(big, total)
    counts = [0] * cells
    counts[0] = big
    rest = total - big
    if cells == 1:
        counts[0] = total
        return counts
    weights = [0.0 if rng.random() < 0.025 else rng.uniform(0.2, 1.8) for _ in range(cells - 1)]
    if not any(weights):
        weights[0] = 1.0
    weight_sum = sum(weights)
    for i, w in enumerate(weights, start=1):
        counts[i] = int(rest * w / weight_sum)
    short = total - sum(counts)
    live = [i for i, w in enumerate(weights, start=1) if w]
    for k in range(short):
        counts[live[k % len(live)]] += 1
    return counts


def create_flags(
    rng: random.Random,
    grid_id: int,
    cell_ids: list[int],
    people: list[int],
    start: datetime,
    now: datetime,
    count: int,
) -> int:
    """Raise ``count`` gap flags over the history, each with the timeline the app would
    write: raised, then perhaps acknowledged or started, closed, and sometimes reopened.
    Returns how many are open at the end."""
    flag_table = cast(Table, GapFlag.__table__)
    event_table = cast(Table, GapFlagEvent.__table__)
    span = int((now - timedelta(hours=1) - start).total_seconds())
    flags: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    still_open = 0
    for flag_id in range(1, count + 1):
        raised = start + timedelta(seconds=rng.randrange(span))
        left = int((now - raised).total_seconds())
        moments = sorted(raised + timedelta(seconds=rng.randrange(max(left, 1))) for _ in range(3))
        status, closed_at = "open", None
        path: list[tuple[datetime, str | None, str, str]] = [(raised, None, "open", "raised")]
        roll = rng.random()
        if roll < 0.25:
            path.append((moments[0], "open", "acknowledged", "acknowledged"))
            status = "acknowledged"
        if roll < 0.1:
            path.append((moments[1], status, "in_progress", "started"))
            status = "in_progress"
        if roll >= 0.4:
            closing = "resolved" if rng.random() < 0.8 else "wont_fix"
            path.append((moments[1], status, closing, closing))
            status, closed_at = closing, moments[1]
            if roll >= 0.95:
                path.append((moments[2], closing, "open", "reopened"))
                status, closed_at = "open", None
        still_open += closed_at is None
        owner = rng.choice(people) if rng.random() < 0.6 else None
        due = (raised + timedelta(days=rng.randrange(14, 200))).date() if owner else None
        flags.append(
            {
                "id": flag_id,
                "grid_id": grid_id,
                "cell_id": rng.choice(cell_ids),
                "what_is_missing": rng.choice(GAP_TEXTS),
                "severity": rng.choices(["low", "medium", "high"], weights=[5, 3, 2])[0],
                "status": status,
                "owner_id": owner,
                "due_date": due,
                "raised_by_id": rng.choice(people),
                "created_at": raised,
                "closed_at": closed_at,
                "version": len(path),
            }
        )
        for at, before, after, kind in path:
            steps.append(
                {
                    "flag_id": flag_id,
                    "grid_id": grid_id,
                    "actor_id": rng.choice(people),
                    "created_at": at,
                    "kind": kind,
                    "from_status": before,
                    "to_status": after,
                    "note": "",
                    "owner_id": owner,
                    "due_date": due,
                }
            )
    for rows, table in ((flags, flag_table), (steps, event_table)):
        for begin in range(0, len(rows), BATCH):
            db.session.execute(insert(table), rows[begin : begin + BATCH])
    if db.engine.dialect.name == "postgresql":
        # Ids were given explicitly: move the sequences past them for later inserts.
        for name in ("gap_flag", "gap_flag_event"):
            db.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), MAX(id)) FROM {name}")
            )
    fill_tallies(db.session)
    db.session.commit()
    return still_open


def build(args: argparse.Namespace) -> None:
    """Build the database as ``args`` asks."""
    started = time.perf_counter()
    rng = random.Random(args.seed)
    url = make_url(args.database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    backend = url.get_backend_name()
    prepare_database(url, args.fresh)
    event.listen(Engine, "connect", _sqlite_bulk_settings)

    app = create_app(
        {
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "SECRET_KEY": "bench",
            "PASSWORD_HASH_METHOD": HASH_METHOD,
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        log(started, f"migrated the {backend} database")
        if db.session.scalar(select(Grid.id).limit(1)) is not None:
            raise SystemExit("The database already has a grid; use --fresh to start again.")

        editors, admins = create_people(args.people)
        log(started, f"created {args.people} people ({len(editors)} can edit)")

        now = utcnow().replace(microsecond=0)
        start = now - timedelta(days=HISTORY_DAYS)
        span = int((now - timedelta(hours=1) - start).total_seconds())

        # --- Structure, and the renames that led to today's names ----------------------
        rows = area_names(args.rows)
        # Text columns first, the owner (people) column last.
        text_columns = [c for c in COLUMNS if c[1] == ColumnKind.TEXT]
        text_columns += [(f"Notes {k}", ColumnKind.TEXT) for k in range(1, args.columns)]
        columns = [*text_columns[: args.columns - 1], ("Owner", ColumnKind.PEOPLE)]
        parts = [("row", i) for i in range(len(rows))] + [
            ("column", i) for i in range(len(columns))
        ]
        names = {("row", i): n for i, n in enumerate(rows)} | {
            ("column", i): n for i, (n, _) in enumerate(columns)
        }
        original = dict(names)
        change_times = sorted(rng.sample(range(span), args.changes))
        renames = []
        for offset in change_times:
            part = rng.choice(parts)
            before = names[part]
            base = original[part]
            after = base + rng.choice([s for s in RENAME_SUFFIXES if base + s != before])
            names[part] = after
            renames.append((start + timedelta(seconds=offset), part, before, after))

        grid = grid_service.create_grid(
            OPERATOR,
            GRID_NAME,
            rows=rows,
            columns=columns,
            description="Benchmark grid: a long history on many service areas.",
        )
        created = start - timedelta(days=1)
        grid.created_at = created
        grid.structure_version = 1 + len(renames)
        areas = list(
            db.session.scalars(
                select(ServiceArea).where(ServiceArea.grid_id == grid.id).order_by(ServiceArea.id)
            )
        )
        cols = list(
            db.session.scalars(
                select(GridColumn).where(GridColumn.grid_id == grid.id).order_by(GridColumn.id)
            )
        )
        for i, area in enumerate(areas):
            area.created_at = created
            area.name = names[("row", i)]
        for i, column in enumerate(cols):
            column.created_at = created
            column.name = names[("column", i)]
        grid_id = grid.id
        db.session.commit()
        part_ids = {("row", i): a.id for i, a in enumerate(areas)} | {
            ("column", i): c.id for i, c in enumerate(cols)
        }
        db.session.execute(
            insert(cast(Table, GridChange.__table__)),
            [
                {
                    "grid_id": grid_id,
                    "kind": (
                        ChangeKind.ROW_RENAMED if part[0] == "row" else ChangeKind.COLUMN_RENAMED
                    ).value,
                    "row_id": part_ids[part] if part[0] == "row" else None,
                    "column_id": part_ids[part] if part[0] == "column" else None,
                    "before": {"name": before},
                    "after": {"name": after},
                    "author_id": rng.choice(admins),
                    "created_at": at,
                    "undoes_id": None,
                }
                for at, part, before, after in renames
            ],
        )
        db.session.commit()
        log(
            started,
            f"created the grid: {len(areas)} service areas × {len(cols)} columns, "
            f"{len(renames)} renames",
        )

        # --- Revisions, computed cell by cell, inserted in time order --------------------
        cells = list(
            db.session.execute(
                select(Cell.id, GridColumn.kind)
                .join(GridColumn, GridColumn.id == Cell.column_id)
                .where(Cell.grid_id == grid_id)
                .order_by(Cell.id)
            )
        )
        # The big cell is a text cell (the first), so its history page shows real texts.
        text_cells = [c for c in cells if c.kind == ColumnKind.TEXT.value]
        people_cells = [c for c in cells if c.kind != ColumnKind.TEXT.value]
        ordered = text_cells + people_cells
        counts = plan_counts(rng, len(ordered), args.revisions, args.big_cell_revisions)

        pool = [make_text(rng) for _ in range(TEXT_POOL)]
        pool_hashes = [content_hash(t, []) for t in pool]
        # Revisions keep the HTML rendered when they were saved (as save_cell stores it).
        pool_html = [markdown.render(t) for t in pool]
        note_html = {note: markdown.render(note) for note in CONTACTS}
        # A few people write most of the history, as in real life.
        author_weights = [1.0 / (rank + 1) ** 0.6 for rank in range(len(editors))]
        authors = rng.choices(editors, weights=author_weights, k=args.revisions)
        people_hashes: dict[tuple[str, tuple[int, ...]], str] = {}
        edit, restore = RevisionKind.EDIT.value, RevisionKind.RESTORE.value
        log(started, f"prepared {TEXT_POOL} texts; sealing {args.revisions:,} revisions")

        revisions: list[tuple[Any, ...]] = []
        latest: dict[int, tuple[str, str, tuple[int, ...], int, datetime, int]] = {}
        a = 0
        for (cell_id, column_kind), n in zip(ordered, counts, strict=True):
            if n == 0:
                continue
            holds_people = column_kind != ColumnKind.TEXT.value
            offsets = sorted(rng.sample(range(span), n))
            previous = GENESIS
            # Each content is (text, owners, content hash, html).
            texts: list[tuple[str, tuple[int, ...], str, str]] = []
            current: tuple[str, tuple[int, ...], str, str] = ("", (), "", "")
            for number, offset in enumerate(offsets, start=1):
                at = start + timedelta(seconds=offset)
                author = authors[a]
                a += 1
                summary = ""
                rev_kind = edit
                content = current
                if number > 2 and rng.random() < 0.02:
                    back = rng.randrange(number - 2)  # restore an older revision
                    if texts[back][2] != current[2]:
                        content = texts[back]
                        rev_kind = restore
                        summary = f"Restored revision {back + 1}"
                # A save that changes nothing writes no revision, so each one differs.
                while content[2] == current[2]:
                    if holds_people:
                        owners = tuple(sorted(rng.sample(editors, rng.randint(1, 3))))
                        note = rng.choice(CONTACTS)
                        digest = people_hashes.get((note, owners))
                        if digest is None:
                            digest = people_hashes[(note, owners)] = content_hash(note, owners)
                        content = (note, owners, digest, note_html[note])
                    else:
                        index = rng.randrange(TEXT_POOL)
                        content = (pool[index], (), pool_hashes[index], pool_html[index])
                if rev_kind == edit and rng.random() < 0.15:
                    summary = rng.choice(SUMMARIES)
                current = content
                texts.append(content)
                previous = chain_hash(
                    previous,
                    cell_id=cell_id,
                    number=number,
                    kind=rev_kind,
                    author_id=author,
                    created_at=at,
                    summary=summary,
                    content=content[2],
                )
                revisions.append(
                    (at, cell_id, number, rev_kind, content[0], content[1], summary, author,
                     content[2], previous, content[3])
                )  # fmt: skip
            final = texts[-1]
            latest[cell_id] = (
                final[0],
                final[3],
                final[1],
                n,
                start + timedelta(seconds=offsets[-1]),
                author,
            )
        log(started, f"sealed {len(revisions):,} revisions; sorting by time")
        revisions.sort(key=lambda r: r[0])

        table = cast(Table, CellRevision.__table__)
        has_html = "html" in table.c
        for begin in range(0, len(revisions), BATCH):
            chunk = revisions[begin : begin + BATCH]
            db.session.execute(
                insert(table),
                [
                    {
                        "cell_id": r[1],
                        "grid_id": grid_id,
                        "number": r[2],
                        "kind": r[3],
                        "text": r[4],
                        "owner_ids": list(r[5]),
                        "summary": r[6],
                        "author_id": r[7],
                        "created_at": r[0],
                        "content_hash": r[8],
                        "chain_hash": r[9],
                    }
                    | ({"html": r[10]} if has_html else {})
                    for r in chunk
                ],
            )
            db.session.commit()
            done = begin + len(chunk)
            if done % 100_000 < BATCH or done == len(revisions):
                rate = done / (time.perf_counter() - started)
                log(
                    started,
                    f"inserted {done:,} / {len(revisions):,} revisions ({rate:,.0f}/s overall)",
                )
        del revisions

        # --- Cells as their latest revisions left them ------------------------------------
        cell_table = cast(Table, Cell.__table__)
        db.session.execute(
            update(cell_table)
            .where(cell_table.c.id == bindparam("b_id"))
            .values(
                text=bindparam("b_text"),
                html=bindparam("b_html"),
                version=bindparam("b_version"),
                updated_at=bindparam("b_updated_at"),
                updated_by_id=bindparam("b_updated_by_id"),
            ),
            [
                {
                    "b_id": cell_id,
                    "b_text": final_text,
                    "b_html": final_html,
                    "b_version": n + 1,
                    "b_updated_at": at,
                    "b_updated_by_id": author,
                }
                for cell_id, (final_text, final_html, _owners, n, at, author) in latest.items()
            ],
        )
        owner_rows = [
            {"cell_id": cell_id, "user_id": user_id}
            for cell_id, (_t, _h, owners, _n, _at, _a) in latest.items()
            for user_id in owners
        ]
        if owner_rows:
            db.session.execute(insert(cell_owner), owner_rows)
        db.session.commit()
        log(started, f"brought {len(latest)} cells up to their latest revision")
        open_now = create_flags(rng, grid_id, list(latest), editors, start, now, args.flags)
        log(started, f"raised {args.flags:,} gap flags ({open_now:,} still open)")
        engine = db.engine

    if backend == "postgresql":
        # VACUUM as well as ANALYZE: autovacuum would do it soon after a load this size, and
        # it sets the visibility map that index-only scans need.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
        log(started, "VACUUM (ANALYZE) done")
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        # Outside any transaction: a checkpoint cannot truncate the log from inside one.
        raw = engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        log(started, "ANALYZE done")
    engine.dispose()

    per_author = Counter(authors[:a])
    print()
    print(f"Built {backend} database {url.render_as_string(hide_password=True)}")
    print(f"  people: {args.people} (password {PASSWORD!r}; admin {BENCH_EMAIL})")
    print(f"  grid: {len(areas)} × {len(cols)}, {len(latest)} cells with history")
    print(f"  revisions: {args.revisions:,}; biggest cell: {counts[0]:,}; renames: {len(renames)}")
    print(f"  most revisions by one person: {per_author.most_common(1)[0][1]:,}")
    print(f"  elapsed: {time.perf_counter() - started:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="sqlite:///path or postgresql…")
    parser.add_argument("--rows", type=int, default=100, help="service areas (default 100)")
    parser.add_argument("--columns", type=int, default=8, help="columns (default 8)")
    parser.add_argument("--people", type=int, default=50, help="people (default 50)")
    parser.add_argument("--revisions", type=int, default=1_000_000, help="revisions in all")
    parser.add_argument("--big-cell-revisions", type=int, default=10_000, help="in one cell")
    parser.add_argument("--changes", type=int, default=2_000, help="structural changes")
    parser.add_argument("--flags", type=int, default=20_000, help="gap flags")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--fresh", action="store_true", help="drop the database (or file) first if it exists"
    )
    build(parser.parse_args())


if __name__ == "__main__":
    main()
