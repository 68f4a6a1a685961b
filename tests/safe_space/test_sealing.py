"""Anonymous contributions wait unseen and join the board sealed, in shuffled batches.

The attack these tests replay: anyone who can SELECT from the database orders an anonymous
contribution among its author's audited page views, by PostgreSQL's transaction id
(``xmin``) or SQLite's ``rowid``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from grid_app.database import utcnow
from grid_app.extensions import db
from grid_app.safe_space import service
from grid_app.safe_space.models import Contribution, WaitingContribution
from tests.conftest import Person
from tests.safe_space.conftest import SessionRef, held, user


def interleave(new_client, people, session: SessionRef, rounds: int = 3) -> None:
    """Chris and Dana each read the board, add an anonymous contribution, read it again."""
    clients = {}
    for key in ("contributor", "other"):
        clients[key] = new_client()
        clients[key].sign_in(people[key])
    for n in range(rounds):
        for key, client in clients.items():
            assert client.get(session.url).status_code == 200
            added = client.post_form(
                f"{session.url}/contributions", {"body": f"{key} {n}", "anonymous": "y"}
            )
            assert added.status_code == 303
            assert client.get(session.url).status_code == 200


def linked(app: Flask, table: str, people: dict[str, Person]) -> dict[str, str]:
    """The attack on PostgreSQL: each row of ``table`` whose transaction id falls between
    two audited events of one participant, and nobody else's, is tied to that person."""
    participants = {people[key].id: key for key in ("contributor", "other")}
    with app.app_context():
        rows = db.session.execute(text(f"SELECT xmin::text::bigint, body FROM {table}")).all()
        events = db.session.execute(
            text("SELECT xmin::text::bigint, actor_id FROM audit_event ORDER BY 1")
        ).all()
    found = {}
    for tx, body in rows:
        before = [actor for event_tx, actor in events if event_tx < tx]
        after = [actor for event_tx, actor in events if event_tx > tx]
        if before and after and before[-1] == after[0] and before[-1] in participants:
            found[body] = participants[before[-1]]
    return found


def test_sealed_contributions_cannot_be_placed_among_their_authors_reads(
    app, people, safe_session, new_client
):
    interleave(new_client, people, safe_session)
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect == "postgresql":
        # While they wait, the attack works: this is the window the README names.
        expected = {f"{key} {n}": key for key in ("contributor", "other") for n in range(3)}
        assert linked(app, "safe_space_waiting", people) == expected
    else:
        with (
            app.app_context(),
            pytest.raises(OperationalError, match="no such column: rowid"),
        ):
            db.session.execute(text("SELECT rowid FROM safe_space_waiting")).all()

    facilitator = new_client()
    facilitator.sign_in(people["facilitator"])
    assert facilitator.post_form(f"{safe_session.url}/seal", {}).status_code == 303

    with app.app_context():
        on_disk = db.session.scalars(
            text(
                "SELECT id FROM safe_space_contribution"
                + (" ORDER BY ctid" if dialect == "postgresql" else "")
            )
        ).all()
        authors = db.session.scalars(text("SELECT author_id FROM safe_space_contribution")).all()
        left = db.session.scalar(text("SELECT count(*) FROM safe_space_waiting"))
        if dialect == "postgresql":
            txs = db.session.scalars(
                text("SELECT DISTINCT xmin::text FROM safe_space_contribution")
            ).all()
            # One transaction, the facilitator's, wrote them all.
            assert len(txs) == 1
        else:
            with pytest.raises(OperationalError, match="no such column: rowid"):
                db.session.execute(text("SELECT rowid FROM safe_space_contribution")).all()
    if dialect == "postgresql":
        assert linked(app, "safe_space_contribution", people) == {}
    # Their order on disk is that of fresh random keys, not the order they were written.
    assert on_disk == sorted(on_disk) and len(on_disk) == 6
    assert authors == [None] * 6 and left == 0


