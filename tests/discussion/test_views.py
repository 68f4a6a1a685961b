"""Discussion as a person in a browser meets it: fragment and full page, and every refusal."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from grid_app.auth.models import User
from grid_app.discussion import service
from grid_app.discussion.models import Comment, CommentEdit
from grid_app.extensions import db
from grid_app.grid.models import Cell
from tests.conftest import HX, GridRef

EVIDENCE = ("Social work", "Evidence")


def comment_on(
    app: Flask,
    people,
    grid: GridRef,
    who="contributor",
    body="Where is the data?",
    parent_id=None,
    where=EVIDENCE,
) -> int:
    """Comment (or reply) through the service."""
    with app.app_context():
        comment = service.add_comment(
            db.session.get_one(User, people[who].id),
            db.session.get_one(Cell, grid.cells[where]),
            body=body,
            parent_id=parent_id,
        )
        db.session.commit()
        return comment.id


def resolve_as(app: Flask, people, comment_id: int, who="manager") -> None:
    with app.app_context():
        service.resolve(
            db.session.get_one(User, people[who].id), db.session.get_one(Comment, comment_id)
        )
        db.session.commit()


def stored(app: Flask, comment_id: int) -> Comment:
    with app.app_context():
        return db.session.get_one(Comment, comment_id)


def how_many(app: Flask, model=Comment) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def post_comment(client, cell_id: int, body: str, **kwargs):
    return client.post_form(f"/cells/{cell_id}/comments", {"body": body}, **kwargs)


def post_reply(client, comment_id: int, body: str, **kwargs):
    return client.post_form(f"/comments/{comment_id}/reply", {"body": body}, **kwargs)


def post_edit(client, comment_id: int, body: str, version: int = 1, **kwargs):
    return client.post_form(
        f"/comments/{comment_id}/edit", {"body": body, "version": str(version)}, **kwargs
    )


# --- A cell's discussion -----------------------------------------------------------------


def test_discussion_page_and_fragment_come_from_one_template(client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    client.sign_in(people["contributor"])
    page = client.get(f"/cells/{cell_id}/comments")
    assert page.status_code == 200 and "<html" in page.text
    assert "Discussion of evidence for Social work" in page.text
    assert "No one has commented on this cell yet." in page.text
    assert 'for="comment-body">Start a thread</label>' in page.text
    fragment = client.get(f"/cells/{cell_id}/comments", headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.startswith('<div id="discussion"') and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_commenting_without_javascript_redirects_back_to_the_thread(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    client.sign_in(people["contributor"])
    response = post_comment(client, cell_id, "Where is the **referral** data?")
    with app.app_context():
        comment_id = db.session.scalar(db.select(Comment.id))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cells/{cell_id}/comments#comment-{comment_id}"
    page = client.get(f"/cells/{cell_id}/comments")
    assert "Your comment has been added." in page.text
    assert "Where is the <strong>referral</strong> data?" in page.text
    assert "Cara Contributor" in page.text and "Resolve thread" in page.text


def test_commenting_with_htmx_swaps_the_discussion_with_a_fresh_form(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    client.sign_in(people["contributor"])
    response = post_comment(client, cell_id, "A _question_", headers=HX)
    assert response.status_code == 200
    assert response.text.startswith('<div id="discussion"')
    assert "Your comment has been added." in response.text
    assert "A <em>question</em>" in response.text
    # The new-thread box comes back empty.
    assert re.search(r'id="comment-body"[^>]*></textarea>', response.text)
    assert how_many(app) == 1


@pytest.mark.parametrize("headers", [None, HX], ids=["page", "fragment"])
@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write a comment."), ("   ", "Write a comment."), ("y" * 5_001, "5,000 or fewer")],
)
def test_bad_comment_is_422_next_to_the_field_keeping_the_typed_text(
    app, client, people, grid, headers, body, message
):
    client.sign_in(people["contributor"])
    response = post_comment(client, grid.cells[EVIDENCE], body, headers=headers)
    assert response.status_code == 422
    assert 'id="comment-body-error"' in response.text and message in response.text
    assert f">{body}</textarea>" in response.text
    assert ("<html" in response.text) == (headers is None)
    assert how_many(app) == 0


def test_reader_sees_the_discussion_but_cannot_comment(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    thread = comment_on(app, people, grid)
    client.sign_in(people["reader"])
    page = client.get(f"/cells/{cell_id}/comments")
    assert page.status_code == 200 and "Where is the data?" in page.text
    assert "Add comment" not in page.text and ">Reply<" not in page.text
    assert "Resolve thread" not in page.text and "/edit" not in page.text
    assert post_comment(client, cell_id, "Sneaky").status_code == 403
    assert post_reply(client, thread, "Sneaky").status_code == 403
    assert how_many(app) == 1


def test_commenting_without_a_csrf_token_is_refused(app, client, people, grid):
    client.sign_in(people["contributor"])
    response = client.post(f"/cells/{grid.cells[EVIDENCE]}/comments", data={"body": "x"})
    assert response.status_code == 400
    assert how_many(app) == 0


# --- Replies -------------------------------------------------------------------------------


def test_replying_without_javascript_redirects_to_the_reply(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    thread = comment_on(app, people, grid)
    client.sign_in(people["other"])
    response = post_reply(client, thread, "It is in the **annual** report.")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cells/{cell_id}/comments#comment-{thread + 1}"
    page = client.get(f"/cells/{cell_id}/comments")
    assert "Your reply has been added." in page.text
    assert "It is in the <strong>annual</strong> report." in page.text
    assert stored(app, thread + 1).parent_id == thread


def test_replying_with_htmx_swaps_the_discussion(app, client, people, grid):
    thread = comment_on(app, people, grid)
    client.sign_in(people["other"])
    response = post_reply(client, thread, "Answer", headers=HX)
    assert response.status_code == 200
    assert response.text.startswith('<div id="discussion"') and "Answer" in response.text
    assert "Your reply has been added." in response.text


@pytest.mark.parametrize("headers", [None, HX], ids=["page", "fragment"])
def test_empty_reply_is_422_next_to_its_field(app, client, people, grid, headers):
    thread = comment_on(app, people, grid)
    client.sign_in(people["other"])
    response = post_reply(client, thread, "  ", headers=headers)
    assert response.status_code == 422
    assert f'id="reply-{thread}-error"' in response.text and "Write a comment." in response.text
    assert ("<html" in response.text) == (headers is None)
    assert how_many(app) == 1


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("reply", "Reply to the thread, not to a reply."),
        ("deleted", "That comment was deleted"),
        ("resolved", "This thread is resolved; reopen it to reply."),
    ],
)
def test_replying_to_a_reply_a_deleted_or_a_resolved_comment_is_422_keeping_the_text(
    app, client, people, grid, state, message
):
    thread = comment_on(app, people, grid)
    target = thread
    if state == "reply":
        target = comment_on(app, people, grid, "other", "First reply", parent_id=thread)
    elif state == "deleted":
        comment_on(app, people, grid, "other", "A reply keeps it shown", parent_id=thread)
        client.sign_in(people["contributor"])
        assert client.post_form(f"/comments/{thread}/delete", {}).status_code == 303
    else:
        resolve_as(app, people, thread)
    client.sign_in(people["other"])
    before = how_many(app)
    response = post_reply(client, target, "Typed reply")
    assert response.status_code == 422
    assert f'id="reply-{target}-error"' in response.text and message in response.text
    assert ">Typed reply</textarea>" in response.text
    assert how_many(app) == before


def test_replying_to_an_unknown_comment_is_404(client, people, grid):
    client.sign_in(people["contributor"])
    assert post_reply(client, 99_999, "Hello").status_code == 404


# --- Editing and earlier wordings ---------------------------------------------------------


def test_edit_page_shows_the_comment_in_a_form(app, client, people, grid):
    comment = comment_on(app, people, grid, body="My *first* words")
    client.sign_in(people["contributor"])
    page = client.get(f"/comments/{comment}/edit")
    assert page.status_code == 200 and "Edit your comment" in page.text
    assert ">My *first* words</textarea>" in page.text
    assert '<input type="hidden" name="version" value="1">' in page.text


def test_author_edits_and_the_earlier_wording_is_viewable(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    comment = comment_on(app, people, grid, body="My *first* words")
    client.sign_in(people["contributor"])
    response = post_edit(client, comment, "My second words")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cells/{cell_id}/comments#comment-{comment}"
    page = client.get(f"/cells/{cell_id}/comments")
    assert "My second words" in page.text and f"/comments/{comment}/history" in page.text
    client.sign_in(people["reader"])
    history = client.get(f"/comments/{comment}/history")
    assert history.status_code == 200
    assert "My second words" in history.text and "My <em>first</em> words" in history.text
    assert how_many(app, CommentEdit) == 1


@pytest.mark.parametrize("body", ["", "z" * 5_001])
def test_bad_edit_is_422_keeping_the_typed_text(app, client, people, grid, body):
    comment = comment_on(app, people, grid)
    client.sign_in(people["contributor"])
    response = post_edit(client, comment, body)
    assert response.status_code == 422
    assert 'id="comment-body-error"' in response.text and f">{body}</textarea>" in response.text
    assert stored(app, comment).body == "Where is the data?"


def test_stale_edit_is_409_keeping_the_typed_text_and_showing_the_current_wording(
    app, client, new_client, people, grid
):
    comment = comment_on(app, people, grid)
    client.sign_in(people["contributor"])
    assert post_edit(client, comment, "Saved in another tab").status_code == 303
    response = post_edit(client, comment, "My typed words", version=1)
    assert response.status_code == 409
    assert ">My typed words</textarea>" in response.text
    assert "Saved in another tab" in response.text
    assert '<input type="hidden" name="version" value="2">' in response.text
    assert stored(app, comment).body == "Saved in another tab"


def test_missing_version_is_400(app, client, people, grid):
    comment = comment_on(app, people, grid)
    client.sign_in(people["contributor"])
    response = client.post_form(f"/comments/{comment}/edit", {"body": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["other", "manager", "admin", "reader"])
def test_only_the_author_may_edit_or_delete(app, client, people, grid, who):
    comment = comment_on(app, people, grid)
    client.sign_in(people[who])
    assert client.get(f"/comments/{comment}/edit").status_code == 403
    assert post_edit(client, comment, "Not mine").status_code == 403
    assert client.post_form(f"/comments/{comment}/delete", {}).status_code == 403
    assert client.post_form(f"/comments/{comment}/delete", {}, headers=HX).status_code == 403
    assert stored(app, comment).body == "Where is the data?"
    page = client.get(f"/cells/{grid.cells[EVIDENCE]}/comments")
    assert f"/comments/{comment}/edit" not in page.text


# --- Deleting -----------------------------------------------------------------------------


def test_deleting_without_javascript_keeps_the_thread_and_its_replies(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    thread = comment_on(app, people, grid, body="Doomed words")
    comment_on(app, people, grid, "other", "A reply that stays", parent_id=thread)
    client.sign_in(people["contributor"])
    response = client.post_form(f"/comments/{thread}/delete", {})
    assert response.status_code == 303
    page = client.get(f"/cells/{cell_id}/comments")
    assert "Your comment has been deleted." in page.text
    assert "Comment deleted" in page.text and "A reply that stays" in page.text
    assert "Doomed words" not in page.text
    assert (stored(app, thread).body, stored(app, thread).html) == ("", "")


def test_deleting_with_htmx_swaps_the_discussion(app, client, people, grid):
    thread = comment_on(app, people, grid, body="Doomed words")
    reply = comment_on(app, people, grid, "other", "Reply", parent_id=thread)
    client.sign_in(people["other"])
    response = client.post_form(f"/comments/{reply}/delete", {}, headers=HX)
    assert response.status_code == 200 and response.text.startswith('<div id="discussion"')
    assert "Comment deleted" in response.text and "Doomed words" in response.text


def test_a_deleted_comments_earlier_wording_is_not_shown(app, client, people, grid):
    comment = comment_on(app, people, grid, body="Private first words")
    client.sign_in(people["contributor"])
    post_edit(client, comment, "Second words")
    client.post_form(f"/comments/{comment}/delete", {})
    history = client.get(f"/comments/{comment}/history")
    assert history.status_code == 200
    assert "Private first words" not in history.text and "Comment deleted" in history.text


# --- Resolving ----------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [None, HX], ids=["page", "fragment"])
def test_manager_resolves_and_reopens_a_thread(app, client, people, grid, headers):
    cell_id = grid.cells[EVIDENCE]
    thread = comment_on(app, people, grid)
    client.sign_in(people["manager"])
    resolved = client.post_form(f"/comments/{thread}/resolve", {}, headers=headers)
    if headers:
        assert resolved.status_code == 200 and resolved.text.startswith('<div id="discussion"')
        assert "The thread has been resolved." in resolved.text
    else:
        assert resolved.status_code == 303
        assert resolved.headers["Location"] == f"/cells/{cell_id}/comments#comment-{thread}"
    page = client.get(f"/cells/{cell_id}/comments")
    assert "Resolved</strong> by Mo Manager" in page.text and "Reopen thread" in page.text
    assert f'id="reply-{thread}"' not in page.text
    assert stored(app, thread).resolved_by_id == people["manager"].id
    reopened = client.post_form(f"/comments/{thread}/reopen", {}, headers=headers)
    assert reopened.status_code == (200 if headers else 303)
    assert stored(app, thread).resolved_at is None


def test_resolving_twice_is_422(app, client, people, grid):
    thread = comment_on(app, people, grid)
    resolve_as(app, people, thread)
    client.sign_in(people["manager"])
    response = client.post_form(f"/comments/{thread}/resolve", {})
    assert response.status_code == 422 and "already resolved" in response.text


@pytest.mark.parametrize("who", ["other", "facilitator", "reader"])
def test_resolving_is_refused_to_people_who_are_not_author_owner_or_manager(
    app, client, people, grid, who
):
    thread = comment_on(app, people, grid)
    client.sign_in(people[who])
    assert client.post_form(f"/comments/{thread}/resolve", {}).status_code == 403
    assert client.post_form(f"/comments/{thread}/resolve", {}, headers=HX).status_code == 403
    page = client.get(f"/cells/{grid.cells[EVIDENCE]}/comments")
    assert "Resolve thread" not in page.text
    resolve_as(app, people, thread)
    assert client.post_form(f"/comments/{thread}/reopen", {}).status_code == 403
    assert stored(app, thread).resolved_at is not None


def test_unknown_ids_are_404_on_every_route(client, people, grid):
    client.sign_in(people["contributor"])
    assert client.get("/cells/99999/comments").status_code == 404
    assert post_comment(client, 99999, "x").status_code == 404
    assert client.get("/comments/99999/edit").status_code == 404
    assert post_edit(client, 99999, "x").status_code == 404
    assert client.get("/comments/99999/history").status_code == 404
    for action in ("reply", "delete", "resolve", "reopen"):
        assert client.post_form(f"/comments/99999/{action}", {"body": "x"}).status_code == 404


def test_every_route_sends_someone_signed_out_to_sign_in(app, client, people, grid):
    thread = comment_on(app, people, grid)
    cell_id = grid.cells[EVIDENCE]
    for url in (
        f"/cells/{cell_id}/comments",
        f"/comments/{thread}/edit",
        f"/comments/{thread}/history",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        assert client.get(url, headers=HX).headers["HX-Redirect"].startswith("/sign-in")
    assert post_comment(client, cell_id, "x").status_code == 302
    assert post_edit(client, thread, "x").status_code == 302
    for action in ("reply", "delete", "resolve", "reopen"):
        assert client.post_form(f"/comments/{thread}/{action}", {"body": "x"}).status_code == 302
    assert how_many(app) == 1 and stored(app, thread).body == "Where is the data?"
    assert stored(app, thread).resolved_at is None


# --- Cells show their open threads --------------------------------------------------------


def test_grid_cells_say_how_many_threads_are_open_in_words(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    for _ in range(3):
        comment_on(app, people, grid)
    resolve_as(app, people, comment_on(app, people, grid))
    client.sign_in(people["contributor"])
    page = client.get(f"/grids/{grid.slug}")
    assert (
        f'<a class="govuk-link app-badge app-badge--discussion" '
        f'href="/cells/{cell_id}/comments">3 open threads'
        '<span class="govuk-visually-hidden"> in Evidence for Social work</span></a>'
    ) in page.text
    assert page.text.count("app-badge--discussion") == 1


def test_cell_page_links_to_its_discussion_with_the_count(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    client.sign_in(people["contributor"])
    assert "Discussion of this cell (no open threads)" in client.get(f"/cells/{cell_id}").text
    comment_on(app, people, grid)
    assert "Discussion of this cell (1 open thread)" in client.get(f"/cells/{cell_id}").text


def test_grid_page_query_count_does_not_grow_with_comments(
    app, client, people, grid, count_queries
):
    client.sign_in(people["contributor"])
    comment_on(app, people, grid)
    with count_queries() as few:
        assert client.get(f"/grids/{grid.slug}").status_code == 200
    for where in grid.cells:
        for _ in range(3):
            thread = comment_on(app, people, grid, where=where)
            comment_on(app, people, grid, "other", "Reply", parent_id=thread, where=where)
    with count_queries() as many:
        page = client.get(f"/grids/{grid.slug}")
    assert page.text.count("3 open threads") + page.text.count("4 open threads") == len(grid.cells)
    assert len(many) == len(few)


def test_every_form_swaps_the_whole_discussion(app, client, people, grid):
    thread = comment_on(app, people, grid)
    client.sign_in(people["contributor"])
    page = client.get(f"/cells/{grid.cells[EVIDENCE]}/comments").text
    for url in (f"/comments/{thread}/reply", f"/comments/{thread}/delete"):
        assert f'hx-post="{url}" hx-target="#discussion" hx-swap="outerHTML"' in page


def test_comments_and_replies_are_in_the_activity_feed_under_its_filters(
    app: Flask, client, people, grid
):
    thread = comment_on(app, people, grid, body="@manager@example.org where is the **data**?")
    comment_on(app, people, grid, who="other", body="Coming soon.", parent_id=thread)
    gone = comment_on(app, people, grid, body="Never mind", where=("Youth Justice", "Evidence"))
    with app.app_context():
        service.delete(
            db.session.get_one(User, people["contributor"].id), db.session.get_one(Comment, gone)
        )
        db.session.commit()
    client.sign_in(people["manager"])
    feed = client.get(f"/grids/{grid.slug}/activity")
    assert "commented on" in feed.text and "replied in a thread on" in feed.text
    assert f'href="/cells/{grid.cells[EVIDENCE]}/comments#comment-{thread}"' in feed.text
    # Rendered, as the discussion shows it: the mention as a name, no Markdown stars.
    assert "“@Mo Manager where is the data?”" in feed.text
    assert "Never mind" not in feed.text
    only_other = client.get(f"/grids/{grid.slug}/activity?person={people['other'].id}")
    assert "replied in a thread on" in only_other.text
    assert "commented on" not in only_other.text
