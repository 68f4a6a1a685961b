"""Time a large safe-space session's page and the purge, in-process, on a fresh database.

    .venv/bin/python bench/safe_space.py --database-url sqlite:////tmp/grid-safe-space.db
    .venv/bin/python bench/safe_space.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/grid_safe_space

Builds the schema, a facilitator and ``--participants`` people, one session with
``--contributions`` contributions (a third anonymous) in ``--themes`` themes, and
``--closed`` more closed sessions of the same size that are past their retention period.
Then times the session page for the facilitator and for a participant (median and p95 of
``--runs`` requests through the whole app, each one audited as a read, as in production),
and one purge of all the closed sessions. The database must be empty (or not exist);
``--fresh`` drops it (or removes the SQLite file) first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import make_url, select  # noqa: E402

from grid_app import create_app  # noqa: E402
from grid_app.auth import service as auth_service  # noqa: E402
from grid_app.auth.models import OPERATOR, Role, User  # noqa: E402
from grid_app.database import utcnow  # noqa: E402
from grid_app.extensions import db  # noqa: E402
from grid_app.safe_space import service  # noqa: E402
from grid_app.safe_space.models import Contribution  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from build_large import prepare_database  # noqa: E402
from measure import p95, sign_in  # noqa: E402

PASSWORD = "long-history-2026"


def build(args: argparse.Namespace) -> tuple[int, str, str]:
    """The sessions; the open one's id and two people to sign in as."""
    facilitator = auth_service.create_user(
        OPERATOR, "bench.facilitator@example.org", "Bench Facilitator", PASSWORD, [Role.FACILITATOR]
    )
    people = [
        auth_service.create_user(
            OPERATOR, f"bench.p{i}@example.org", f"Participant {i}", PASSWORD, [Role.CONTRIBUTOR]
        )
        for i in range(args.participants)
    ]
    db.session.flush()
    open_id = 0
    for number in range(args.closed + 1):
        session = service.create_meeting(
            facilitator,
            service.SessionFields(
                title=f"Bench session {number}",
                starts_at="2027-01-14T10:00",
                ground_rules=service.DEFAULT_GROUND_RULES,
                signposting=service.DEFAULT_SIGNPOSTING,
                invitees="\n".join(p.email for p in people),
            ),
        )
        for person in people:
            service.accept_rules(person, session)
        themes = [
            service.create_theme(facilitator, session, f"Theme {t}") for t in range(args.themes)
        ]
        for i in range(args.contributions):
            service.add_contribution(
                people[i % len(people)],
                session,
                body=f"Contribution {i}: " + "what happened and how it felt. " * 8,
                anonymous=i % 3 == 0,
            )
        service.seal(session)
        contributions = db.session.scalars(
            select(Contribution).where(Contribution.session_id == session.id)
        ).all()
        for i, made in enumerate(contributions):
            made.theme_id = themes[i % len(themes)].id if i % 4 else None
        db.session.flush()
        if number:
            service.close_meeting(facilitator, session)
            session.closed_at = utcnow() - timedelta(days=session.retention_days + 1)
        else:
            open_id = session.id
    db.session.commit()
    return open_id, facilitator.email, people[0].email


def time_page(app: Any, email: str, url: str, runs: int) -> list[float]:
    client = app.test_client()
    sign_in(client, email, PASSWORD)
    client.get(url)
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--participants", type=int, default=12)
    parser.add_argument("--contributions", type=int, default=300)
    parser.add_argument("--themes", type=int, default=8)
    parser.add_argument("--closed", type=int, default=20)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--fresh", action="store_true", help="drop the database (or file) first if it exists"
    )
    args = parser.parse_args()
    prepare_database(make_url(args.database_url), args.fresh)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    app = create_app({"DATABASE_URL": args.database_url, "MAIL_SEND_AFTER_COMMIT": False})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        if db.session.scalar(db.select(db.func.count()).select_from(User)):
            raise SystemExit("The database is not empty; give a new one.")
        began = time.perf_counter()
        session_id, facilitator, participant = build(args)
        print(f"Built in {time.perf_counter() - began:.1f} s")
    url = f"/safe-space/{session_id}"
    print(
        f"| page ({args.contributions} contributions, {args.themes} themes) | median ms | p95 ms |"
    )
    print("| --- | --- | --- |")
    for who, email in (("facilitator", facilitator), ("participant", participant)):
        samples = time_page(app, email, url, args.runs)
        print(f"| session page, {who} | {statistics.median(samples):.1f} | {p95(samples):.1f} |")
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count()).select_from(Contribution))
        began = time.perf_counter()
        items = service.purge_due()
        db.session.commit()
        elapsed = time.perf_counter() - began
        after = db.session.scalar(db.select(db.func.count()).select_from(Contribution))
    print(
        f"Purged {len(items)} sessions ({(before or 0) - (after or 0):,} contributions) "
        f"in {elapsed * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
