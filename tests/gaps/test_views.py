"""Gap flags as a person in a browser meets them: fragment and full page, and every refusal."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask

from grid_app.auth.models import User
from grid_app.extensions import db
from grid_app.gaps import service
from grid_app.gaps.models import GapFlag, GapFlagEvent
from grid_app.gaps.service import Action
from grid_app.grid.models import Cell
from tests.conftest import HX, GridRef

EVIDENCE = ("Social work", "Evidence")
FUTURE = (date.today() + timedelta(days=14)).isoformat()


def flag_on(app: Flask, people, grid: GridRef, where=EVIDENCE, severity="high", status=None):
    """Raise a flag through the service (and move it on as a manager, if asked)."""
    with app.app_context():
        flag = service.raise_flag(
            db.session.get_one(User, people["contributor"].id),
            db.session.get_one(Cell, grid.cells[where]),
            what_is_missing="No data on who is referred",
            severity=severity,
        )
        if status is not None:
            service.change(
                db.session.get_one(User, people["manager"].id),
                flag,
                status,
                expected_version=1,
                note="Closed for the test",
            )
        db.session.commit()
        return flag.id


def stored(app: Flask) -> list[GapFlag]:
    with app.app_context():
        return list(db.session.scalars(db.select(GapFlag).order_by(GapFlag.id)))


def timeline(app: Flask, flag_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(GapFlagEvent.kind)
                .where(GapFlagEvent.flag_id == flag_id)
                .order_by(GapFlagEvent.id)
            )
        )


def raise_form(client, cell_id: int, what: str, severity: str = "medium", **kwargs):
    return client.post_form(
        f"/cells/{cell_id}/flags", {"what_is_missing": what, "severity": severity}, **kwargs
    )


def act(client, flag_id: int, action: str, version: int = 1, **fields: str):
    """Take a step through the flag page's one triage form."""
    headers = fields.pop("headers", None)
    return client.post_form(
        f"/flags/{flag_id}/triage",
        {"version": str(version), "step": action, **fields},
        headers=headers,
    )


# --- A cell's flags and raising one ----------------------------------------------------


