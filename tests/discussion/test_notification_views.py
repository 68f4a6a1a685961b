"""The bell, the notifications page, watching, mention suggestions and the email choice, as a
person meets them: fragment and full page, and every refusal."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import User
from grid_app.discussion import notifications, service
from grid_app.discussion.models import Comment, Notification, Watch
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell
from tests.conftest import HX, GridRef

EVIDENCE = ("Social work", "Evidence")


def mention_manager(app: Flask, people, grid: GridRef, times: int = 1) -> list[int]:
    """The contributor mentions the manager ``times`` times; returns the notification ids."""
    with app.app_context():
        actor = db.session.get_one(User, people["contributor"].id)
        cell = db.session.get_one(Cell, grid.cells[EVIDENCE])
        for n in range(times):
            service.add_comment(actor, cell, body=f"Number {n}, @manager@example.org")
        db.session.commit()
        return list(db.session.scalars(db.select(Notification.id).order_by(Notification.id)))


SIGNED_IN_ROUTES = [
    ("get", "/notifications"),
    ("get", "/notifications/1"),
    ("post", "/notifications/1/open"),
    ("post", "/notifications/1/read"),
    ("post", "/notifications/read-all"),
    ("get", "/notifications/bell"),
    ("post", "/cells/1/watch"),
    ("post", "/watches/1/stop"),
    ("get", "/people/suggest?q=mo"),
    ("get", "/profile"),
    ("post", "/profile"),
]


@pytest.mark.parametrize(("method", "url"), SIGNED_IN_ROUTES)
def test_signed_out_people_are_sent_to_sign_in(app: Flask, client, grid, method, url):
    response = client.get(url) if method == "get" else client.post_form(url, {})
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_the_bell_shows_the_unread_count_on_every_page(app: Flask, client, people, grid):
    mention_manager(app, people, grid, times=2)
    client.sign_in(people["manager"])
    page = client.get(f"/grids/{grid.slug}")
    assert re.search(
        r'class="app-bell__count">2<span class="govuk-visually-hidden"> unread', page.text
    )
    bell = client.get("/notifications/bell", headers=HX)
    assert bell.text.startswith('<a id="bell"') and "2<span" in bell.text
    # Without htmx the bell's address is the notifications page.
    assert client.get("/notifications/bell").headers["Location"].endswith("/notifications")


def test_the_page_lists_notifications_and_opening_one_marks_it_read(
    app: Flask, client, people, grid
):
    (note_id,) = mention_manager(app, people, grid)
    client.sign_in(people["manager"])
    page = client.get("/notifications")
    assert "Cara Contributor mentioned you in a comment on Social work × Evidence" in page.text
    assert ">New</strong>" in page.text
    assert f'<form method="post" action="/notifications/{note_id}/open"' in page.text
    opened = client.post_form(f"/notifications/{note_id}/open", {})
    assert opened.status_code == 303
    with app.app_context():
        comment_id = db.session.scalar(db.select(Comment.id))
        assert db.session.get_one(Notification, note_id).read_at is not None
    assert opened.headers["Location"].endswith(
        f"/cells/{grid.cells[EVIDENCE]}/comments#comment-{comment_id}"
    )
    assert ">New</strong>" not in client.get("/notifications").text


def test_getting_a_notification_s_address_leaves_it_unread(app: Flask, client, people, grid):
    # Where emails link to: a mail scanner or link preview fetching it must change nothing.
    (note_id,) = mention_manager(app, people, grid)
    client.sign_in(people["manager"])
    page = client.get(f"/notifications/{note_id}")
    assert page.status_code == 200
    assert "Cara Contributor mentioned you in a comment on Social work × Evidence" in page.text
    assert f'action="/notifications/{note_id}/open"' in page.text
    assert ">Go to the comment</button>" in page.text
    with app.app_context():
        assert db.session.get_one(Notification, note_id).read_at is None
        assert notifications.unread_count(people["manager"].id) == 1


def test_opening_a_notification_with_htmx_moves_the_whole_page(app: Flask, client, people, grid):
    (note_id,) = mention_manager(app, people, grid)
    client.sign_in(people["manager"])
    opened = client.post_form(f"/notifications/{note_id}/open", {}, headers=HX)
    assert opened.status_code == 204
    assert re.search(
        rf"/cells/{grid.cells[EVIDENCE]}/comments#comment-\d+$", opened.headers["HX-Redirect"]
    )
    assert "HX-Request" in opened.headers["Vary"]
    with app.app_context():
        assert db.session.get_one(Notification, note_id).read_at is not None


def test_opening_a_notification_needs_the_form_s_token_and_a_real_notification(
    app: Flask, client, people, grid
):
    (note_id,) = mention_manager(app, people, grid)
    client.sign_in(people["manager"])
    assert client.post(f"/notifications/{note_id}/open").status_code == 400
    assert client.post_form("/notifications/999/open", {}).status_code == 404
    assert client.post_form("/notifications/x/open", {}).status_code == 404
    with app.app_context():
        assert db.session.get_one(Notification, note_id).read_at is None


def test_someone_else_s_notification_is_not_found(app: Flask, client, people, grid):
    (note_id,) = mention_manager(app, people, grid)
    client.sign_in(people["other"])
    assert client.get(f"/notifications/{note_id}").status_code == 404
    assert client.post_form(f"/notifications/{note_id}/open", {}).status_code == 404
    assert client.post_form(f"/notifications/{note_id}/read", {}).status_code == 404
    with app.app_context():
        assert db.session.get_one(Notification, note_id).read_at is None


def test_marking_one_read_swaps_it_in_place(app: Flask, client, people, grid):
    (note_id,) = mention_manager(app, people, grid)
    client.sign_in(people["manager"])
    fragment = client.post_form(f"/notifications/{note_id}/read", {}, headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.startswith(f'<li id="notification-{note_id}"')
    assert "Mark as read" not in fragment.text
    full = client.post_form(f"/notifications/{note_id}/read", {})
    assert full.status_code == 303 and full.headers["Location"].endswith(
        f"/notifications#notification-{note_id}"
    )


def test_mark_all_read(app: Flask, client, people, grid):
    mention_manager(app, people, grid, times=3)
    client.sign_in(people["manager"])
    response = client.post_form("/notifications/read-all", {}, follow_redirects=True)
    assert "Marked 3 notifications as read." in response.text
    with app.app_context():
        assert notifications.unread_count(people["manager"].id) == 0


def test_a_bad_page_cursor_is_a_clear_400(app: Flask, client, people):
    client.sign_in(people["manager"])
    response = client.get("/notifications?before=soon")
    assert response.status_code == 400
    assert "“before” must be a whole number." in response.text


def test_older_notifications_are_a_page_away(app: Flask, client, people, grid):
    ids = mention_manager(app, people, grid, times=notifications.PAGE + 2)
    client.sign_in(people["manager"])
    first = client.get("/notifications")
    assert first.text.count('class="app-notification') == notifications.PAGE
    older = re.search(r'href="(/notifications\?before=\d+)" rel="next"', first.text)
    assert older
    second = client.get(older.group(1))
    assert second.text.count('class="app-notification') == 2
    assert f'id="notification-{ids[0]}"' in second.text


# --- Watching ---------------------------------------------------------------------------


def test_watching_a_cell_from_its_discussion_page(app: Flask, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    client.sign_in(people["other"])
    page = client.get(f"/cells/{cell_id}/comments")
    assert "Watch this cell" in page.text and "Watch all of Social work" in page.text
    fragment = client.post_form(
        f"/cells/{cell_id}/watch", {"what": "row", "watch": "on"}, headers=HX
    )
    assert fragment.status_code == 200
    assert fragment.text.startswith('<div id="watch"')
    assert "You are watching Social work." in fragment.text
    assert "Stop watching all of Social work" in fragment.text
    full = client.post_form(f"/cells/{cell_id}/watch", {"what": "cell", "watch": "on"})
    assert full.status_code == 303
    listed = client.get("/notifications")
    assert "The whole of <strong>Social work</strong>" in listed.text
    assert "Evidence for Social work" in listed.text


def test_someone_with_no_role_may_still_watch(app: Flask, client, people, grid):
    client.sign_in(people["reader"])
    response = client.post_form(
        f"/cells/{grid.cells[EVIDENCE]}/watch", {"what": "cell", "watch": "on"}
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    "form", [{}, {"what": "grid", "watch": "on"}, {"what": "cell", "watch": "maybe"}]
)
def test_a_watch_form_that_makes_no_sense_is_a_400(app: Flask, client, people, grid, form):
    client.sign_in(people["other"])
    response = client.post_form(f"/cells/{grid.cells[EVIDENCE]}/watch", form)
    assert response.status_code == 400
    assert "Choose to watch or stop watching" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Watch.id))) == 0


def test_watching_an_unknown_cell_is_404(app: Flask, client, people):
    client.sign_in(people["other"])
    assert client.post_form("/cells/999/watch", {"what": "cell", "watch": "on"}).status_code == 404


def test_stopping_a_watch_from_the_list_and_not_someone_else_s(app: Flask, client, people, grid):
    with app.app_context():
        notifications.set_watch(
            db.session.get_one(User, people["other"].id),
            db.session.get_one(Cell, grid.cells[EVIDENCE]),
            whole_row=True,
            on=True,
        )
        db.session.commit()
        watch_id = db.session.scalar(db.select(Watch.id))
    client.sign_in(people["contributor"])
    assert client.post_form(f"/watches/{watch_id}/stop", {}).status_code == 404
    client.sign_in(people["other"])
    response = client.post_form(f"/watches/{watch_id}/stop", {}, follow_redirects=True)
    assert "You stopped watching Social work." in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Watch.id))) == 0


def test_a_watcher_is_told_of_a_change_through_the_app(app: Flask, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    client.sign_in(people["other"])
    client.post_form(f"/cells/{cell_id}/watch", {"what": "cell", "watch": "on"})
    with app.app_context():
        cell = db.session.get_one(Cell, cell_id)
        grid_service.save_cell(
            db.session.get_one(User, people["contributor"].id),
            cell,
            expected_version=cell.version,
            text="Updated evidence",
        )
        db.session.commit()
    page = client.get("/notifications")
    assert "Cara Contributor changed Social work × Evidence" in page.text
    note = re.search(r'action="/notifications/(\d+)/open"', page.text)
    assert note
    assert (
        client.post_form(f"/notifications/{note.group(1)}/open", {})
        .headers["Location"]
        .endswith(f"/cells/{cell_id}")
    )


# --- Mentions ---------------------------------------------------------------------------


def test_suggestions_come_as_a_list_under_the_comment_box(app: Flask, client, people):
    client.sign_in(people["contributor"])
    fragment = client.get("/people/suggest?target=reply-4&q=mo", headers=HX)
    assert fragment.text.startswith('<div id="reply-4-suggestions"')
    assert 'data-mention="manager@example.org"' in fragment.text
    assert "1 person matches “mo”" in fragment.text
    page = client.get("/people/suggest?q=mo")
    assert "<h1" in page.text and "@manager@example.org" in page.text


def test_people_who_cannot_comment_get_no_suggestions(app: Flask, client, people):
    client.sign_in(people["reader"])
    assert client.get("/people/suggest?q=mo", headers=HX).status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("target=%22%3E%3Cscript%3E&q=mo", "must be the id of the text box"),
        ("q=" + "m" * 61, "at most 60 characters"),
    ],
)
def test_bad_suggestion_requests_are_a_clear_400(app: Flask, client, people, query, message):
    client.sign_in(people["contributor"])
    response = client.get(f"/people/suggest?{query}", headers=HX)
    assert response.status_code == 400
    assert message in response.text


def test_the_comment_boxes_offer_mentions(app: Flask, client, people, grid):
    client.sign_in(people["contributor"])
    page = client.get(f"/cells/{grid.cells[EVIDENCE]}/comments")
    assert 'data-mentions="/people/suggest?target=comment-body"' in page.text
    assert 'id="comment-body-suggestions"' in page.text


def test_a_mention_of_nobody_is_refused_next_to_the_box_keeping_the_words(
    app: Flask, client, people, grid
):
    client.sign_in(people["contributor"])
    body = "Over to @nobody@example.org"
    response = client.post_form(
        f"/cells/{grid.cells[EVIDENCE]}/comments", {"body": body}, headers=HX
    )
    assert response.status_code == 422
    assert 'id="comment-body-error"' in response.text
    assert "No one here has the address @nobody@example.org" in response.text
    assert f">{body}</textarea>" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Comment.id))) == 0


# --- Profile ----------------------------------------------------------------------------


def test_choosing_how_often_to_get_email(app: Flask, client, people):
    client.sign_in(people["manager"])
    page = client.get("/profile")
    assert (
        'value="immediate" aria-describedby="email-frequency-immediate-hint" checked' in page.text
    )
    response = client.post_form("/profile", {"email_frequency": "weekly"}, follow_redirects=True)
    assert "Your email choice has been saved." in response.text
    assert 'value="weekly" aria-describedby="email-frequency-weekly-hint" checked' in response.text
    with app.app_context():
        assert db.session.get_one(User, people["manager"].id).email_frequency == "weekly"
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.action == "user.email_frequency")
        )
        assert event is not None and event.actor_id == people["manager"].id


def test_an_unknown_email_choice_is_refused_next_to_the_field(app: Flask, client, people):
    client.sign_in(people["manager"])
    response = client.post_form("/profile", {"email_frequency": "hourly"})
    assert response.status_code == 422
    assert 'id="email-frequency-error"' in response.text
    assert "Choose straight away, once a day, once a week or never." in response.text
    with app.app_context():
        assert db.session.get_one(User, people["manager"].id).email_frequency == "immediate"


def test_nobody_changes_someone_else_s_email_choice(app: Flask, people):
    from grid_app.auth import service as auth_service
    from grid_app.errors import Forbidden

    with app.app_context():
        admin = db.session.get_one(User, people["admin"].id)
        manager = db.session.get_one(User, people["manager"].id)
        with pytest.raises(Forbidden):
            auth_service.set_email_frequency(admin, manager, "none")
