"""Time the history-heavy pages on a large database (see build_large.py), in-process.

    .venv/bin/python bench/measure.py --database-url sqlite:////tmp/grid-bench.db
    .venv/bin/python bench/measure.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/grid_bench --runs 50

Each request goes through the whole app (sign-in check, queries, templates) with Flask's
test client, so the times are the server's own time per request without the network. Signs
in through the real form, warms each page up, then reports median and p95 wall time per
page as a Markdown table and writes every sample to bench/out/measure-<db>-<time>.json.
``--queries`` also lists, per page, the SQL statements of one request with their times.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grid_app import create_app  # noqa: E402
from grid_app.auth.models import User  # noqa: E402
from grid_app.database import utcnow  # noqa: E402
from grid_app.extensions import db  # noqa: E402
from grid_app.grid.models import Cell, CellRevision, Grid  # noqa: E402

OUT = ROOT / "bench" / "out"
DEFAULT_EMAIL = "bench.admin@example.org"  # made by build_large.py
DEFAULT_PASSWORD = "long-history-2026"
HX = {"HX-Request": "true"}


@dataclass
class Page:
    """One request to time and the status it must answer with."""

    name: str
    url: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    extra: bool = False  # not in the brief's list; shown below the main rows
    # Reached as a person reaches it: this many "Older" links followed from ``url``.
    older_links: int = 0


@dataclass
class Target:
    """What the pages are about, read from the database before timing."""

    backend: str
    slug: str
    revisions: int
    big_cell: int
    big_cell_revisions: int
    middle_revision: int
    middle_number: int
    last_revision: int
    structure: int
    typical_person: int
    typical_count: int
    rare_person: int
    rare_count: int
    row_id: int
    column_id: int


def find_target(app: Any) -> Target:
    """Look up the grid, its biggest cell and people to filter the feed by."""
    with app.app_context():
        grid = db.session.scalar(select(Grid).order_by(Grid.id).limit(1))
        if grid is None:
            raise SystemExit("No grid in this database: run bench/build_large.py first.")
        big = db.session.scalar(
            select(Cell).where(Cell.grid_id == grid.id).order_by(Cell.version.desc()).limit(1)
        )
        assert big is not None
        big_count = big.version - 1
        middle_number = 5000 if big_count >= 5000 else max(1, big_count // 2)
        middle = db.session.scalar(
            select(CellRevision.id).where(
                CellRevision.cell_id == big.id, CellRevision.number == middle_number
            )
        )
        last = db.session.scalar(
            select(func.max(CellRevision.id)).where(CellRevision.grid_id == grid.id)
        )
        total = db.session.scalar(select(func.count()).select_from(CellRevision)) or 0
        per_author = dict(
            db.session.execute(
                select(CellRevision.author_id, func.count())
                .where(CellRevision.grid_id == grid.id)
                .group_by(CellRevision.author_id)
            ).all()
        )
        everyone = list(db.session.scalars(select(User.id).order_by(User.id)))
        by_count = sorted(everyone, key=lambda uid: (per_author.get(uid, 0), uid))
        authors = [uid for uid in by_count if per_author.get(uid, 0)]
        typical = authors[len(authors) // 2]
        rare = by_count[0]
        row_id, column_id = db.session.execute(
            select(Cell.row_id, Cell.column_id).where(Cell.id == big.id)
        ).one()
        assert middle is not None and last is not None
        target = Target(
            backend=db.engine.dialect.name,
            slug=grid.slug,
            revisions=total,
            big_cell=big.id,
            big_cell_revisions=big_count,
            middle_revision=middle,
            middle_number=middle_number,
            last_revision=last,
            structure=grid.structure_version,
            typical_person=typical,
            typical_count=per_author.get(typical, 0),
            rare_person=rare,
            rare_count=per_author.get(rare, 0),
            row_id=row_id,
            column_id=column_id,
        )
        db.session.remove()
        return target


def pages(t: Target) -> list[Page]:
    """The requests to time."""
    at = (utcnow() - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M")
    grid = f"/grids/{t.slug}"
    return [
        Page("grid", grid),
        Page("grid as of a year ago", f"{grid}/as-of?at={at}"),
        Page(
            f"history of the {t.big_cell_revisions:,}-revision cell", f"/cells/{t.big_cell}/history"
        ),
        Page("history, deep page (before=5000)", f"/cells/{t.big_cell}/history?before=5000"),
        Page(f"diff of revision {t.middle_number}", f"/revisions/compare?to={t.middle_revision}"),
        Page("activity feed", f"{grid}/activity"),
        Page(
            f"activity feed, one person ({t.typical_count:,} revisions)",
            f"{grid}/activity?person={t.typical_person}",
        ),
        Page(
            "live poll, nothing new (204)",
            f"{grid}/updates?after={t.last_revision}&structure={t.structure}",
            status=204,
            headers=HX,
        ),
        Page(
            f"activity feed, person with {t.rare_count:,} revisions",
            f"{grid}/activity?person={t.rare_person}",
            extra=True,
        ),
        Page("activity feed, one service area", f"{grid}/activity?row={t.row_id}", extra=True),
        Page("activity feed, one column", f"{grid}/activity?column={t.column_id}", extra=True),
        Page("activity feed, page 20", f"{grid}/activity", extra=True, older_links=19),
        Page("dashboard", f"{grid}/dashboard"),
        Page("dashboard report", f"{grid}/dashboard/report"),
        Page(
            "dashboard lists, one service area, by due date (htmx)",
            f"{grid}/dashboard?row={t.row_id}&sort=due",
            headers=HX,
            extra=True,
        ),
    ]


def sign_in(client: Any, email: str, password: str) -> None:
    """Sign in through the real form, CSRF token and all."""
    form = client.get("/sign-in")
    assert form.status_code == 200, form.status_code
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    if token is None:
        raise SystemExit("No CSRF token on the sign-in page.")
    response = client.post(
        "/sign-in", data={"csrf_token": token.group(1), "email": email, "password": password}
    )
    if response.status_code != 303:
        raise SystemExit(f"Sign-in failed ({response.status_code}): check --email/--password.")


def follow_older(client: Any, page: Page) -> None:
    """Set ``page.url`` to the page its "Older" links lead to, followed one by one."""
    for _ in range(page.older_links):
        found = re.search(r'href="([^"]+)" rel="next"', client.get(page.url).text)
        if found is None:
            raise SystemExit(f"{page.name}: {page.url} has no older page")
        page.url = html.unescape(found.group(1))
    page.older_links = 0


def fetch(client: Any, page: Page) -> float:
    """One request; its wall time in ms. Fails loudly on an unexpected status."""
    began = time.perf_counter()
    response = client.get(page.url, headers=page.headers)
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != page.status:
        raise SystemExit(
            f"{page.name}: {page.url} answered {response.status_code}, not {page.status}"
        )
    return elapsed


def p95(samples: list[float]) -> float:
    """95th percentile, nearest rank."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def show_queries(
    app: Any, client: Any, page: Page, explain_over: float = 5.0
) -> list[dict[str, Any]]:
    """Run ``page`` once, then replay each of its SELECTs (fetching every row) to time it.

    The cursor events alone would miss the time spent fetching, which on SQLite is most
    of it. Returns the statements slowest first, the slowest with its query plan.
    """
    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        fetch(client, page)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    timed = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, params in seen:
            best = math.inf
            rows = 0
            for _ in range(3):
                began = time.perf_counter()
                cursor.execute(statement, params)
                rows = len(cursor.fetchall())
                best = min(best, (time.perf_counter() - began) * 1000)
            timed.append(
                {
                    "ms": round(best, 2),
                    "rows": rows,
                    "sql": " ".join(statement.split()),
                    "params": params,
                }
            )
        timed.sort(key=lambda q: -q["ms"])
        if timed and timed[0]["ms"] >= explain_over:
            slowest = next(s for s in seen if " ".join(s[0].split()) == timed[0]["sql"])
            sqlite = engine.dialect.name == "sqlite"
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
            cursor.execute(prefix + slowest[0], slowest[1])
            timed[0]["plan"] = [
                " ".join(str(c) for c in row) if sqlite else row[0] for row in cursor.fetchall()
            ]
        raw.rollback()
    finally:
        raw.close()
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page first")
    parser.add_argument("--email", default=DEFAULT_EMAIL)
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument(
        "--queries", action="store_true", help="also list each page's SQL with times"
    )
    parser.add_argument(
        "--explain-over",
        type=float,
        default=5.0,
        metavar="MS",
        help="with --queries, show the plan of a page's slowest SELECT when it takes this long",
    )
    parser.add_argument(
        "--only", default="", metavar="WORDS", help="time only pages whose name contains WORDS"
    )
    args = parser.parse_args()

    app = create_app(
        {
            "DATABASE_URL": args.database_url,
            "SECRET_KEY": "bench",
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    target = find_target(app)
    client = app.test_client()
    sign_in(client, args.email, args.password)
    todo = [page for page in pages(target) if args.only in page.name]
    load_before = os.getloadavg()

    results: list[dict[str, Any]] = []
    for page in todo:
        follow_older(client, page)
        for _ in range(args.warmup):
            fetch(client, page)
        samples = [fetch(client, page) for _ in range(args.runs)]
        result = {
            "page": page.name,
            "url": page.url,
            "status": page.status,
            "extra": page.extra,
            "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(p95(samples), 2),
            "min_ms": round(min(samples), 2),
            "max_ms": round(max(samples), 2),
            "samples_ms": [round(s, 3) for s in samples],
        }
        if args.queries:
            result["queries"] = show_queries(app, client, page, args.explain_over)
        results.append(result)
        print(f"  {page.name}: median {result['median_ms']} ms", file=sys.stderr, flush=True)

    load_after = os.getloadavg()
    print()
    print(
        f"**{target.backend}**, {target.revisions:,} cell revisions; "
        f"{args.runs} runs per page after {args.warmup} warm-up requests; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        f"({os.cpu_count()} CPUs)"
    )
    print()
    print("| page | median ms | p95 ms |")
    print("| --- | ---: | ---: |")
    for r in results:
        name = f"{r['page']} *(extra)*" if r["extra"] else r["page"]
        print(f"| {name} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} |")
    if args.queries:
        for r in results:
            total = sum(q["ms"] for q in r["queries"])
            print(f"\n{r['page']}: {len(r['queries'])} SELECTs, {total:.1f} ms replayed")
            for q in r["queries"][:2]:
                print(f"  {q['ms']:8.2f} ms {q['rows']:5} rows  {q['sql'][:400]}")
                print(f"           params: {str(q['params'])[:200]}")
                for line in q.get("plan", []):
                    print(f"           | {line}")

    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = OUT / f"measure-{target.backend}-{stamp}.json"
    report = {
        "database": target.backend,
        "database_url": args.database_url,
        "revisions": target.revisions,
        "target": target.__dict__,
        "runs": args.runs,
        "warmup": args.warmup,
        "measured_at": stamp,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "cpus": os.cpu_count(),
        "pages": results,
    }
    path.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nWrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
