"""The live poll: cheap when nothing changed, changed cells as out-of-band swaps otherwise."""

from __future__ import annotations

import re
from datetime import timedelta

from grid_app.auth.models import UserSession
from grid_app.extensions import db
from tests.conftest import HX


def poll_url(page_html: str) -> str:
    match = re.search(r'id="grid-live" hx-get="([^"]+)"', page_html)
    assert match, "the grid page has a live poller"
    return match.group(1).replace("&amp;", "&")


def test_poll_with_nothing_new_is_an_empty_204(client, people, grid, count_queries):
    client.sign_in(people["contributor"])
    url = poll_url(client.get(f"/grids/{grid.slug}").text)
    with count_queries() as seen:
        response = client.get(url, headers=HX)
    assert response.status_code == 204
    assert response.data == b""
    # Session, roles, grid and one indexed MAX: nothing is rendered.
    assert len(seen) <= 5, seen


def test_poll_sends_cells_changed_by_others_as_out_of_band_swaps(
    app, client, new_client, people, grid
):
    client.sign_in(people["contributor"])
    url = poll_url(client.get(f"/grids/{grid.slug}").text)
    other = new_client()
    other.sign_in(people["other"])
    cell_id = grid.cells[("Youth Justice", "Evidence")]
    other.post_form(f"/cells/{cell_id}", {"text": "Published quarterly.", "version": "1"})

    response = client.get(url, headers=HX)
    assert response.status_code == 200
    html = response.text
    assert f'<div id="cell-{cell_id}" class="app-cell app-cell--fresh"' in html
    assert 'hx-swap-oob="true"' in html
    assert "Published quarterly." in html and "Changed by Olu Other just now" in html
    assert 'data-updated-by="Olu Other"' in html
    assert "Evidence for Youth Justice was changed by Olu Other." in html
    # Only the changed cell is sent, and the poller moves on so the next poll is empty.
    assert html.count('<div id="cell-') == 1
    assert client.get(poll_url(html), headers=HX).status_code == 204


def test_poll_leaves_out_the_persons_own_changes(client, people, grid):
    client.sign_in(people["contributor"])
    url = poll_url(client.get(f"/grids/{grid.slug}").text)
    cell_id = grid.cells[("Social work", "Strategy")]
    client.post_form(f"/cells/{cell_id}", {"text": "Mine", "version": "1"})
    response = client.get(url, headers=HX)
    assert response.status_code == 200
    assert '<div id="cell-' not in response.text
    assert 'id="grid-live"' in response.text


def test_poll_after_a_structural_change_asks_for_a_reload(client, new_client, people, grid):
    client.sign_in(people["contributor"])
    url = poll_url(client.get(f"/grids/{grid.slug}").text)
    admin = new_client()
    admin.sign_in(people["admin"])
    admin.post_form(
        f"/grids/{grid.slug}/structure", {"version": "1", "action": "add-row", "name": "New"}
    )
    response = client.get(url, headers=HX)
    assert "Reload the grid" in response.text


def test_poll_without_htmx_goes_to_the_grid_page(client, people, grid):
    client.sign_in(people["contributor"])
    response = client.get(f"/grids/{grid.slug}/updates?after=0&structure=1")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/grids/{grid.slug}"


def test_poll_with_garbled_cursor_is_400(client, people, grid):
    client.sign_in(people["contributor"])
    assert client.get(f"/grids/{grid.slug}/updates?after=x", headers=HX).status_code == 400


def test_poll_after_sign_out_redirects_the_whole_page(client, people, grid):
    response = client.get(f"/grids/{grid.slug}/updates?after=0&structure=1", headers=HX)
    assert response.status_code == 401 and "HX-Redirect" in response.headers


def test_polling_does_not_keep_an_idle_session_alive(app, client, people, grid):
    client.sign_in(people["contributor"])
    url = poll_url(client.get(f"/grids/{grid.slug}").text)
    with app.app_context():
        for record in db.session.scalars(db.select(UserSession)):
            record.last_seen_at -= timedelta(minutes=10)
        db.session.commit()
        before = db.session.scalars(db.select(UserSession.last_seen_at)).one()
    client.get(url, headers=HX)
    with app.app_context():
        assert db.session.scalars(db.select(UserSession.last_seen_at)).one() == before
