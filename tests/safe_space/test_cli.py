"""`flask purge-sessions`, as cron runs it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from grid_app.database import utcnow
from grid_app.extensions import db
from grid_app.safe_space import service
from grid_app.safe_space.models import Contribution
from tests.safe_space.conftest import contribute, held, user


def close_long_ago(app, people, session, days: int) -> None:
    with app.app_context():
        service.close_meeting(user(people["facilitator"]), held(session.id))
        held(session.id).closed_at = utcnow() - timedelta(days=days)
        db.session.commit()


def raw_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Contribution)) or 0


def test_dry_run_lists_what_would_go_and_changes_nothing(app, people, safe_session):
    contribute(app, people["contributor"], safe_session, "Named")
    contribute(app, people["other"], safe_session, "Unnamed", anonymous=True)
    close_long_ago(app, people, safe_session, days=91)
    result = app.test_cli_runner().invoke(args=["purge-sessions", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"Would purge session {safe_session.id} “Listening session”" in result.output
    assert "2 contributions" in result.output
    assert raw_count(app) == 2


def test_purge_deletes_raw_contributions_past_retention_only(app, people, safe_session):
    contribute(app, people["contributor"], safe_session, "Named")
    close_long_ago(app, people, safe_session, days=89)
    runner = app.test_cli_runner()
    early = runner.invoke(args=["purge-sessions"])
    assert "No session is due" in early.output and raw_count(app) == 1
    with app.app_context():
        held(safe_session.id).closed_at = utcnow() - timedelta(days=90, minutes=1)
        db.session.commit()
    done = runner.invoke(args=["purge-sessions"])
    assert (
        done.exit_code == 0 and "Purged session" in done.output and "1 contribution" in done.output
    )
    assert raw_count(app) == 0
    assert "No session is due" in runner.invoke(args=["purge-sessions"]).output


def test_after_the_purge_the_session_page_keeps_counts(app, client, people, safe_session):
    contribute(app, people["contributor"], safe_session, "Named words here")
    close_long_ago(app, people, safe_session, days=100)
    app.test_cli_runner().invoke(args=["purge-sessions"])
    client.sign_in(people["contributor"])
    page = client.get(safe_session.url).text
    assert "Named words here" not in page
    assert "raw contributions were deleted" in page and "1 contribution." in page
    summary = client.get(f"{safe_session.url}/summary.md").text
    assert "Contributions: 1." in summary
    client.sign_in(people["facilitator"])
    assert client.get(f"{safe_session.url}/summary.md?raw=1").status_code == 404
    refused = client.post_form(f"{safe_session.url}/themes", {"name": "Late"})
    assert refused.status_code == 422 and "purged" in refused.text