def test_a_waiting_contribution_is_on_nobodys_board_until_the_facilitator_adds_it(
    app, client, new_client, people, safe_session
):
    client.sign_in(people["other"])
    added = client.post_form(
        f"{safe_session.url}/contributions", {"body": "WAITING-WORDS", "anonymous": "y"}
    )
    receipt = client.get(added.headers["Location"]).text
    assert "not on the board yet" in receipt and "within about 10 minutes" in receipt
    facilitator = new_client()
    facilitator.sign_in(people["facilitator"])
    page = facilitator.get(safe_session.url).text
    assert "WAITING-WORDS" not in page and "WAITING-WORDS" not in client.get(safe_session.url).text
    assert "1 anonymous contribution is waiting." in page
    sealed = facilitator.post_form(f"{safe_session.url}/seal", {})
    shown = facilitator.get(sealed.headers["Location"]).text
    assert "1 anonymous contribution was added to the board." in shown
    assert "WAITING-WORDS" in shown and "is waiting" not in shown
    assert "WAITING-WORDS" in client.get(safe_session.url).text
    again = facilitator.post_form(f"{safe_session.url}/seal", {})
    nothing = facilitator.get(again.headers["Location"]).text
    assert "No anonymous contribution was waiting." in nothing


def test_participants_cannot_seal(app, client, people, safe_session):
    with app.app_context():
        service.add_contribution(
            user(people["other"]), held(safe_session.id), body="Quiet", anonymous=True
        )
        db.session.commit()
    client.sign_in(people["other"])
    assert client.post_form(f"{safe_session.url}/seal", {}).status_code == 403
    with app.app_context():
        assert service.waiting_count(held(safe_session.id)) == 1


def test_closing_the_session_seals_what_waits(app, client, people, safe_session):
    with app.app_context():
        service.add_contribution(
            user(people["other"]), held(safe_session.id), body="Last words", anonymous=True
        )
        db.session.commit()
    client.sign_in(people["facilitator"])
    client.post_form(f"{safe_session.url}/close", {})
    assert "Last words" in client.get(safe_session.url).text
    with app.app_context():
        assert service.waiting_count(held(safe_session.id)) == 0


def test_withdrawing_a_waiting_contribution_deletes_its_words_and_uses_up_the_code(
    app, client, people, safe_session
):
    client.sign_in(people["other"])
    client.post_form(
        f"{safe_session.url}/contributions", {"body": "Named regret", "anonymous": "n"}
    )
    client.post_form(f"{safe_session.url}/contributions", {"body": "Staying", "anonymous": "y"})
    added = client.post_form(
        f"{safe_session.url}/contributions", {"body": "Second thoughts", "anonymous": "y"}
    )
    page = client.get(added.headers["Location"]).text
    code = page.split('id="receipt-code">')[1].split("<")[0]
    url = f"{safe_session.url}/withdraw"
    assert "No contribution is due" in run_seal(app)  # its words are in the database file now
    assert client.post_form(url, {"code": code}).status_code == 303
    with app.app_context():
        named = db.session.scalars(db.select(Contribution)).one()
        service.withdraw_contribution(user(people["other"]), named)
        db.session.commit()
        bodies = db.session.scalars(db.select(WaitingContribution.body)).all()
        assert sorted(bodies, key=str) == [None, "Staying"]
        assert service.waiting_count(held(safe_session.id)) == 1
    again = client.post_form(url, {"code": code})
    assert again.status_code == 422 and "already been used" in again.text
    with app.app_context():
        service.seal(held(safe_session.id))
        db.session.commit()
    run_seal(app)  # which scrubs what the waiting row left behind
    with app.app_context():
        sealed = db.session.scalars(
            db.select(Contribution).where(Contribution.withdrawn, Contribution.anonymous)
        ).one()
        assert sealed.body is None
        database = db.engine.url.database
        if db.engine.dialect.name == "sqlite" and database:
            # secure_delete and the checkpoint leave the words nowhere in the files.
            files = [Path(database), Path(f"{database}-wal")]
            for words in (b"Second thoughts", b"Named regret"):
                assert not any(words in f.read_bytes() for f in files if f.exists())
    again = client.post_form(url, {"code": code})
    assert again.status_code == 422 and "already been used" in again.text


def run_seal(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["seal-contributions"])
    assert result.exit_code == 0, result.output
    return result.output