def test_cell_flags_page_and_fragment_come_from_one_template(client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    client.sign_in(people["contributor"])
    page = client.get(f"/cells/{cell_id}/flags")
    assert page.status_code == 200
    assert "<html" in page.text and "Gaps in evidence for Social work" in page.text
    assert "No gaps have been flagged in this cell." in page.text
    assert '<label class="govuk-label govuk-label--s" for="what-is-missing">' in page.text
    fragment = client.get(f"/cells/{cell_id}/flags", headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.startswith('<div id="gap-flags"')
    assert "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_raising_without_javascript_redirects_back_to_the_list(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    client.sign_in(people["contributor"])
    response = raise_form(client, cell_id, "No referral data by ethnicity", "high")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cells/{cell_id}/flags"
    page = client.get(f"/cells/{cell_id}/flags")
    assert "The gap has been flagged." in page.text
    assert "No referral data by ethnicity" in page.text and "High" in page.text
    [flag] = stored(app)
    assert (flag.cell_id, flag.severity, flag.status) == (cell_id, "high", "open")
    assert timeline(app, flag.id) == ["raised"]


def test_raising_with_htmx_swaps_in_the_list_with_a_fresh_form(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    client.sign_in(people["contributor"])
    response = raise_form(client, cell_id, "No training records", "low", headers=HX)
    assert response.status_code == 200
    assert response.text.startswith('<div id="gap-flags"')
    assert "Gap flagged." in response.text and "No training records" in response.text
    assert (
        'aria-describedby="what-is-missing-hint"></textarea>' in response.text
    )  # the form is empty again
    assert len(stored(app)) == 1


@pytest.mark.parametrize("headers", [None, HX], ids=["page", "fragment"])
@pytest.mark.parametrize(
    ("what", "severity", "field", "message"),
    [
        ("", "low", "what-is-missing", "Describe what is missing."),
        ("y" * 2_001, "low", "what-is-missing", "keep it to 2,000 or fewer"),
        ("Typed words stay", "", "severity", "Choose how serious the gap is"),
        ("Typed words stay", "catastrophic", "severity", "Choose how serious the gap is"),
    ],
)
def test_bad_input_is_422_next_to_the_field_keeping_the_typed_text(
    app, client, people, grid, headers, what, severity, field, message
):
    cell_id = grid.cells[EVIDENCE]
    client.sign_in(people["contributor"])
    response = raise_form(client, cell_id, what, severity, headers=headers)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text and message in response.text
    assert f">{what}</textarea>" in response.text
    assert ("<html" in response.text) == (headers is None)
    assert stored(app) == []


def test_reader_sees_flags_but_cannot_raise_one(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    flag_on(app, people, grid)
    client.sign_in(people["reader"])
    page = client.get(f"/cells/{cell_id}/flags")
    assert page.status_code == 200 and "No data on who is referred" in page.text
    assert "Flag this gap" not in page.text
    refused = raise_form(client, cell_id, "Sneaky")
    assert refused.status_code == 403
    assert len(stored(app)) == 1


def test_raising_without_a_csrf_token_is_refused(app, client, people, grid):
    client.sign_in(people["contributor"])
    response = client.post(
        f"/cells/{grid.cells[EVIDENCE]}/flags", data={"what_is_missing": "x", "severity": "low"}
    )
    assert response.status_code == 400
    assert stored(app) == []


# --- One flag: its page and the manager's actions -------------------------------------


def test_flag_page_and_fragment_show_the_facts_and_timeline(app, client, people, grid):
    flag_id = flag_on(app, people, grid)
    client.sign_in(people["manager"])
    page = client.get(f"/flags/{flag_id}")
    assert page.status_code == 200 and "<html" in page.text
    assert "Gap in evidence for Social work" in page.text
    assert "Cara Contributor</strong>\n        flagged this gap" in page.text
    # One form, one button; only the steps open to an open flag.
    assert page.text.count('action="/flags/') == 1 and page.text.count(">Save this step<") == 1
    for step in ("acknowledge", "assign", "start", "resolve", "wont-fix"):
        assert f'name="step" type="radio" value="{step}"' in page.text
    assert 'value="reopen"' not in page.text
    fragment = client.get(f"/flags/{flag_id}", headers=HX)
    assert fragment.text.startswith('<div id="gap-flag"') and "<html" not in fragment.text


def test_contributor_sees_a_flag_without_the_managers_actions(app, client, people, grid):
    flag_id = flag_on(app, people, grid)
    client.sign_in(people["contributor"])
    page = client.get(f"/flags/{flag_id}")
    assert page.status_code == 200
    assert "Triage this gap" not in page.text and "/triage" not in page.text


@pytest.mark.parametrize("who", ["contributor", "facilitator", "reader"])
def test_every_action_is_refused_to_people_who_are_not_managers(app, client, people, grid, who):
    flag_id = flag_on(app, people, grid)
    client.sign_in(people[who])
    for action in Action:
        response = act(client, flag_id, action.value, note="n", owner=str(people[who].id))
        assert response.status_code == 403, action
    assert timeline(app, flag_id) == ["raised"]


def test_acknowledging_without_javascript_redirects_to_the_flag(app, client, people, grid):
    flag_id = flag_on(app, people, grid)
    client.sign_in(people["manager"])
    response = act(client, flag_id, "acknowledge", note="Seen, thanks")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/flags/{flag_id}"
    page = client.get(f"/flags/{flag_id}")
    assert "The gap flag is now acknowledged." in page.text
    assert "“Seen, thanks”" in page.text
    assert timeline(app, flag_id) == ["raised", "acknowledged"]


def test_assigning_with_htmx_swaps_the_flag_in_place(app, client, people, grid):
    flag_id = flag_on(app, people, grid)
    client.sign_in(people["manager"])
    response = act(
        client, flag_id, "assign", owner=str(people["other"].id), due_date=FUTURE, headers=HX
    )
    assert response.status_code == 200
    assert response.text.startswith('<div id="gap-flag"')
    assert "Done: the gap flag is now acknowledged." in response.text
    assert "assigned it to Olu Other, due" in response.text
    [flag] = stored(app)
    assert (flag.owner_id, flag.due_date.isoformat(), flag.version) == (
        people["other"].id,
        FUTURE,
        2,
    )


@pytest.mark.parametrize("headers", [None, HX], ids=["page", "fragment"])
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"owner": ""}, "assign-owner", "Choose who owns this gap."),
        ({"owner": "424242"}, "assign-owner", "Choose a person from the list"),
        ({"owner": "not-a-number"}, "assign-owner", "Choose a person from the list"),
        ({"owner": "other", "due_date": "2020-01-01"}, "assign-due-date", "in the past"),
        ({"owner": "other", "due_date": "31/02/2027"}, "assign-due-date", "Enter a real date"),
    ],
)
def test_bad_assignment_is_422_next_to_the_field_keeping_what_was_typed(
    app, client, people, grid, headers, fields, field, message
):
    flag_id = flag_on(app, people, grid)
    if fields["owner"] == "other":
        fields = {**fields, "owner": str(people["other"].id)}
    client.sign_in(people["manager"])
    response = act(client, flag_id, "assign", note="Typed note", headers=headers, **fields)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text and message in response.text
    assert ">Typed note</textarea>" in response.text
    if "due_date" in fields:
        assert f'value="{fields["due_date"]}"' in response.text
    assert ("<html" in response.text) == (headers is None)
    [flag] = stored(app)
    assert (flag.status, flag.owner_id, flag.version) == ("open", None, 1)
    assert timeline(app, flag_id) == ["raised"]


