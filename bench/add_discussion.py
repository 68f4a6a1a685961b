"""Add comments and gap flags to a benchmark database built by build_large.py.

    .venv/bin/python bench/add_discussion.py --database-url sqlite:////tmp/grid-bench.db
    .venv/bin/python bench/add_discussion.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/grid_bench \
        --comments 100000 --flags 20000

Comments come as threads with replies (a third of them replies), spread over every cell of the
grid and the past year; a quarter of the threads are resolved and a few comments deleted.
Gap flags are spread the same way, each with its "raised" step and, for those that moved on,
the step that moved them: most are closed, the rest open, acknowledged or in progress. Rows
are inserted in batches with SQLAlchemy Core, then the database is analysed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grid_app.auth.models import User  # noqa: E402
from grid_app.database import utcnow  # noqa: E402
from grid_app.discussion.models import Comment  # noqa: E402
from grid_app.gaps.models import GapFlag, GapFlagEvent  # noqa: E402
from grid_app.grid.models import Cell  # noqa: E402

BATCH = 10_000
OPEN = "('open', 'acknowledged', 'in_progress')"
WORDS = [
    "evidence",
    "data",
    "staff",
    "survey",
    "figures",
    "quarter",
    "outcomes",
    "review",
    "training",
    "policy",
    "plan",
    "partners",
    "families",
    "exclusions",
    "disproportionality",
    "network",
    "mentoring",
    "recruitment",
]
# (status, event kind that reached it, share of flags)
FLAG_STATES = [
    ("open", None, 0.15),
    ("acknowledged", "acknowledged", 0.10),
    ("in_progress", "started", 0.05),
    ("resolved", "resolved", 0.55),
    ("wont_fix", "wont_fix", 0.15),
]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))).capitalize() + "."


def add(url: str, comments: int, flags: int, seed: int) -> None:
    rng = random.Random(seed)
    engine = create_engine(url)
    started = time.perf_counter()
    now = utcnow()
    with engine.begin() as conn:
        cells = conn.execute(select(Cell.id, Cell.grid_id)).all()
        people = list(conn.scalars(select(User.id)))
        next_comment = (conn.scalar(text("SELECT max(id) FROM comment")) or 0) + 1
        next_flag = (conn.scalar(text("SELECT max(id) FROM gap_flag")) or 0) + 1

    rows: list[dict[str, Any]] = []
    threads: list[tuple[int, int, int, Any]] = []
    for n in range(comments):
        comment_id = next_comment + n
        when = now - timedelta(minutes=rng.randint(0, 525_600))
        body = sentence(rng)
        row: dict[str, Any] = {
            "id": comment_id,
            "author_id": rng.choice(people),
            "body": body,
            "html": f"<p>{body}</p>",
            "edited_at": None,
            "deleted_at": now if rng.random() < 0.02 else None,
            "resolved_at": None,
            "resolved_by_id": None,
            "version": 1,
        }
        if threads and rng.random() < 1 / 3:
            thread_id, cell_id, grid_id, thread_time = rng.choice(threads)
            row |= {"cell_id": cell_id, "grid_id": grid_id, "parent_id": thread_id}
            row["created_at"] = thread_time + timedelta(minutes=rng.randint(1, 10_000))
        else:
            cell_id, grid_id = rng.choice(cells)
            row |= {"cell_id": cell_id, "grid_id": grid_id, "parent_id": None, "created_at": when}
            if rng.random() < 0.25:
                row |= {"resolved_at": when + timedelta(days=3), "resolved_by_id": row["author_id"]}
            threads.append((comment_id, cell_id, grid_id, when))
        if row["deleted_at"] is not None:
            row |= {"body": "", "html": ""}
        rows.append(row)
    _insert(engine, Comment, rows)
    print(f"  {comments:,} comments ({len(threads):,} threads)", flush=True)

    flag_rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    weights = [w for *_, w in FLAG_STATES]
    for n in range(flags):
        flag_id = next_flag + n
        cell_id, grid_id = rng.choice(cells)
        raised = now - timedelta(minutes=rng.randint(0, 525_600))
        status, kind, _ = rng.choices(FLAG_STATES, weights)[0]
        raiser = rng.choice(people)
        what = sentence(rng)
        moved = raised + timedelta(days=rng.randint(1, 60))
        closed = moved if status in ("resolved", "wont_fix") else None
        owner = rng.choice(people) if status != "open" else None
        due = (moved + timedelta(days=30)).date() if owner else None
        flag_rows.append(
            {
                "id": flag_id,
                "grid_id": grid_id,
                "cell_id": cell_id,
                "what_is_missing": what,
                "severity": rng.choice(["low", "medium", "high"]),
                "status": status,
                "owner_id": owner,
                "due_date": due,
                "raised_by_id": raiser,
                "created_at": raised,
                "closed_at": closed,
                "version": 1 if kind is None else 2,
            }
        )
        events.append(
            {
                "flag_id": flag_id,
                "grid_id": grid_id,
                "actor_id": raiser,
                "created_at": raised,
                "kind": "raised",
                "from_status": None,
                "to_status": "open",
                "note": what,
                "owner_id": None,
                "due_date": None,
            }
        )
        if kind is not None:
            events.append(
                {
                    "flag_id": flag_id,
                    "grid_id": grid_id,
                    "actor_id": rng.choice(people),
                    "created_at": moved,
                    "kind": kind,
                    "from_status": "open",
                    "to_status": status,
                    "note": "Done." if closed else "",
                    "owner_id": owner,
                    "due_date": due,
                }
            )
    _insert(engine, GapFlag, flag_rows)
    _insert(engine, GapFlagEvent, events)
    print(f"  {flags:,} gap flags ({len(events):,} timeline steps)", flush=True)

    with engine.begin() as conn:
        fill_tallies(conn)

    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"  elapsed: {time.perf_counter() - started:.1f}s")


def fill_tallies(conn: Any) -> None:
    """Count every cell's open threads and open flags into the tallies the grid page reads.

    The services keep the tallies current with each change; rows inserted in bulk, as here
    and in build_large.py, are counted once at the end.
    """
    for table in ("cell_thread_tally", "cell_flag_tally", "flag_day_tally"):
        conn.execute(text(f"DELETE FROM {table}"))
    conn.execute(
        text(
            "INSERT INTO cell_thread_tally (cell_id, grid_id, open_threads) "
            "SELECT c.cell_id, c.grid_id, count(*) FROM comment c "
            "WHERE c.parent_id IS NULL AND c.resolved_at IS NULL AND (c.deleted_at IS NULL "
            "OR EXISTS (SELECT 1 FROM comment r WHERE r.parent_id = c.id)) "
            "GROUP BY c.cell_id, c.grid_id"
        )
    )
    conn.execute(
        text(
            "INSERT INTO cell_flag_tally "
            "(cell_id, grid_id, open_flags, open_high, open_medium, open_low) "
            "SELECT cell_id, grid_id, count(*), "
            "sum(CASE WHEN severity = 'high' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN severity = 'medium' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN severity = 'low' THEN 1 ELSE 0 END) FROM gap_flag "
            "WHERE status IN ('open', 'acknowledged', 'in_progress') "
            "GROUP BY cell_id, grid_id"
        )
    )
    # Each day's net openings by severity: +1 a step into an open status, -1 out of one.
    into_open = (
        f"(e.to_status IN {OPEN} AND (e.from_status IS NULL OR e.from_status NOT IN {OPEN}))"
    )
    out_of_open = f"(e.from_status IN {OPEN} AND e.to_status NOT IN {OPEN})"
    conn.execute(
        text(
            "INSERT INTO flag_day_tally (grid_id, day, severity, net) "
            f"SELECT e.grid_id, date(e.created_at), f.severity, "
            f"sum(CASE WHEN {into_open} THEN 1 ELSE -1 END) "
            "FROM gap_flag_event e JOIN gap_flag f ON f.id = e.flag_id "
            f"WHERE {into_open} OR {out_of_open} "
            "GROUP BY e.grid_id, date(e.created_at), f.severity"
        )
    )


def _insert(engine: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        with engine.begin() as conn:
            conn.execute(insert(model.__table__), rows[start : start + BATCH])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--flags", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    add(args.database_url, args.comments, args.flags, args.seed)


if __name__ == "__main__":
    main()
