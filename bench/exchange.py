"""Time the exports on a large database (see build_large.py), in-process, changing nothing.

    .venv/bin/python bench/exchange.py --database-url sqlite:////tmp/grid-bench.db
    .venv/bin/python bench/exchange.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/grid_bench

Calls the export services as the command line does (the grid CSV, the workbook with its
bounded History sheet, the open gaps workbook, and the full history CSV), each ``--runs``
times after one warm-up, and prints the median and the slowest per export with the output's
size. Each run's audit event is rolled back, so the database is left as it was.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grid_app import create_app  # noqa: E402
from grid_app.auth.models import OPERATOR  # noqa: E402
from grid_app.exchange import service  # noqa: E402
from grid_app.extensions import db  # noqa: E402
from grid_app.grid import csvout, queries  # noqa: E402
from grid_app.grid.models import Grid  # noqa: E402


def full_history_csv(grid: Grid) -> int:
    """The full history as CSV, every line encoded, as the history download streams it."""
    return sum(
        len(line.encode())
        for line in csvout.lines(queries.HISTORY_CSV_HEADER, queries.history_rows(grid))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--skip-full-history", action="store_true", help="leave out the full history CSV"
    )
    args = parser.parse_args()
    app = create_app(
        {"DATABASE_URL": args.database_url, "SECRET_KEY": "bench", "INSTANCE_PATH": "/tmp"}
    )
    exports: list[tuple[str, Callable[[Grid], int]]] = [
        ("grid CSV", lambda g: sum(len(x.encode()) for x in service.grid_csv(OPERATOR, g))),
        (
            "grid XLSX (grid, open gaps, newest changes)",
            lambda g: len(service.grid_xlsx(OPERATOR, g)),
        ),
        ("open gaps XLSX", lambda g: len(service.gaps_xlsx(OPERATOR, g))),
    ]
    if not args.skip_full_history:
        exports.append(("full history CSV (every revision)", full_history_csv))
    with app.app_context():
        grid = queries.default_grid()
        revisions = queries.cursor(grid).revision_id
        backend = db.engine.dialect.name
        print(
            f"{backend}, {revisions:,} revisions, {args.runs} runs, "
            f"load average {os.getloadavg()[0]:.1f}\n"
        )
        print("| export | median (s) | slowest (s) | size |")
        print("| --- | ---: | ---: | ---: |")
        for name, export in exports:
            runs = 1 if name.startswith("full history") else args.runs
            export(grid)
            db.session.rollback()
            samples = []
            size = 0
            for _ in range(runs):
                started = time.perf_counter()
                size = export(grid)
                samples.append(time.perf_counter() - started)
                db.session.rollback()
                grid = queries.default_grid()
            print(
                f"| {name} | {statistics.median(samples):.2f} | {max(samples):.2f} "
                f"| {size / 1024:,.0f} KB |"
            )


if __name__ == "__main__":
    main()