def test_resolving_without_a_note_is_422(app, client, people, grid):
    flag_id = flag_on(app, people, grid)
    client.sign_in(people["manager"])
    response = act(client, flag_id, "resolve", note="   ")
    assert response.status_code == 422
    assert 'id="triage-note-error"' in response.text
    assert "Say how the gap was resolved." in response.text
    assert timeline(app, flag_id) == ["raised"]


@pytest.mark.parametrize("headers", [None, HX], ids=["page", "fragment"])
def test_resolving_a_wont_fix_flag_is_422_with_the_reason_and_the_typed_note(
    app, client, people, grid, headers
):
    flag_id = flag_on(app, people, grid, status=Action.WONT_FIX)
    client.sign_in(people["manager"])
    response = act(client, flag_id, "resolve", version=2, note="Sorted after all", headers=headers)
    assert response.status_code == 422
    assert "cannot be resolved. Reopen it first." in response.text
    assert ">Sorted after all</textarea>" in response.text
    assert timeline(app, flag_id) == ["raised", "wont_fix"]


@pytest.mark.parametrize("headers", [None, HX], ids=["page", "fragment"])
def test_stale_version_is_409_keeping_the_typed_note(app, new_client, people, grid, headers):
    flag_id = flag_on(app, people, grid)
    first, second = new_client(), new_client()
    first.sign_in(people["manager"])
    second.sign_in(people["admin"])
    assert act(first, flag_id, "acknowledge").status_code == 303
    refused = act(second, flag_id, "wont-fix", note="Not ours to fix", headers=headers)
    assert refused.status_code == 409
    assert "Someone else changed this gap flag" in refused.text
    assert ">Not ours to fix</textarea>" in refused.text
    assert '<input type="hidden" name="version" value="2">' in refused.text
    assert timeline(app, flag_id) == ["raised", "acknowledged"]


def test_missing_version_is_400(app, client, people, grid):
    flag_id = flag_on(app, people, grid)
    client.sign_in(people["manager"])
    missing = client.post_form(f"/flags/{flag_id}/triage", {"step": "acknowledge", "note": "x"})
    assert missing.status_code == 400


@pytest.mark.parametrize("headers", [None, HX], ids=["page", "fragment"])
@pytest.mark.parametrize("step", ["", "delete"])
def test_a_step_not_chosen_or_not_open_to_the_flag_is_422_keeping_the_note(
    app, client, people, grid, headers, step
):
    flag_id = flag_on(app, people, grid)
    client.sign_in(people["manager"])
    response = act(client, flag_id, step, note="Typed note", headers=headers)
    assert response.status_code == 422
    assert 'id="triage-step-error"' in response.text
    assert "Choose the next step for this gap." in response.text
    assert ">Typed note</textarea>" in response.text
    assert timeline(app, flag_id) == ["raised"]


def test_the_chosen_step_stays_chosen_when_its_note_is_missing(app, client, people, grid):
    flag_id = flag_on(app, people, grid)
    client.sign_in(people["manager"])
    response = act(client, flag_id, "wont-fix", note="")
    assert response.status_code == 422
    assert 'value="wont-fix" checked' in response.text
    assert timeline(app, flag_id) == ["raised"]


def test_unknown_ids_are_404_on_every_route(client, people, grid):
    client.sign_in(people["manager"])
    assert client.get("/cells/99999/flags").status_code == 404
    assert raise_form(client, 99999, "x").status_code == 404
    assert client.get("/flags/99999").status_code == 404
    assert act(client, 99999, "acknowledge").status_code == 404
    assert client.get("/grids/no-such-grid/flags").status_code == 404