def wait(app: Flask, people, session: SessionRef, *bodies: str, minutes_ago: int = 0) -> None:
    with app.app_context():
        for body in bodies:
            made, _ = service.add_contribution(
                user(people["other"]), held(session.id), body=body, anonymous=True
            )
            assert isinstance(made, WaitingContribution)
            made.waiting_since = utcnow() - timedelta(minutes=minutes_ago)
        db.session.commit()


def test_the_scheduled_seal_waits_for_a_batch_or_the_set_time(app, people, safe_session):
    wait(app, people, safe_session, "One", "Two")
    assert run_seal(app) == "No contribution is due for sealing.\n"
    wait(app, people, safe_session, "Three")
    assert run_seal(app) == (
        f"Sealed 3 contributions into session {safe_session.id} “Listening session”\n"
    )
    wait(app, people, safe_session, "Lonely", minutes_ago=9)
    assert "No contribution is due" in run_seal(app)
    with app.app_context():
        db.session.execute(
            db.update(WaitingContribution).values(waiting_since=utcnow() - timedelta(minutes=11))
        )
        db.session.commit()
    assert "Sealed 1 contribution into session" in run_seal(app)
    with app.app_context():
        bodies = db.session.scalars(db.select(Contribution.body)).all()
    assert sorted(b or "" for b in bodies) == ["Lonely", "One", "Three", "Two"]


def test_one_person_can_add_only_so_much_to_a_session_and_keeps_what_they_typed(
    app, client, people, safe_session
):
    app.config["CONTRIBUTION_LIMIT_PER_PERSON"] = "2 per hour"
    client.sign_in(people["contributor"])
    url = f"{safe_session.url}/contributions"
    for n in range(2):
        assert client.post_form(url, {"body": f"Said {n}", "anonymous": "n"}).status_code == 303
    refused = client.post_form(url, {"body": "ONE-TOO-MANY", "anonymous": "y"})
    assert refused.status_code == 429
    assert "as many contributions to this session as one person can in an hour" in refused.text
    assert "ONE-TOO-MANY" in refused.text
    with app.app_context():
        assert service.waiting_count(held(safe_session.id)) == 0
    # Someone else in the session is not held back by it.
    client.post_form("/sign-out", {})
    client.sign_in(people["other"])
    assert client.post_form(url, {"body": "Mine", "anonymous": "n"}).status_code == 303


def test_a_session_holds_a_bounded_number_of_contributions(
    app, client, people, safe_session, monkeypatch
):
    from grid_app.safe_space.service import contributions

    monkeypatch.setattr(contributions, "SESSION_CONTRIBUTIONS_MAX", 2)
    client.sign_in(people["contributor"])
    url = f"{safe_session.url}/contributions"
    assert client.post_form(url, {"body": "One", "anonymous": "n"}).status_code == 303
    assert client.post_form(url, {"body": "Two", "anonymous": "y"}).status_code == 303
    refused = client.post_form(url, {"body": "THIRD-WORDS", "anonymous": "n"})
    assert refused.status_code == 422 and "already holds 2 contributions" in refused.text
    assert "THIRD-WORDS" in refused.text


def test_the_sealer_thread_seals_what_is_due_until_it_is_stopped(app, people, safe_session):
    import fcntl
    import threading
    import time

    from grid_app.safe_space.schedule import seal_due_now, start_sealer

    app.config.update(SEAL_AFTER_MINUTES=0)
    with app.app_context():
        service.add_contribution(
            user(people["contributor"]), held(safe_session.id), body="Seal me", anonymous=True
        )
        db.session.commit()
    # While another process holds the lock, a round seals nothing and says so.
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    with open(Path(app.instance_path) / "sealer.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert seal_due_now(app) is None
    stop = start_sealer(app, 0.05)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with app.app_context():
                sealed = db.session.query(Contribution).filter_by(body="Seal me").count()
                db.session.remove()
            if sealed:
                break
            time.sleep(0.05)
        assert sealed == 1
    finally:
        stop.set()
    time.sleep(0.2)
    assert "sealer" not in {t.name for t in threading.enumerate()}
