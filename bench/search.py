"""Time searches on the large database (build_large.py, then add_discussion.py), in-process.

    .venv/bin/python bench/search.py --database-url sqlite:////tmp/grid-bench.db
    .venv/bin/python bench/search.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/grid_bench

Signs in through the real form as measure.py does, then sends each search through the whole
app with Flask's test client: a common word, a rare word, a phrase and a filtered search, over
current text, comments and flags, then again including earlier versions of cells, then the
suggestions under the header's box and a later page. Prints median and p95 per search as a
Markdown table and writes every sample to bench/out/search-<db>-<time>.json.

``--saves N`` times N cell saves instead, posted as the grid's edit form posts them, each a new
revision whose text the search indexes take in within the same transaction. What indexing
costs a save is the difference from the same run on a copy of the database migrated back to
the revision before search (``flask db downgrade 0023``), which has no search indexes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from measure import (  # noqa: E402
    DEFAULT_EMAIL,
    DEFAULT_PASSWORD,
    HX,
    OUT,
    Page,
    fetch,
    follow_older,
    p95,
    show_queries,
    sign_in,
)

from grid_app import create_app  # noqa: E402
from grid_app.auth.models import User  # noqa: E402
from grid_app.extensions import db  # noqa: E402
from grid_app.grid.models import Cell, GridColumn  # noqa: E402

# Words the generated texts hold: "mentoring" is in about half of all comments and many
# cells; "spreadsheet" in a few cell texts only; "black staff" a phrase of some cell texts.
COMMON, RARE, PHRASE = "mentoring", "spreadsheet", '"black staff"'


def searches(app: Any) -> list[Page]:
    """The searches to time, with filters taken from the database."""
    with app.app_context():
        person = db.session.scalar(select(User.id).where(User.email == DEFAULT_EMAIL))
        column = db.session.scalar(
            select(GridColumn.id).where(GridColumn.kind == "text").order_by(GridColumn.id)
        )
        assert db.session.scalar(select(Cell.id).limit(1)) is not None, "no grid: build it"
    filtered = {"q": COMMON, "column": column, "person": person}

    def url(**params: Any) -> str:
        return "/search?" + urlencode(params)

    pages = [
        Page("common word", url(q=COMMON)),
        Page("rare word", url(q=RARE)),
        Page("phrase", url(q=PHRASE)),
        Page("filtered (column and person)", url(**filtered)),
        Page("common word, newest first", url(q=COMMON, sort="newest")),
        Page("common word, page 5", url(q=COMMON), older_links=4),
        Page("suggestions while typing", "/search/suggest?q=mentori", headers=HX),
    ]
    for page in pages[:5]:
        pages.append(Page(f"{page.name} + earlier versions", page.url + "&history=y", extra=True))
    return pages


SAVE_TEXT = (
    "Reverse mentoring pairs for black staff with senior leaders, reviewed each quarter "
    "with the staff network; the pilot's findings go to the workforce board in spring."
)


def time_saves(app: Any, client: Any, count: int) -> list[float]:
    """Save ``count`` text cells in turn through the edit form; each POST's wall time in ms."""
    with app.app_context():
        cells = db.session.scalars(
            select(Cell.id)
            .join(GridColumn, Cell.column_id == GridColumn.id)
            .where(GridColumn.kind == "text")
            .order_by(Cell.id)
            .limit(40)
        ).all()
    samples = []
    run = secrets.token_hex(4)
    for n in range(count):
        cell = cells[n % len(cells)]
        headers = {**HX, "HX-Target": f"cell-{cell}"}
        form = client.get(f"/cells/{cell}/edit", headers=headers)
        fields = dict(
            re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form.text)
        )
        if form.status_code != 200 or "version" not in fields:
            raise SystemExit(f"The edit form of cell {cell} answered {form.status_code}.")
        # A text no earlier run saved: saving what a cell already says writes nothing.
        fields["text"] = f"{SAVE_TEXT} (update {n}, {run})"
        began = time.perf_counter()
        saved = client.post(f"/cells/{cell}", data=fields, headers=headers)
        samples.append((time.perf_counter() - began) * 1000)
        if saved.status_code != 200:
            raise SystemExit(f"Saving cell {cell} answered {saved.status_code}.")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--queries", action="store_true", help="list each search's SQL")
    parser.add_argument("--only", default="", metavar="WORDS")
    parser.add_argument("--saves", type=int, default=0, metavar="N", help="time N saves")
    args = parser.parse_args()
    app = create_app(
        {
            "DATABASE_URL": args.database_url,
            "SECRET_KEY": "bench",
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    backend = args.database_url.split(":", 1)[0].split("+")[0]
    client = app.test_client()
    sign_in(client, DEFAULT_EMAIL, DEFAULT_PASSWORD)
    load_before = os.getloadavg()
    if args.saves:
        time_saves(app, client, args.warmup)
        saves = time_saves(app, client, args.saves)
        print(
            f"**{backend}**, {args.saves} cell saves: median {statistics.median(saves):.1f} ms, "
            f"p95 {p95(saves):.1f} ms; load average {load_before[0]:.2f} before, "
            f"{os.getloadavg()[0]:.2f} after ({os.cpu_count()} CPUs)"
        )
        return
    results = []
    for page in searches(app):
        if args.only not in page.name:
            continue
        follow_older(client, page)
        for _ in range(args.warmup):
            fetch(client, page)
        samples = [fetch(client, page) for _ in range(args.runs)]
        result: dict[str, Any] = {
            "search": page.name,
            "url": page.url,
            "extra": page.extra,
            "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(p95(samples), 2),
            "samples_ms": [round(s, 3) for s in samples],
        }
        if args.queries:
            result["queries"] = show_queries(app, client, page)
        results.append(result)
        print(f"  {page.name}: median {result['median_ms']} ms", file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    print(
        f"\n**{backend}**; {args.runs} runs per search after {args.warmup} warm-up requests; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        f"({os.cpu_count()} CPUs)\n"
    )
    print("| search | median ms | p95 ms |")
    print("| --- | ---: | ---: |")
    for r in results:
        print(f"| {r['search']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} |")
    if args.queries:
        for r in results:
            print(f"\n{r['search']}:")
            for q in r["queries"][:3]:
                print(f"  {q['ms']:8.2f} ms {q['rows']:5} rows  {q['sql'][:300]}")
                for line in q.get("plan", []):
                    print(f"           | {line}")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"search-{backend}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(
        json.dumps(
            {"load_before": load_before, "load_after": load_after, "searches": results},
            indent=2,
        )
    )
    print(f"\nWrote {path.relative_to(ROOT.parent)}")


if __name__ == "__main__":
    main()