def test_every_route_sends_someone_signed_out_to_sign_in(app, client, people, grid):
    flag_id = flag_on(app, people, grid)
    cell_id = grid.cells[EVIDENCE]
    for url in (f"/cells/{cell_id}/flags", f"/flags/{flag_id}", f"/grids/{grid.slug}/flags"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        assert client.get(url, headers=HX).headers["HX-Redirect"].startswith("/sign-in")
    assert raise_form(client, cell_id, "x").status_code == 302
    assert act(client, flag_id, "acknowledge").status_code == 302
    assert len(stored(app)) == 1 and timeline(app, flag_id) == ["raised"]


# --- The grid's list -----------------------------------------------------------------


def test_grid_list_shows_open_flags_most_severe_first(app, client, people, grid):
    low = flag_on(app, people, grid, severity="low")
    high = flag_on(app, people, grid, ("Youth Justice", "Strategy"), severity="high")
    closed = flag_on(app, people, grid, severity="high", status=Action.RESOLVE)
    client.sign_in(people["reader"])
    page = client.get(f"/grids/{grid.slug}/flags")
    assert page.status_code == 200
    links = re.findall(r'href="/flags/(\d+)"', page.text)
    assert links == [str(high), str(low)] and str(closed) not in links
    assert "Strategy for Youth Justice" in page.text


def test_grid_list_filters_by_severity_and_status(app, client, people, grid):
    low = flag_on(app, people, grid, severity="low")
    flag_on(app, people, grid, severity="high")
    resolved = flag_on(app, people, grid, severity="high", status=Action.RESOLVE)
    client.sign_in(people["manager"])
    by_severity = client.get(f"/grids/{grid.slug}/flags?severity=low")
    assert re.findall(r'href="/flags/(\d+)"', by_severity.text) == [str(low)]
    by_status = client.get(f"/grids/{grid.slug}/flags?status=resolved")
    assert re.findall(r'href="/flags/(\d+)"', by_status.text) == [str(resolved)]
    everything = client.get(f"/grids/{grid.slug}/flags?status=&severity=high")
    assert len(re.findall(r'href="/flags/(\d+)"', everything.text)) == 2


def test_grid_list_refuses_an_unknown_filter_next_to_the_field(client, people, grid):
    client.sign_in(people["manager"])
    response = client.get(f"/grids/{grid.slug}/flags?severity=huge&status=lost")
    assert response.status_code == 422
    assert 'id="severity-error"' in response.text and 'id="status-error"' in response.text


# --- Cells show their open flags -------------------------------------------------------


def test_grid_cells_say_how_many_gaps_are_open_in_words(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    flag_on(app, people, grid, severity="high")
    flag_on(app, people, grid, severity="low")
    flag_on(app, people, grid, severity="high", status=Action.WONT_FIX)
    client.sign_in(people["contributor"])
    page = client.get(f"/grids/{grid.slug}")
    assert (
        f'<a class="govuk-link app-badge app-badge--gaps-high" href="/cells/{cell_id}/flags">'
        "2 open gap flags (1 high)"
        '<span class="govuk-visually-hidden"> in Evidence for Social work</span></a>'
    ) in page.text
    assert page.text.count("app-badge--") == 1


def test_cell_page_and_cell_fragment_show_the_open_flags(app, client, people, grid):
    cell_id = grid.cells[EVIDENCE]
    client.sign_in(people["contributor"])
    empty = client.get(f"/cells/{cell_id}")
    assert "Gap flags on this cell (no open gap flags)" in empty.text
    flag_on(app, people, grid, severity="low")
    page = client.get(f"/cells/{cell_id}")
    assert "Gap flags on this cell (1 open gap flag)" in page.text
    saved = client.post_form(f"/cells/{cell_id}", {"text": "Some data", "version": "1"}, headers=HX)
    assert saved.status_code == 200 and ">1 open gap flag<span" in saved.text


def test_grid_page_query_count_does_not_grow_with_flags(app, client, people, grid, count_queries):
    client.sign_in(people["contributor"])
    flag_on(app, people, grid)
    with count_queries() as few:
        assert client.get(f"/grids/{grid.slug}").status_code == 200
    for where in grid.cells:
        for severity in ("low", "medium", "high"):
            flag_on(app, people, grid, where, severity=severity)
    with count_queries() as many:
        page = client.get(f"/grids/{grid.slug}")
    assert page.text.count("app-badge--gaps-high") == len(grid.cells)
    assert len(many) == len(few)


def test_closed_flags_leave_the_count_when_closed_and_return_when_reopened(
    app, client, people, grid
):
    flag_id = flag_on(app, people, grid, status=Action.RESOLVE)
    client.sign_in(people["manager"])
    assert "open gap" not in client.get(f"/grids/{grid.slug}").text
    assert act(client, flag_id, "reopen", version=2, note="It came back").status_code == 303
    assert "1 open gap flag (1 high)" in client.get(f"/grids/{grid.slug}").text
    with app.app_context():
        assert db.session.get_one(GapFlag, flag_id).closed_at is None


def test_flag_steps_appear_in_the_activity_feed_and_follow_its_filters(app, client, people, grid):
    cell_id = grid.cells[("Youth Justice", "Evidence")]
    client.sign_in(people["contributor"])
    raised = client.post_form(
        f"/cells/{cell_id}/flags",
        {"what_is_missing": "Outcomes by ethnicity are not published.", "severity": "high"},
    )
    assert raised.status_code == 303
    feed = client.get(f"/grids/{grid.slug}/activity").text
    assert "flagged a high gap in" in feed
    assert "Outcomes by ethnicity are not published." in feed
    other = client.get(f"/grids/{grid.slug}/activity?person={people['other'].id}").text
    assert "flagged a high gap in" not in other
