"""The search page's answers to bad input, the suggestions, and rebuilding the indexes."""

from __future__ import annotations

import re

from sqlalchemy import text

from grid_app.extensions import db
from tests.conftest import HX
from tests.search.test_search import comment, results, save


def test_the_header_holds_a_search_box_on_every_page(client, people, grid):
    client.sign_in(people["reader"])
    for url in (f"/grids/{grid.slug}", "/profile", "/safe-space/"):
        page = client.get(url).text
        assert 'role="search"' in page, url
        assert 'action="/search"' in page and 'name="q"' in page, url


def test_the_search_page_without_words_explains_itself(client, people, grid):
    client.sign_in(people["contributor"])
    page = client.get("/search")
    assert page.status_code == 200
    assert "never looks in safe-space sessions" in page.text


def test_nothing_found_says_so_and_offers_to_drop_the_filters(app, client, people, grid):
    save(app, people["contributor"], grid.cells[("Social work", "Strategy")], "Mentoring")
    client.sign_in(people["contributor"])
    page = client.get("/search", query_string={"q": "mentoring", "kind": "comment"}).text
    assert "No results" in page
    assert "with these filters" in page
    assert 'href="/search?q=mentoring">Search again without the filters' in page
    page = client.get("/search", query_string={"q": "zeppelin"}).text
    assert "Nothing you can see matches “zeppelin”" in page
    assert "Include earlier versions of cells</a>" in page


def error_next_to(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}-error"[^>]*>(.*?)</p>', page, re.S)
    assert found, field_id
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_bad_input_is_refused_next_to_its_field_and_kept(client, people, grid):
    client.sign_in(people["contributor"])
    cases = [
        ({"q": "x" * 201}, "search-q", "200 characters or fewer"),
        ({"q": "-pilot"}, "search-q", "at least one word"),
        ({"q": "staff", "kind": "contribution"}, "search-kind", "from the list"),
        ({"q": "staff", "row": "999"}, "search-row", "from the list"),
        ({"q": "staff", "person": "abc"}, "search-person", "from the list"),
        ({"q": "staff", "since": "2026-13-40"}, "search-since", ""),
        (
            {"q": "staff", "since": "2026-05-02", "until": "2026-05-01"},
            "search-until",
            "on or after",
        ),
        ({"q": "staff", "sort": "loudest"}, "search-sort", "from the list"),
    ]
    for params, field, message in cases:
        page = client.get("/search", query_string=params)
        assert page.status_code == 422, params
        assert message in error_next_to(page.text, field), params
        if "q" in params and len(params["q"]) < 50:
            assert f'value="{params["q"]}"' in page.text


def test_a_broken_page_link_is_a_400_with_a_way_back(app, client, people, grid):
    client.sign_in(people["contributor"])
    for after in ("nonsense", "r.1.0.1x", "n.1.0.1", "n.20261301000000.000000.0.1", "r.1.9.1"):
        page = client.get("/search", query_string={"q": "staff", "after": after})
        assert page.status_code == 400, after
        assert "That page link is broken" in page.text


def test_a_page_link_for_the_other_order_is_refused(app, client, people, grid):
    cell = grid.cells[("Social work", "Evidence")]
    for n in range(21):
        comment(app, people["other"], cell, f"Budget {n}")
    client.sign_in(people["contributor"])
    page = client.get("/search", query_string={"q": "budget"}).text
    after = re.search(r"after=([^&\"]+)", page).group(1)
    assert client.get(f"/search?q=budget&after={after}").status_code == 200
    assert client.get(f"/search?q=budget&sort=newest&after={after}").status_code == 400


def test_suggestions_are_one_fragment_for_htmx_and_the_results_page_without_it(
    app, client, people, grid
):
    save(app, people["contributor"], grid.cells[("Social work", "Strategy")], "Mentoring scheme")
    client.sign_in(people["contributor"])
    partial = client.get("/search/suggest", query_string={"q": "mentorin"}, headers=HX)
    assert partial.status_code == 200
    body = partial.text.strip()
    assert body.startswith('<div id="app-search-suggestions"') and body.endswith("</div>")
    assert body.count('id="app-search-suggestions"') == 1
    assert "<mark>Mentoring</mark> scheme" in body
    assert 'role="status"' in body
    assert 'href="/search?q=mentorin"' in body
    nothing = client.get("/search/suggest", query_string={"q": "zeppelin"}, headers=HX).text
    assert "Nothing matches “zeppelin” yet" in nothing
    empty = client.get("/search/suggest", query_string={"q": ""}, headers=HX).text
    assert "hidden" in empty.split(">")[0]
    plain = client.get("/search/suggest", query_string={"q": "mentorin"})
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith("/search?q=mentorin")


def test_rebuild_search_builds_the_indexes_from_what_is_there(app, client, people, grid):
    save(app, people["contributor"], grid.cells[("Social work", "Strategy")], "Mentoring")
    client.sign_in(people["contributor"])
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        if sqlite:
            # An index emptied behind the app's back finds nothing until it is rebuilt.
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO search_cell (search_cell) VALUES ('delete-all')"))
    if sqlite:
        assert results(client, q="mentoring") == []
    outcome = app.test_cli_runner().invoke(args=["rebuild-search"])
    assert outcome.exit_code == 0, outcome.output
    assert "Search indexes rebuilt." in outcome.output
    assert len(results(client, q="mentoring")) == 1
