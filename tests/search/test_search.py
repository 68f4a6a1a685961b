"""Search finds words as people type them, where they may see them, on both databases."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select

from grid_app.auth.models import User
from grid_app.database import utcnow
from grid_app.discussion import service as discussion
from grid_app.discussion.models import Comment
from grid_app.extensions import db
from grid_app.gaps import service as gaps
from grid_app.gaps.models import GapFlag
from grid_app.grid import service as grid_service
from grid_app.grid import structure
from grid_app.grid.models import Cell, Grid, ServiceArea
from tests.conftest import HX, Person
from tests.grid.test_markdown import PAYLOADS, assert_inert

RESULT = re.compile(r'<li class="app-result">(.*?)</li>', re.S)
EXCERPT = re.compile(r'app-result__excerpt">(.*?)</p>', re.S)


def save(app: Flask, person: Person, cell_id: int, text: str) -> None:
    with app.app_context():
        cell = db.session.get_one(Cell, cell_id)
        actor = db.session.get_one(User, person.id)
        grid_service.save_cell(actor, cell, expected_version=cell.version, text=text)
        db.session.commit()


def comment(app: Flask, person: Person, cell_id: int, body: str) -> int:
    with app.app_context():
        actor = db.session.get_one(User, person.id)
        made = discussion.add_comment(actor, db.session.get_one(Cell, cell_id), body=body)
        db.session.commit()
        return made.id


def flag(app: Flask, person: Person, cell_id: int, what: str, note: str = "") -> int:
    with app.app_context():
        actor = db.session.get_one(User, person.id)
        raised = gaps.raise_flag(
            actor, db.session.get_one(Cell, cell_id), what_is_missing=what, severity="high"
        )
        if note:
            gaps.change(
                actor, raised, gaps.Action.ACKNOWLEDGE, expected_version=raised.version, note=note
            )
        db.session.commit()
        return raised.id


def results(client, **params) -> list[str]:
    """Each result on the results page, as its text."""
    page = client.get("/search", query_string=params)
    assert page.status_code == 200, page.text
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", "", r)).split()) for r in RESULT.findall(page.text)
    ]


def excerpts(client, **params) -> list[str]:
    page = client.get("/search", query_string=params)
    assert page.status_code == 200, page.text
    return EXCERPT.findall(page.text)


@pytest.fixture
def words(app, people, grid):
    """Cells, a comment and a flag with words to find."""
    manager = people["manager"]
    save(
        app,
        people["contributor"],
        grid.cells[("Social work", "Strategy")],
        "Reverse **mentoring** for black staff, with a café network.",
    )
    save(
        app,
        people["other"],
        grid.cells[("Youth Justice", "Evidence")],
        "Staff survey: black and minority ethnic staff feel unheard.",
    )
    comment(
        app,
        people["other"],
        grid.cells[("Social work", "Evidence")],
        "Could the mentors meet quarterly?",
    )
    flag(
        app,
        manager,
        grid.cells[("Youth Justice", "Strategy")],
        "No exit interviews by ethnicity",
        note="Waiting on the HR dashboard",
    )
    return grid


def test_words_are_found_however_they_end_and_whatever_their_case_or_accents(client, people, words):
    client.sign_in(people["reader"])
    found = results(client, q="MENTORS")
    assert len(found) == 2
    assert any("Strategy for Social work" in r for r in found)
    assert any("mentors meet quarterly" in r for r in found)
    assert len(results(client, q="cafe")) == 1


def test_phrases_exclusions_and_or(client, people, words):
    client.sign_in(people["contributor"])
    assert len(results(client, q='"black staff"')) == 1
    assert len(results(client, q="black staff")) == 2
    assert len(results(client, q="staff -survey")) == 1
    assert len(results(client, q="interviews OR quarterly")) == 2
    assert len(results(client, q="nothing-like-this")) == 0


def test_matched_words_are_marked_in_the_excerpt(client, people, words):
    client.sign_in(people["contributor"])
    (excerpt,) = excerpts(client, q="mentoring", kind="cell")
    assert "Reverse <mark>mentoring</mark> for black staff" in excerpt
    assert "**" not in excerpt


def test_each_result_names_its_place_and_links_there(app, client, people, words):
    client.sign_in(people["contributor"])
    page = client.get("/search", query_string={"q": "quarterly"}).text
    with app.app_context():
        comment_id = db.session.scalar(select(Comment.id))
    cell = words.cells[("Social work", "Evidence")]
    assert f'href="/cells/{cell}/comments#comment-{comment_id}"' in page
    assert "Discussion of evidence for Social work" in page
    assert "by Olu Other" in page
    page = client.get("/search", query_string={"q": "mentoring"}).text
    strategy = words.cells[("Social work", "Strategy")]
    assert re.search(rf'href="/grids/{words.slug}\?open=\d+#cell-{strategy}"', page)


def test_flags_are_found_by_what_is_missing_and_by_their_notes(app, client, people, words):
    client.sign_in(people["contributor"])
    with app.app_context():
        flag_id = db.session.scalar(select(GapFlag.id))
    by_what = client.get("/search", query_string={"q": "interviews"}).text
    assert f'href="/flags/{flag_id}"' in by_what
    assert "Gap in strategy for Youth Justice" in by_what
    # The flag's first step repeats what is missing: found once, as the flag.
    assert len(RESULT.findall(by_what)) == 1
    by_note = client.get("/search", query_string={"q": "dashboard"}).text
    assert re.search(rf'href="/flags/{flag_id}#step-\d+"', by_note)
    assert "Note on a gap flag" in by_note
    assert len(results(client, q="interviews dashboard")) == 0
    assert len(results(client, q="dashboard", kind="flag")) == 1


def test_the_index_follows_every_change_in_the_same_transaction(app, client, people, words):
    cell = words.cells[("Social work", "Strategy")]
    save(app, people["contributor"], cell, "Coaching circles instead.")
    client.sign_in(people["contributor"])
    assert results(client, q="mentoring", kind="cell") == []
    assert len(results(client, q="coaching")) == 1
    # What the cell said before is found among its earlier versions, and only when asked.
    earlier = [r for r in results(client, q="mentoring", history="y") if "Earlier" in r]
    assert len(earlier) == 1 and "Version 1 of strategy for Social work" in earlier[0]
    assert len(results(client, q="mentoring", kind="history")) == 1


def test_deleted_comments_are_never_found(app, client, people, grid):
    cell = grid.cells[("Social work", "Evidence")]
    mine = comment(app, people["other"], cell, "A thought about apprenticeships")
    with app.app_context():
        discussion.delete(
            db.session.get_one(User, people["other"].id), db.session.get_one(Comment, mine)
        )
        db.session.commit()
    client.sign_in(people["other"])
    assert results(client, q="apprenticeships") == []


def test_filters_narrow_by_place_kind_person_and_date(client, people, words):
    grid = words
    client.sign_in(people["manager"])
    with client.application.app_context():
        rows = {r.name: r.id for r in db.session.scalars(select(ServiceArea))}
        grid_id = db.session.scalar(select(Grid.id))
    assert len(results(client, q="staff")) == 2
    assert len(results(client, q="staff", row=rows["Youth Justice"])) == 1
    assert len(results(client, q="staff", person=people["other"].id)) == 1
    assert len(results(client, q="staff", person=people["admin"].id)) == 0
    assert len(results(client, q="staff", grid=grid_id)) == 2
    assert len(results(client, q="mentors", kind="comment")) == 1
    today = utcnow().date()
    assert len(results(client, q="staff", since=str(today), until=str(today))) == 2
    tomorrow = today + timedelta(days=1)
    assert results(client, q="staff", since=str(tomorrow)) == []
    assert grid.slug


def test_newest_first_and_pages_by_cursor_without_gaps_or_repeats(app, client, people, grid):
    cell = grid.cells[("Social work", "Evidence")]
    made = [comment(app, people["other"], cell, f"Budget note number {n}") for n in range(45)]
    client.sign_in(people["contributor"])
    seen: list[str] = []
    url = "/search?" + "q=budget&sort=newest"
    pages = 0
    while url:
        page = client.get(url).text
        pages += 1
        seen += re.findall(r"Budget note number (\d+)", re.sub(r"</?mark>", "", page))
        found = re.search(r'href="([^"]+)" rel="next"', page)
        url = unescape(found.group(1)) if found else ""
    assert pages == 3
    assert seen == [str(n) for n in reversed(range(45))]
    assert len(made) == 45
    # By relevance every one is found once too.
    relevant: list[str] = []
    url = "/search?q=budget"
    while url:
        page = client.get(url).text
        relevant += re.findall(r"Budget note number (\d+)", re.sub(r"</?mark>", "", page))
        found = re.search(r'href="([^"]+)" rel="next"', page)
        url = unescape(found.group(1)) if found else ""
    assert sorted(relevant, key=int) == [str(n) for n in range(45)]


def test_archived_service_areas_are_searched_for_admins_only(
    app, client, new_client, people, words
):
    with app.app_context():
        grid = db.session.scalar(select(Grid))
        row = db.session.scalar(select(ServiceArea).where(ServiceArea.name == "Youth Justice"))
        admin = db.session.get_one(User, people["admin"].id)
        structure.set_archived(
            admin, grid, expected_version=grid.structure_version, part=row, archived=True
        )
        db.session.commit()
    for who in ("reader", "contributor", "manager", "facilitator"):
        browser = new_client()
        browser.sign_in(people[who])
        assert results(browser, q="unheard") == [], who
        assert results(browser, q="interviews") == [], who
        assert len(results(browser, q="mentoring")) == 2, who
    client.sign_in(people["admin"])
    (found,) = results(client, q="unheard")
    assert "Archived" in found
    page = client.get("/search", query_string={"q": "unheard"}).text
    cell = words.cells[("Youth Justice", "Evidence")]
    assert f'href="/cells/{cell}"' in page
    assert len(results(client, q="interviews")) == 1


@pytest.mark.parametrize("who", ["reader", "contributor", "manager", "admin", "facilitator"])
def test_everyone_signed_in_can_search_what_the_grid_shows_them(client, people, words, who):
    client.sign_in(people[who])
    assert len(results(client, q="staff")) == 2


def test_someone_signed_out_is_sent_to_sign_in(client, words):
    for url in ("/search?q=staff", "/search/suggest?q=staff"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]
    response = client.get("/search/suggest?q=staff", headers=HX)
    assert response.status_code == 401
    assert "mentoring" not in response.text


def test_payloads_found_by_search_are_shown_as_text(app, client, people, grid):
    cell = grid.cells[("Social work", "Strategy")]
    save(app, people["contributor"], cell, "\n\n".join(f"{p} zebra" for p in PAYLOADS))
    comment(app, people["other"], cell, " ".join(PAYLOADS) + " zebra")
    client.sign_in(people["contributor"])
    for params in ({"q": "zebra"}, {"q": "alert"}, {"q": "script"}, {"q": "onerror"}):
        page = client.get("/search", query_string=params)
        assert page.status_code == 200
        found = EXCERPT.findall(page.text)
        assert found, params
        for excerpt in found:
            assert_inert(excerpt)
            assert re.sub(r"</?mark>", "", excerpt).count("<") == 0, excerpt
        suggested = client.get("/search/suggest", query_string=params, headers=HX)
        assert_inert(re.sub(r'<a class="app-search__suggestion" href="[^"]+">', "", suggested.text))


def test_a_word_in_the_search_box_is_never_markup(client, people, words):
    client.sign_in(people["contributor"])
    page = client.get("/search", query_string={"q": "<img src=x onerror=alert(1)> staff"})
    assert page.status_code == 200
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt; staff" in page.text


def test_the_results_page_takes_the_same_number_of_queries_for_one_result_or_a_page(
    app, client, people, grid, count_queries
):
    cell = grid.cells[("Social work", "Evidence")]
    comment(app, people["other"], cell, "Rota")
    save(app, people["other"], cell, "Rota for cover")
    client.sign_in(people["contributor"])
    with count_queries() as one:
        assert len(results(client, q="rota")) == 2
    for n in range(25):
        comment(app, people["other"], grid.cells[("Youth Justice", "Evidence")], f"Rota {n}")
        save(app, people["other"], grid.cells[("Youth Justice", "Strategy")], f"Rota {n}")
    with count_queries() as many:
        assert len(results(client, q="rota")) == 20
    assert len(many) == len(one)
