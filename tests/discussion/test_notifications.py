"""Who is told what: mentions, replies, watching, gap flags, email choices and digests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from flask import Flask

from grid_app.auth.models import OPERATOR, User
from grid_app.database import utcnow
from grid_app.discussion import notifications, service
from grid_app.discussion.models import Comment, Mention, Notification, OutgoingMail
from grid_app.errors import Invalid, NotFound
from grid_app.extensions import db
from grid_app.gaps import service as gaps
from grid_app.gaps.models import GapFlag
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell
from tests.conftest import GridRef, Person

EVIDENCE = ("Social work", "Evidence")
STRATEGY = ("Social work", "Strategy")
YJ_EVIDENCE = ("Youth Justice", "Evidence")


def person(who: Person) -> User:
    return db.session.get_one(User, who.id)


def a_cell(grid: GridRef, where=EVIDENCE) -> Cell:
    return db.session.get_one(Cell, grid.cells[where])


def told(who: Person) -> list[tuple[str, str]]:
    """(kind, message) of each notification the person has, oldest first."""
    return [
        (n.kind, n.message)
        for n in db.session.scalars(
            db.select(Notification).where(Notification.user_id == who.id).order_by(Notification.id)
        )
    ]


def comment(people, grid, who: str, body: str, where=EVIDENCE, parent: int | None = None):
    made = service.add_comment(
        person(people[who]), a_cell(grid, where), body=body, parent_id=parent
    )
    db.session.commit()
    return made


def choose_email(who: Person, frequency: str) -> None:
    person(who).email_frequency = frequency
    db.session.commit()


def mails() -> list[OutgoingMail]:
    return list(db.session.scalars(db.select(OutgoingMail).order_by(OutgoingMail.id)))


# --- Mentions ---------------------------------------------------------------------------


def test_a_mention_tells_the_person_named_and_shows_their_name(app: Flask, people, grid):
    with app.app_context():
        made = comment(people, grid, "contributor", "Can @manager@example.org look at this?")
        assert told(people["manager"]) == [
            ("mention", "Cara Contributor mentioned you in a comment on Social work × Evidence")
        ]
        assert told(people["contributor"]) == []
        assert "<strong>@Mo Manager</strong>" in made.html
        assert "manager@example.org" not in made.html
        # The words as typed are kept, so an edit starts from them.
        assert made.body == "Can @manager@example.org look at this?"


def test_a_mention_of_an_address_nobody_has_is_refused_and_nothing_is_stored(
    app: Flask, people, grid
):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            service.add_comment(
                person(people["contributor"]),
                a_cell(grid),
                body="Ask @nobody@example.org and @manager@example.org",
            )
        db.session.rollback()
        assert refused.value.message == "The comment was not added."
        assert "@nobody@example.org" in refused.value.field_errors["body"]
        assert "manager@example.org" not in refused.value.field_errors["body"]
        assert db.session.scalar(db.select(db.func.count(Comment.id))) == 0
        assert told(people["manager"]) == []


def test_an_inactive_person_cannot_be_mentioned(app: Flask, people, grid):
    with app.app_context():
        person(people["other"]).active = False
        db.session.commit()
        with pytest.raises(Invalid):
            service.add_comment(
                person(people["contributor"]), a_cell(grid), body="@other@example.org?"
            )


def test_an_email_address_without_a_leading_at_is_not_a_mention(app: Flask, people, grid):
    with app.app_context():
        made = comment(people, grid, "contributor", "Write to manager@example.org, or @ me.")
        assert told(people["manager"]) == []
        assert db.session.scalar(db.select(db.func.count()).select_from(Mention)) == 0
        assert "manager@example.org" in made.html


def test_an_edit_tells_only_the_people_it_newly_mentions(app: Flask, people, grid):
    with app.app_context():
        made = comment(people, grid, "contributor", "@manager@example.org, thoughts?")
        service.edit(
            person(people["contributor"]),
            made,
            body="@manager@example.org and @other@example.org, thoughts?",
            expected_version=made.version,
        )
        db.session.commit()
        assert len(told(people["manager"])) == 1
        assert told(people["other"]) == [
            ("mention", "Cara Contributor mentioned you in a comment on Social work × Evidence")
        ]


# --- Replies ----------------------------------------------------------------------------


def test_a_reply_tells_the_thread_author_and_the_others_who_replied(app: Flask, people, grid):
    with app.app_context():
        thread = comment(people, grid, "contributor", "Where is the data?")
        comment(people, grid, "other", "Coming soon.", parent=thread.id)
        comment(people, grid, "manager", "I have it.", parent=thread.id)
        assert told(people["contributor"]) == [
            ("reply", "Olu Other replied to your comment on Social work × Evidence"),
            ("reply", "Mo Manager replied to your comment on Social work × Evidence"),
        ]
        assert told(people["other"]) == [
            ("reply", "Mo Manager replied in a thread on Social work × Evidence")
        ]
        assert told(people["manager"]) == []


def test_one_event_tells_each_person_once_the_mention_winning(app: Flask, people, grid):
    with app.app_context():
        thread = comment(people, grid, "contributor", "Where is the data?")
        notifications.set_watch(
            person(people["contributor"]), a_cell(grid), whole_row=False, on=True
        )
        db.session.commit()
        comment(people, grid, "other", "@contributor@example.org here", parent=thread.id)
        assert told(people["contributor"]) == [
            ("mention", "Olu Other mentioned you in a comment on Social work × Evidence")
        ]


# --- Watching ---------------------------------------------------------------------------


def test_watchers_of_a_cell_hear_of_its_changes_but_not_of_their_own(app: Flask, people, grid):
    with app.app_context():
        cell = a_cell(grid)
        state = notifications.set_watch(person(people["other"]), cell, whole_row=False, on=True)
        db.session.commit()
        assert state == notifications.WatchState(cell=True, row=False)
        grid_service.save_cell(
            person(people["contributor"]), cell, expected_version=cell.version, text="New"
        )
        grid_service.save_cell(
            person(people["other"]), cell, expected_version=cell.version, text="Newer"
        )
        db.session.commit()
        assert told(people["other"]) == [
            ("watched", "Cara Contributor changed Social work × Evidence")
        ]


def test_watching_a_service_area_covers_every_cell_in_it_only(app: Flask, people, grid):
    with app.app_context():
        notifications.set_watch(person(people["other"]), a_cell(grid), whole_row=True, on=True)
        db.session.commit()
        for where in (STRATEGY, YJ_EVIDENCE):
            cell = a_cell(grid, where)
            grid_service.save_cell(
                person(people["contributor"]), cell, expected_version=cell.version, text="x"
            )
        comment(people, grid, "contributor", "A question", where=STRATEGY)
        db.session.commit()
        assert told(people["other"]) == [
            ("watched", "Cara Contributor changed Social work × Strategy"),
            ("watched", "Cara Contributor commented on Social work × Strategy"),
        ]


def test_unwatching_stops_the_notifications(app: Flask, people, grid):
    with app.app_context():
        cell = a_cell(grid)
        notifications.set_watch(person(people["other"]), cell, whole_row=False, on=True)
        notifications.set_watch(person(people["other"]), cell, whole_row=False, on=False)
        db.session.commit()
        assert notifications.watch_state(person(people["other"]), cell).cell is False
        grid_service.save_cell(
            person(people["contributor"]), cell, expected_version=cell.version, text="x"
        )
        db.session.commit()
        assert told(people["other"]) == []


def test_watching_twice_keeps_one_watch(app: Flask, people, grid):
    with app.app_context():
        for _ in range(2):
            notifications.set_watch(person(people["other"]), a_cell(grid), whole_row=True, on=True)
        db.session.commit()
        assert len(notifications.watches(person(people["other"]))) == 1


def test_someone_else_s_watch_cannot_be_stopped(app: Flask, people, grid):
    with app.app_context():
        notifications.set_watch(person(people["other"]), a_cell(grid), whole_row=False, on=True)
        db.session.commit()
        watch = notifications.watches(person(people["other"]))[0]
        with pytest.raises(NotFound):
            notifications.stop_watching(person(people["contributor"]), watch.id)


def test_an_inactive_watcher_is_not_told(app: Flask, people, grid):
    with app.app_context():
        cell = a_cell(grid)
        notifications.set_watch(person(people["other"]), cell, whole_row=False, on=True)
        person(people["other"]).active = False
        db.session.commit()
        grid_service.save_cell(
            person(people["contributor"]), cell, expected_version=cell.version, text="x"
        )
        db.session.commit()
        assert told(people["other"]) == []


# --- Gap flags --------------------------------------------------------------------------


def test_gap_flags_tell_their_owner_their_raiser_and_the_cell_s_watchers(app: Flask, people, grid):
    with app.app_context():
        notifications.set_watch(person(people["other"]), a_cell(grid), whole_row=False, on=True)
        db.session.commit()
        flag = gaps.raise_flag(
            person(people["contributor"]), a_cell(grid), what_is_missing="Data", severity="high"
        )
        db.session.commit()
        manager = person(people["manager"])
        gaps.change(
            manager,
            flag,
            gaps.Action.ASSIGN,
            expected_version=flag.version,
            owner_id=people["other"].id,
            due_date=date(2099, 1, 31),
        )
        db.session.commit()
        gaps.change(
            manager, flag, gaps.Action.RESOLVE, expected_version=flag.version, note="Found it"
        )
        db.session.commit()
        assert told(people["other"]) == [
            ("watched", "Cara Contributor flagged a high gap on Social work × Evidence"),
            (
                "flag_assigned",
                "Mo Manager assigned you a gap on Social work × Evidence, due 31 January 2099",
            ),
        ]
        assert told(people["contributor"]) == [
            (
                "flag_status",
                "Mo Manager assigned an owner to the gap you flagged on Social work × Evidence",
            ),
            ("flag_status", "Mo Manager resolved the gap you flagged on Social work × Evidence"),
        ]
        assert told(people["manager"]) == []
        flag_id = db.session.scalar(db.select(GapFlag.id))
        assert {n.flag_id for n in db.session.scalars(db.select(Notification))} == {flag_id}


# --- Email ------------------------------------------------------------------------------


def test_someone_who_chose_email_straight_away_gets_one_without_the_words(app: Flask, people, grid):
    with app.app_context():
        comment(people, grid, "contributor", "Secret words for @manager@example.org")
        (sent,) = mails()
        assert sent.to_address == "manager@example.org"
        assert sent.subject == (
            "[Supporting People Grid] Cara Contributor mentioned you in a comment on "
            "Social work × Evidence"
        )
        note = db.session.scalar(db.select(Notification))
        assert f"https://grid.example.org/notifications/{note.id}" in sent.body
        assert "https://grid.example.org/profile" in sent.body
        assert "Secret words" not in sent.body
        assert note.emailed_at is not None


@pytest.mark.parametrize("frequency", ["daily", "weekly", "none"])
def test_other_choices_get_no_mail_straight_away(app: Flask, people, grid, frequency):
    with app.app_context():
        choose_email(people["manager"], frequency)
        comment(people, grid, "contributor", "For @manager@example.org")
        assert len(told(people["manager"])) == 1
        assert mails() == []


def test_a_daily_digest_gathers_the_unread_and_is_sent_once_a_day(app: Flask, people, grid):
    with app.app_context():
        choose_email(people["manager"], "daily")
        choose_email(people["other"], "weekly")
        comment(
            people, grid, "contributor", "First for @manager@example.org and @other@example.org"
        )
        second = comment(people, grid, "contributor", "Second for @manager@example.org")
        read = db.session.scalar(
            db.select(Notification).where(Notification.comment_id == second.id)
        )
        notifications.mark_read(person(people["manager"]), read)
        db.session.commit()

        morning = utcnow().replace(microsecond=0) + timedelta(minutes=1)
        assert notifications.queue_digests("daily", morning) == ["manager@example.org"]
        db.session.commit()
        assert notifications.queue_digests("daily", morning + timedelta(hours=2)) == []
        db.session.commit()

        (digest,) = mails()
        assert digest.subject == "[Supporting People Grid] 1 new notification (today)"
        assert digest.body.count("mentioned you") == 1
        assert digest.digest_key == f"daily:{morning.date().isoformat()}:{people['manager'].id}"

        # Something new the next day makes the next day's digest.
        comment(people, grid, "other", "Third for @manager@example.org")
        assert notifications.queue_digests("daily", morning + timedelta(days=1, minutes=1)) == [
            "manager@example.org"
        ]


def test_a_weekly_digest_is_keyed_by_the_week(app: Flask, people, grid):
    with app.app_context():
        choose_email(people["other"], "weekly")
        comment(people, grid, "contributor", "For @other@example.org")
        monday = datetime(2099, 1, 5, 7, 0)
        assert notifications.queue_digests("weekly", monday) == ["other@example.org"]
        db.session.commit()
        comment(people, grid, "contributor", "Again @other@example.org")
        assert notifications.queue_digests("weekly", monday + timedelta(days=3)) == []
        (digest,) = mails()
        assert digest.digest_key == f"weekly:2099-W02:{people['other'].id}"
        assert "(this week)" in digest.subject


def test_a_digest_period_must_be_daily_or_weekly(app: Flask, people):
    with app.app_context(), pytest.raises(Invalid):
        notifications.queue_digests("hourly")


# --- Reading ----------------------------------------------------------------------------


def test_notifications_are_read_one_by_one_or_all_at_once(app: Flask, people, grid):
    with app.app_context():
        for n in range(3):
            comment(people, grid, "contributor", f"{n} @manager@example.org")
        manager = person(people["manager"])
        assert notifications.unread_count(manager.id) == 3
        first = notifications.page(manager).items[-1]
        notifications.mark_read(manager, first)
        assert notifications.unread_count(manager.id) == 2
        assert notifications.mark_all_read(manager) == 2
        assert notifications.unread_count(manager.id) == 0


def test_another_person_s_notification_is_not_found(app: Flask, people, grid):
    with app.app_context():
        comment(people, grid, "contributor", "@manager@example.org")
        note = db.session.scalar(db.select(Notification))
        with pytest.raises(NotFound):
            notifications.notification_for(person(people["other"]), note.id)
        with pytest.raises(NotFound):
            notifications.mark_read(person(people["other"]), note)


def test_notifications_come_newest_first_a_page_at_a_time(app: Flask, people, grid):
    with app.app_context():
        for n in range(5):
            comment(people, grid, "contributor", f"{n} @manager@example.org")
        manager = person(people["manager"])
        first = notifications.page(manager, size=3)
        second = notifications.page(manager, before=first.next_before, size=3)
        ids = [n.id for n in first.items + second.items]
        assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5
        assert second.next_before is None


def test_suggestions_match_names_word_starts_and_addresses(app: Flask, people):
    with app.app_context():
        me = person(people["contributor"])
        assert [p.display_name for p in notifications.suggest_people(me, "mo")] == ["Mo Manager"]
        assert [p.display_name for p in notifications.suggest_people(me, "mana")] == ["Mo Manager"]
        assert [p.email for p in notifications.suggest_people(me, "other@")] == [
            "other@example.org"
        ]
        assert notifications.suggest_people(me, "cara") == []  # not oneself
        assert notifications.suggest_people(me, "%") == []
        assert notifications.suggest_people(me, "") == []
        person(people["manager"]).active = False
        assert notifications.suggest_people(me, "mo") == []


def test_watchers_hear_of_an_import_made_at_the_command_line(app: Flask, people, grid):
    from grid_app.grid.models import RevisionKind

    with app.app_context():
        cell = a_cell(grid)
        notifications.set_watch(person(people["other"]), cell, whole_row=True, on=True)
        db.session.commit()
        grid_service.save_cell(
            OPERATOR,
            cell,
            expected_version=cell.version,
            text="From the spreadsheet",
            kind=RevisionKind.IMPORT,
        )
        db.session.commit()
        assert told(people["other"]) == [
            ("watched", "An operator imported new text into Social work × Evidence")
        ]
        assert db.session.scalar(db.select(Notification.actor_id)) is None


def test_an_import_tells_each_watcher_once_however_many_cells_it_changes(app: Flask, people, grid):
    from grid_app.grid.models import RevisionKind

    with app.app_context():
        notifications.set_watch(person(people["other"]), a_cell(grid), whole_row=True, on=True)
        notifications.set_watch(
            person(people["manager"]), a_cell(grid, YJ_EVIDENCE), whole_row=False, on=True
        )
        choose_email(people["other"], "immediate")
        db.session.commit()
        importer = person(people["admin"])
        for where in (STRATEGY, EVIDENCE, YJ_EVIDENCE, ("Youth Justice", "Strategy")):
            cell = a_cell(grid, where)
            grid_service.save_cell(
                importer,
                cell,
                expected_version=cell.version,
                text="Imported",
                kind=RevisionKind.IMPORT,
            )
        db.session.commit()
        assert told(people["other"]) == [
            (
                "watched",
                "Ade Admin imported changes to 2 cells you watch, Social work × Strategy "
                "among them",
            )
        ]
        assert told(people["manager"]) == [
            ("watched", "Ade Admin imported new text into Youth Justice × Evidence")
        ]
        assert sorted(m.to_address for m in mails()) == [
            "manager@example.org",
            "other@example.org",
        ]


def test_an_import_that_rolls_back_tells_nobody(app: Flask, people, grid):
    from grid_app.grid.models import RevisionKind

    with app.app_context():
        notifications.set_watch(person(people["other"]), a_cell(grid), whole_row=True, on=True)
        db.session.commit()
        cell = a_cell(grid)
        grid_service.save_cell(
            person(people["admin"]),
            cell,
            expected_version=cell.version,
            text="x",
            kind=RevisionKind.IMPORT,
        )
        db.session.rollback()
        db.session.commit()
        assert told(people["other"]) == []
