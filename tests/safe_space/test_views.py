"""Sessions on the web: who is refused where, bad input, fragments, privacy headers and the
audit of reads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from grid_app.audit.models import AuditEvent
from grid_app.auth import service as auth_service
from grid_app.auth.models import OPERATOR, Role
from grid_app.extensions import db
from grid_app.grid.models import Cell
from grid_app.safe_space import service
from grid_app.safe_space.models import (
    Contribution,
    Insight,
    SafeSpaceSession,
    Theme,
    WaitingContribution,
)
from tests.conftest import HX, PASSWORD, GridRef, Person
from tests.safe_space.conftest import SessionRef, contribute, held, user

EVIDENCE = ("Social work", "Evidence")


@dataclass(frozen=True)
class Scene:
    """A session with a named and an anonymous contribution, a theme and an insight."""

    session: SessionRef
    named: str
    anonymous: str
    receipt: str
    theme: int
    insight: int


@pytest.fixture
def scene(app: Flask, people, safe_session: SessionRef, grid: GridRef) -> Scene:
    named, _ = contribute(app, people["contributor"], safe_session, "NAMED-WORDS said aloud")
    anonymous, receipt = contribute(app, people["other"], safe_session, "ANON-WORDS", True)
    assert receipt
    with app.app_context():
        facilitator = user(people["facilitator"])
        theme = service.create_theme(facilitator, held(safe_session.id), "Being overlooked")
        service.move_contributions(facilitator, held(safe_session.id), [named, anonymous], theme.id)
        insight = service.draft_insight(facilitator, held(safe_session.id), theme.id, "A summary")
        db.session.commit()
        return Scene(safe_session, named, anonymous, receipt, theme.id, insight.id)


def routes(s: Scene) -> list[tuple[str, str]]:
    """Every route of one session, with the method that uses it."""
    base = s.session.url
    return [
        ("GET", base),
        ("GET", f"{base}/settings"),
        ("POST", f"{base}/settings"),
        ("POST", f"{base}/accept"),
        ("GET", f"{base}/close"),
        ("POST", f"{base}/close"),
        ("POST", f"{base}/reopen"),
        ("POST", f"{base}/contributions"),
        ("GET", f"{base}/contributions/{s.named}/edit"),
        ("POST", f"{base}/contributions/{s.named}/edit"),
        ("GET", f"{base}/contributions/{s.named}/withdraw"),
        ("POST", f"{base}/contributions/{s.named}/withdraw"),
        ("GET", f"{base}/withdraw"),
        ("GET", f"{base}/receipt"),
        ("POST", f"{base}/withdraw"),
        ("POST", f"{base}/contributions/{s.anonymous}/moderate"),
        ("POST", f"{base}/contributions/theme"),
        ("POST", f"{base}/seal"),
        ("POST", f"{base}/themes"),
        ("GET", f"{base}/themes/{s.theme}"),
        ("POST", f"{base}/themes/{s.theme}"),
        ("POST", f"{base}/themes/{s.theme}/merge"),
        ("POST", f"{base}/insights"),
        ("GET", f"{base}/insights/{s.insight}"),
        ("POST", f"{base}/insights/{s.insight}"),
        ("POST", f"{base}/insights/{s.insight}/consent"),
        ("POST", f"{base}/insights/{s.insight}/group-consent"),
        ("POST", f"{base}/insights/{s.insight}/promote"),
        ("POST", f"{base}/insights/{s.insight}/reviewed"),
        ("GET", f"{base}/summary.md"),
        ("GET", f"{base}/summary.md?raw=1"),
    ]


def call(client, method: str, url: str, data: dict[str, str] | None = None, **kwargs):
    if method == "GET":
        return client.get(url, **kwargs)
    return client.post_form(url, data or {}, **kwargs)


def stored_words(app: Flask) -> list[str | None]:
    with app.app_context():
        return sorted((c.body or "") for c in db.session.scalars(db.select(Contribution)))


@pytest.mark.parametrize("who", ["manager", "admin", "reader", "facilitator-elsewhere"])
def test_every_session_route_refuses_people_outside_the_session(app, client, people, scene, who):
    if who == "facilitator-elsewhere":
        with app.app_context():
            auth_service.create_user(
                OPERATOR,
                "fola@example.org",
                "Fola Other",
                PASSWORD,
                roles=[Role.FACILITATOR, Role.ADMIN],
            )
            db.session.commit()
        client.sign_in(Person(0, "fola@example.org", "Fola Other"))
    else:
        client.sign_in(people[who])
    before = stored_words(app)
    for method, url in routes(scene):
        response = call(
            client, method, url, {"body": "x", "name": "x", "text": "x", "theme": str(scene.theme)}
        )
        assert response.status_code == 403, (method, url, response.status_code)
        assert "ANON-WORDS" not in response.text and "NAMED-WORDS" not in response.text
        assert "Only this session" in response.text
    assert stored_words(app) == before


def test_signed_out_visitors_are_sent_to_sign_in(client, scene):
    for method, url in routes(scene):
        response = call(client, method, url)
        assert response.status_code == 302, (method, url)
        assert "/sign-in" in response.headers["Location"]


FACILITATOR_ONLY = [
    ("GET", "/settings"),
    ("POST", "/settings"),
    ("GET", "/close"),
    ("POST", "/close"),
    ("POST", "/reopen"),
    ("POST", "/contributions/{anonymous}/moderate"),
    ("POST", "/contributions/theme"),
    ("POST", "/seal"),
    ("POST", "/themes"),
    ("GET", "/themes/{theme}"),
    ("POST", "/themes/{theme}"),
    ("POST", "/themes/{theme}/merge"),
    ("POST", "/insights"),
    ("POST", "/insights/{insight}"),
    ("POST", "/insights/{insight}/group-consent"),
    ("POST", "/insights/{insight}/promote"),
    ("POST", "/insights/{insight}/reviewed"),
    ("GET", "/summary.md?raw=1"),
]


def test_participants_cannot_do_what_only_the_facilitator_does(app, client, people, scene):
    client.sign_in(people["contributor"])
    for method, path in FACILITATOR_ONLY:
        url = scene.session.url + path.format(
            anonymous=scene.anonymous, theme=scene.theme, insight=scene.insight
        )
        response = call(client, method, url, {"name": "x", "text": "x", "note": "x", "hidden": "1"})
        assert response.status_code == 403, (method, url)
    with app.app_context():
        assert not db.session.get_one(Contribution, scene.anonymous).hidden
        assert db.session.get_one(SafeSpaceSession, scene.session.id).is_open


def test_people_cannot_change_someone_elses_named_contribution(app, client, people, scene):
    client.sign_in(people["other"])
    base = f"{scene.session.url}/contributions/{scene.named}"
    assert client.get(f"{base}/edit").status_code == 403
    assert client.post_form(f"{base}/edit", {"body": "hijacked"}).status_code == 403
    assert client.get(f"{base}/withdraw").status_code == 403
    assert client.post_form(f"{base}/withdraw", {}).status_code == 403
    assert "NAMED-WORDS said aloud" in stored_words(app)


def test_the_facilitator_cannot_contribute_or_consent_for_others(client, people, scene):
    client.sign_in(people["facilitator"])
    assert (
        client.post_form(
            f"{scene.session.url}/contributions", {"body": "Mine", "anonymous": "n"}
        ).status_code
        == 403
    )
    refused = client.post_form(
        f"{scene.session.url}/insights/{scene.insight}/consent", {"decision": "agree"}
    )
    assert refused.status_code == 403


def test_invited_people_see_the_rules_and_signposting_before_joining_but_no_contributions(
    app, client, people, scene
):
    with app.app_context():
        session = held(scene.session.id)
        service.update_meeting(
            user(people["facilitator"]),
            session,
            service.SessionFields(
                **{
                    **vars(service.meeting_fields(session)),
                    "invitees": "contributor@example.org\nother@example.org\nmanager@example.org",
                }
            ),
        )
        db.session.commit()
    client.sign_in(people["manager"])
    page = client.get(scene.session.url)
    assert page.status_code == 200
    assert "I accept the ground rules" in page.text and "Samaritans" in page.text
    assert "ANON-WORDS" not in page.text and "NAMED-WORDS" not in page.text
    assert (
        client.post_form(
            f"{scene.session.url}/contributions", {"body": "Too soon", "anonymous": "n"}
        ).status_code
        == 403
    )
    client.post_form(f"{scene.session.url}/accept", {})
    assert "ANON-WORDS" in client.get(scene.session.url).text


def test_every_page_is_private_to_the_browser(client, people, scene):
    client.sign_in(people["contributor"])
    for url in (
        "/safe-space/",
        scene.session.url,
        f"{scene.session.url}/withdraw",
        f"{scene.session.url}/insights/{scene.insight}",
    ):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url
        assert 'hx-history="false"' in response.text, url
    assert client.get(f"{scene.session.url}/summary.md").headers["Cache-Control"] == "no-store"


def test_every_read_of_contributions_is_audited(app, client, people, scene):
    client.sign_in(people["contributor"])
    client.get(scene.session.url)
    client.get(scene.session.url)
    facilitator = app.test_client()
    facilitator.sign_in(people["facilitator"])
    facilitator.post_form(
        f"{scene.session.url}/contributions/{scene.anonymous}/moderate", {"hidden": "1"}, headers=HX
    )
    facilitator.get(f"{scene.session.url}/summary.md?raw=1")
    with app.app_context():
        reads = db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.action == "safe_space.contributions_read")
            .order_by(AuditEvent.id)
        ).all()
        assert [(e.actor_id, e.target_id) for e in reads] == [
            (people["contributor"].id, str(scene.session.id)),
            (people["contributor"].id, str(scene.session.id)),
            (people["facilitator"].id, str(scene.session.id)),
            (people["facilitator"].id, str(scene.session.id)),
        ]
        assert reads[-1].details == {"what": "summary with contributions"}


def test_the_anonymous_contribution_shows_no_author(client, people, scene):
    client.sign_in(people["facilitator"])
    page = client.get(scene.session.url).text
    item = re.search(rf'<li id="contribution-{scene.anonymous}".*?</li>', page, re.S)
    assert item and "ANON-WORDS" in item.group(0) and "Anonymous" in item.group(0)
    assert "Olu Other" not in item.group(0)


def test_adding_a_named_contribution_shows_it_with_the_name(client, people, safe_session):
    client.sign_in(people["contributor"])
    response = client.post_form(
        f"{safe_session.url}/contributions", {"body": "In my own name", "anonymous": "n"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "In my own name" in page and "Cara Contributor" in page


def test_adding_an_anonymous_contribution_shows_the_receipt_once(app, client, people, safe_session):
    client.sign_in(people["contributor"])
    response = client.post_form(
        f"{safe_session.url}/contributions", {"body": "Quietly", "anonymous": "y"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{safe_session.url}/receipt")
    response = client.get(response.headers["Location"])
    assert response.status_code == 200
    code = re.search(r'id="receipt-code">([A-Z0-9-]{14})<', response.text)
    assert code
    assert code.group(1) not in client.get(safe_session.url).text
    again_shown = client.get(f"{safe_session.url}/receipt").text
    assert "Receipt already shown" in again_shown and code.group(1) not in again_shown
    withdrawn = client.post_form(f"{safe_session.url}/withdraw", {"code": code.group(1)})
    assert withdrawn.status_code == 303
    assert "Quietly" not in client.get(safe_session.url).text
    again = client.post_form(f"{safe_session.url}/withdraw", {"code": code.group(1)})
    assert again.status_code == 422 and "already been used" in again.text
    assert code.group(1) in again.text  # what they typed is kept


@pytest.mark.parametrize(
    ("body", "message"), [("", "Write something to contribute."), ("y" * 5001, "5,001 characters")]
)
def test_a_bad_contribution_is_refused_next_to_the_field_keeping_the_text(
    client, people, safe_session, body, message
):
    client.sign_in(people["contributor"])
    response = client.post_form(
        f"{safe_session.url}/contributions", {"body": body, "anonymous": "y"}
    )
    assert response.status_code == 422
    assert 'id="body-error"' in response.text and message in response.text
    assert body in response.text
    assert "checked" in response.text.split('id="anonymous"')[1].split(">")[0]


def test_a_contribution_without_the_named_or_anonymous_choice_is_refused_keeping_the_text(
    app, client, people, safe_session
):
    client.sign_in(people["contributor"])
    response = client.post_form(f"{safe_session.url}/contributions", {"body": "Undecided"})
    assert response.status_code == 422
    assert 'id="anonymous-error"' in response.text
    assert "Choose whether your name goes with your contribution." in response.text
    assert ">Undecided</textarea>" in response.text
    # Two radios, neither chosen for the person.
    assert response.text.count('name="anonymous" type="radio"') == 2
    assert " checked" not in response.text.split('name="anonymous"', 1)[1].split("</fieldset>")[0]
    with app.app_context():
        for table in (Contribution, WaitingContribution):
            assert db.session.scalar(select(func.count()).select_from(table)) == 0


def test_a_wrong_receipt_code_is_refused(client, people, scene):
    client.sign_in(people["contributor"])
    response = client.post_form(f"{scene.session.url}/withdraw", {"code": "ZZZZ-ZZZZ-ZZZZ"})
    assert response.status_code == 422 and "does not match" in response.text
    assert 'value="ZZZZ-ZZZZ-ZZZZ"' in response.text


def test_editing_after_the_session_closed_is_refused_and_keeps_the_text(app, client, people, scene):
    with app.app_context():
        service.close_meeting(user(people["facilitator"]), held(scene.session.id))
        db.session.commit()
    client.sign_in(people["contributor"])
    url = f"{scene.session.url}/contributions/{scene.named}/edit"
    response = client.post_form(url, {"body": "Second thoughts"})
    assert (
        response.status_code == 422
        and "closed" in response.text
        and "Second thoughts" in response.text
    )
    assert (
        client.post_form(
            f"{scene.session.url}/contributions", {"body": "Late", "anonymous": "n"}
        ).status_code
        == 422
    )
    assert "NAMED-WORDS said aloud" in stored_words(app)


def test_editing_a_named_contribution(app, client, people, scene):
    client.sign_in(people["contributor"])
    url = f"{scene.session.url}/contributions/{scene.named}/edit"
    assert "NAMED-WORDS said aloud" in client.get(url).text
    assert client.post_form(url, {"body": "  "}).status_code == 422
    assert client.post_form(url, {"body": "Put better"}).status_code == 303
    assert "Put better" in client.get(scene.session.url).text
    confirm = client.get(f"{scene.session.url}/contributions/{scene.named}/withdraw").text
    assert "Withdraw your contribution?" in confirm and "Put better" in confirm
    assert (
        client.post_form(
            f"{scene.session.url}/contributions/{scene.named}/withdraw", {}
        ).status_code
        == 303
    )
    assert "Put better" not in client.get(scene.session.url).text


def test_hiding_swaps_the_board_and_hides_it_from_other_participants(app, client, people, scene):
    client.sign_in(people["facilitator"])
    url = f"{scene.session.url}/contributions/{scene.anonymous}/moderate"
    fragment = client.post_form(url, {"hidden": "1"}, headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="session-board"')
    assert "Hidden from participants" in fragment.text and "<html" not in fragment.text
    other = app.test_client()
    other.sign_in(people["contributor"])
    assert "ANON-WORDS" not in other.get(scene.session.url).text
    full = client.post_form(url, {"hidden": "0"})
    assert full.status_code == 303 and full.headers["Location"].endswith(
        f"#contribution-{scene.anonymous}"
    )
    assert "ANON-WORDS" in other.get(scene.session.url).text


def test_a_named_author_still_sees_their_own_hidden_contribution(app, client, people, scene):
    facilitator = app.test_client()
    facilitator.sign_in(people["facilitator"])
    facilitator.post_form(
        f"{scene.session.url}/contributions/{scene.named}/moderate", {"hidden": "1"}
    )
    client.sign_in(people["contributor"])
    page = client.get(scene.session.url).text
    assert "NAMED-WORDS" in page and "Hidden from participants" in page


def test_moving_a_contribution_between_themes(app, client, people, scene):
    client.sign_in(people["facilitator"])
    created = client.post_form(f"{scene.session.url}/themes", {"name": "Pay"})
    assert created.status_code == 303
    with app.app_context():
        pay = db.session.scalar(db.select(Theme.id).where(Theme.name == "Pay"))
    url = f"{scene.session.url}/contributions/theme"
    both = [scene.named, scene.anonymous]
    fragment = client.post_form(url, {"contribution": both, "theme": str(pay)}, headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    section = re.search(
        rf'<section class="app-theme" id="theme-{pay}".*?</section>', fragment.text, re.S
    )
    assert section and "NAMED-WORDS" in section.group(0) and "ANON-WORDS" in section.group(0)
    back = client.post_form(url, {"contribution": scene.named, "theme": ""})
    assert back.status_code == 303
    assert "1 contribution was moved." in client.get(back.headers["Location"]).text
    with app.app_context():
        assert db.session.get_one(Contribution, scene.named).theme_id is None
        assert db.session.get_one(Contribution, scene.anonymous).theme_id == pay


def test_moving_nothing_or_a_contribution_not_here_says_so_and_keeps_the_choice(
    app, client, people, scene
):
    client.sign_in(people["facilitator"])
    url = f"{scene.session.url}/contributions/theme"
    nothing = client.post_form(url, {"theme": str(scene.theme)})
    assert nothing.status_code == 422
    assert "Choose at least one contribution to move." in nothing.text
    assert f'<option value="{scene.theme}" selected>' in nothing.text
    stranger = client.post_form(url, {"contribution": [scene.named, "f" * 32], "theme": ""})
    assert stranger.status_code == 422 and "no longer here" in stranger.text
    # The contribution that was ticked is still ticked.
    assert re.search(rf'id="pick-{scene.named}"[^>]*checked', stranger.text)
    with app.app_context():
        assert db.session.get_one(Contribution, scene.named).theme_id == scene.theme


def test_moving_into_another_sessions_theme_is_refused(app, client, people, scene):
    with app.app_context():
        other = service.create_meeting(
            user(people["facilitator"]),
            service.SessionFields(
                title="Other", starts_at="2027-02-01T10:00", invitees="other@example.org"
            ),
        )
        foreign = service.create_theme(user(people["facilitator"]), other, "Elsewhere").id
        db.session.commit()
    client.sign_in(people["facilitator"])
    response = client.post_form(
        f"{scene.session.url}/contributions/theme",
        {"contribution": scene.named, "theme": str(foreign)},
        headers=HX,
    )
    assert response.status_code == 422 and "Choose one of this session" in response.text
    with app.app_context():
        assert db.session.get_one(Contribution, scene.named).theme_id == scene.theme


def test_theme_rename_notes_and_merge(app, client, people, scene):
    client.sign_in(people["facilitator"])
    url = f"{scene.session.url}/themes/{scene.theme}"
    too_long = client.post_form(url, {"name": "n" * 121, "notes": "keep me"})
    assert (
        too_long.status_code == 422
        and "120 characters" in too_long.text
        and "keep me" in too_long.text
    )
    assert (
        client.post_form(url, {"name": "Not being heard", "notes": "Raised twice"}).status_code
        == 303
    )
    client.post_form(f"{scene.session.url}/themes", {"name": "Pay"})
    with app.app_context():
        pay = db.session.scalar(db.select(Theme.id).where(Theme.name == "Pay"))
    assert client.post_form(f"{url}/merge", {"into": ""}).status_code == 422
    assert client.post_form(f"{url}/merge", {"into": str(pay)}).status_code == 303
    with app.app_context():
        assert db.session.get(Theme, scene.theme) is None
        assert db.session.get_one(Theme, pay).notes == "Raised twice"
    assert client.post_form(f"{scene.session.url}/themes", {"name": " "}).status_code == 422


def test_settings_and_creation_refuse_bad_input_keeping_it(app, client, people, scene):
    client.sign_in(people["facilitator"])
    response = client.post_form(
        "/safe-space/new",
        {
            "title": "Circle",
            "starts_at": "next week",
            "retention_days": "ninety",
            "invitees": "contributor@example.org",
        },
    )
    assert response.status_code == 422
    assert 'id="starts-at-error"' in response.text and 'id="retention-days-error"' in response.text
    assert 'value="Circle"' in response.text and "next week" in response.text
    settings = client.post_form(
        f"{scene.session.url}/settings",
        {
            "title": "",
            "starts_at": "2027-01-14T10:00",
            "retention_days": "90",
            "invitees": "facilitator@example.org",
        },
    )
    assert settings.status_code == 422 and "You hold the session" in settings.text
    with app.app_context():
        assert held(scene.session.id).title == "Listening session"


def test_the_session_time_is_shown_and_taken_as_its_hint_says(app, client, people, scene):
    client.sign_in(people["facilitator"])
    page = client.get(f"{scene.session.url}/settings").text
    field = page.split('id="starts-at"', 1)[1].split(">", 1)[0]
    assert "for example 2027-01-14 10:00" in page
    assert 'type="text"' in field
    shown = field.split('value="', 1)[1].split('"', 1)[0]
    assert len(shown) == 16 and shown[10] == " "  # "YYYY-MM-DD HH:MM", as the hint
    saved = client.post_form(
        f"{scene.session.url}/settings",
        {
            "title": "Listening session",
            "starts_at": "2027-01-14 10:00",
            "retention_days": "90",
            "ground_rules": service.DEFAULT_GROUND_RULES,
            "signposting": service.DEFAULT_SIGNPOSTING,
            "invitees": "contributor@example.org\nother@example.org",
        },
    )
    assert saved.status_code == 303
    with app.app_context():
        assert held(scene.session.id).starts_at.isoformat() == "2027-01-14T10:00:00"


def test_creating_a_session_from_the_default_template(app, client, people):
    client.sign_in(people["facilitator"])
    form = client.get("/safe-space/new").text
    assert "What is said here stays here" in form and 'value="90"' in form
    response = client.post_form(
        "/safe-space/new",
        {
            "title": "Circle",
            "starts_at": "2027-03-01T09:30",
            "retention_days": "30",
            "ground_rules": "- Be kind",
            "signposting": "- EAP",
            "invitees": "Contributor@Example.org, other@example.org",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        created = db.session.scalars(db.select(SafeSpaceSession)).one()
        assert (created.retention_days, created.facilitator_id, len(created.participants)) == (
            30,
            people["facilitator"].id,
            2,
        )
    client.sign_in(people["contributor"])
    assert "Circle" in client.get("/safe-space/").text


def test_the_default_template_is_editable_by_facilitators_only(client, people):
    client.sign_in(people["admin"])
    assert client.get("/safe-space/template").status_code == 403
    client.sign_in(people["facilitator"])
    refused = client.post_form(
        "/safe-space/template", {"ground_rules": "r" * 10001, "signposting": "EAP"}
    )
    assert refused.status_code == 422 and "10,001 characters" in refused.text
    assert (
        client.post_form(
            "/safe-space/template", {"ground_rules": "- Listen first", "signposting": "EAP"}
        ).status_code
        == 303
    )
    assert "Listen first" in client.get("/safe-space/new").text


def test_only_facilitators_may_create_sessions(client, people):
    for who in ("contributor", "manager", "admin"):
        client.sign_in(people[who])
        assert client.get("/safe-space/new").status_code == 403
        assert client.post_form("/safe-space/new", {"title": "Mine"}).status_code == 403


def test_the_sessions_list_shows_only_ones_own_sessions(client, people, scene):
    client.sign_in(people["manager"])
    page = client.get("/safe-space/")
    assert page.status_code == 200 and "Listening session" not in page.text
    client.sign_in(people["other"])
    assert "Listening session" in client.get("/safe-space/").text


def test_promoting_without_consent_is_refused_then_works_with_it(app, client, people, scene, grid):
    client.sign_in(people["facilitator"])
    url = f"{scene.session.url}/insights/{scene.insight}"
    cell = grid.cells[EVIDENCE]
    refused = client.post_form(f"{url}/promote", {"cell": str(cell)})
    assert refused.status_code == 422
    assert "Waiting for agreement from: Cara Contributor" in refused.text
    assert "Record the group" in refused.text
    assert client.post_form(f"{url}/group-consent", {"note": ""}).status_code == 422
    assert client.post_form(f"{url}/group-consent", {"note": "Show of hands"}).status_code == 303
    participant = app.test_client()
    participant.sign_in(people["contributor"])
    page = participant.get(url).text
    assert "I agree to these words" in page
    assert participant.post_form(f"{url}/consent", {"decision": "maybe"}).status_code == 400
    assert participant.post_form(f"{url}/consent", {"decision": "agree"}).status_code == 303
    assert client.post_form(f"{url}/promote", {"cell": ""}).status_code == 422
    assert client.post_form(f"{url}/promote", {"cell": "999999"}).status_code == 422
    assert client.post_form(f"{url}/promote", {"cell": str(cell)}).status_code == 303
    with app.app_context():
        assert db.session.get_one(Cell, cell).text == "A summary"
    history = client.get(f"/cells/{cell}/history").text
    assert "Insight from a safe-space session held on 14 January 2027" in history
    assert "Being overlooked" not in history and "NAMED-WORDS" not in history
    assert client.post_form(f"{url}/promote", {"cell": str(cell)}).status_code == 422


def test_an_insight_cannot_be_reworded_to_nothing(app, client, people, scene):
    client.sign_in(people["facilitator"])
    url = f"{scene.session.url}/insights/{scene.insight}"
    response = client.post_form(url, {"text": ""})
    assert response.status_code == 422 and "Write the insight" in response.text
    assert (
        client.post_form(
            f"{scene.session.url}/insights", {"theme": "", "text": "Draft"}
        ).status_code
        == 422
    )
    with app.app_context():
        assert db.session.get_one(Insight, scene.insight).text == "A summary"


def test_closing_a_session(app, client, people, scene):
    client.sign_in(people["facilitator"])
    assert client.post_form(f"{scene.session.url}/close", {}).status_code == 303
    assert client.post_form(f"{scene.session.url}/close", {}).status_code == 422
    assert client.get(f"{scene.session.url}/settings").status_code == 200
    assert client.post_form(f"{scene.session.url}/settings", {"title": "New"}).status_code == 422


def test_closing_asks_first_on_a_page_of_its_own(client, people, scene):
    client.sign_in(people["facilitator"])
    session_page = client.get(scene.session.url).text
    # The session page only links to the question; nothing there closes the session.
    assert f'href="{scene.session.url}/close"' in session_page
    assert f'action="{scene.session.url}/close"' not in session_page
    page = client.get(f"{scene.session.url}/close")
    assert page.status_code == 200
    assert "Close “Listening session”?" in page.text and "reopen it within 24 hours" in page.text
    assert f'action="{scene.session.url}/close"' in page.text
    assert ">Yes, close the session<" in page.text


def test_a_closed_session_can_be_reopened_within_the_set_hours_and_it_is_audited(
    app, client, people, scene
):
    client.sign_in(people["facilitator"])
    assert client.post_form(f"{scene.session.url}/close", {}).status_code == 303
    page = client.get(scene.session.url).text
    assert ">Reopen the session<" in page and "You can reopen it until" in page
    # A closed session's question page goes back to the session.
    assert client.get(f"{scene.session.url}/close").status_code == 303
    assert client.post_form(f"{scene.session.url}/reopen", {}).status_code == 303
    with app.app_context():
        meeting = db.session.get_one(SafeSpaceSession, scene.session.id)
        assert meeting.is_open and meeting.closed_at is None
        actions = list(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.target_id == str(scene.session.id))
            )
        )
    assert "safe_space.session_reopened" in actions
    # Open already: nothing to reopen.
    assert client.post_form(f"{scene.session.url}/reopen", {}).status_code == 422


def test_a_session_closed_longer_than_the_set_hours_stays_closed(app, client, people, scene):
    app.config["SESSION_REOPEN_HOURS"] = 2
    client.sign_in(people["facilitator"])
    assert client.post_form(f"{scene.session.url}/close", {}).status_code == 303
    with app.app_context():
        meeting = db.session.get_one(SafeSpaceSession, scene.session.id)
        assert meeting.closed_at is not None
        meeting.closed_at -= timedelta(hours=3)
        db.session.commit()
    assert ">Reopen the session<" not in client.get(scene.session.url).text
    refused = client.post_form(f"{scene.session.url}/reopen", {})
    assert refused.status_code == 422
    assert "only within 2 hours of closing" in refused.text
    with app.app_context():
        assert not db.session.get_one(SafeSpaceSession, scene.session.id).is_open


def test_the_summary_export(client, people, scene):
    client.sign_in(people["contributor"])
    summary = client.get(f"{scene.session.url}/summary.md")
    assert summary.status_code == 200 and summary.mimetype == "text/markdown"
    assert "- Being overlooked: 2 contributions" in summary.text and "A summary" in summary.text
    assert "ANON-WORDS" not in summary.text and "NAMED-WORDS" not in summary.text
    client.sign_in(people["facilitator"])
    raw = client.get(f"{scene.session.url}/summary.md?raw=1").text
    assert "> ANON-WORDS" in raw and "> NAMED-WORDS" in raw
    assert "Cara Contributor" not in raw and "Olu Other" not in raw


def test_accepting_is_for_the_invited_only(client, people, scene):
    client.sign_in(people["facilitator"])
    assert client.post_form(f"{scene.session.url}/accept", {}).status_code == 403


def test_the_session_page_asks_the_same_few_queries_however_many_contributions(
    app, client, people, scene, count_queries
):
    client.sign_in(people["facilitator"])
    client.get(scene.session.url)
    with count_queries() as few:
        client.get(scene.session.url)
    for n in range(30):
        contribute(
            app,
            people["contributor" if n % 2 else "other"],
            scene.session,
            f"Point {n}",
            anonymous=n % 3 == 0,
        )
    with app.app_context():
        facilitator = user(people["facilitator"])
        for name in ("Pay", "Progression", "Recruitment"):
            service.create_theme(facilitator, held(scene.session.id), name)
        db.session.commit()
    with count_queries() as many:
        page = client.get(scene.session.url)
    assert page.text.count('<li id="contribution-') == 32
    assert len(many) == len(few), "\n".join(q[:150] for q in many)


def test_invited_people_are_emailed_who_and_when_but_not_the_title(
    app, client, people, smtp_server
):
    from grid_app.auth.models import EmailFrequency
    from grid_app.discussion import mail
    from tests.conftest import use_smtp

    use_smtp(app, smtp_server.port)
    with app.app_context():
        user(people["other"]).email_frequency = EmailFrequency.NONE.value
        db.session.commit()
    client.sign_in(people["facilitator"])
    created = client.post_form(
        "/safe-space/new",
        {
            "title": "Private title",
            "starts_at": "2027-07-01T09:30",  # summer: 08:30 UTC
            "retention_days": "90",
            # The form starts with the default ground rules and signposting.
            "ground_rules": "- Be kind",
            "signposting": "- EAP",
            "invitees": "contributor@example.org\nother@example.org",
        },
    )
    assert created.status_code == 303
    with app.app_context():
        mail.deliver_due()
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "contributor@example.org"
    assert "Fay Facilitator invited you to a safe-space session" in message["Subject"]
    body = message.get_content()
    assert "Thursday 1 July 2027 at 09:30 (UK time)" in body and "/safe-space/" in body
    assert "Private title" not in body + message["Subject"]


def test_named_contributors_see_which_insights_ask_for_their_agreement(app, client, people, scene):
    client.sign_in(people["contributor"])
    assert "Your agreement is asked" in client.get(scene.session.url).text
    client.sign_in(people["other"])  # only anonymous in that theme: the group is asked
    assert "Your agreement is asked" not in client.get(scene.session.url).text


def test_guessing_receipt_codes_is_rate_limited_per_session(client, people, scene):
    client.sign_in(people["contributor"])
    url = f"{scene.session.url}/withdraw"
    answers = [client.post_form(url, {"code": f"AAAA-BBBB-{n:04d}"}).status_code for n in range(31)]
    assert answers[:30] == [422] * 30 and answers[30] == 429


def test_named_contributors_are_emailed_when_an_insight_asks_for_their_agreement(
    app, client, people, safe_session, smtp_server
):
    from grid_app.discussion import mail
    from tests.conftest import use_smtp

    named, _ = contribute(app, people["contributor"], safe_session, "My named words")
    anonymous, _ = contribute(app, people["other"], safe_session, "Unnamed words", True)
    use_smtp(app, smtp_server.port)
    client.sign_in(people["facilitator"])
    client.post_form(f"{safe_session.url}/themes", {"name": "Pay"})
    with app.app_context():
        theme = db.session.scalar(db.select(Theme.id))
    client.post_form(
        f"{safe_session.url}/contributions/theme",
        {"contribution": [named, anonymous], "theme": str(theme)},
    )
    drafted = client.post_form(
        f"{safe_session.url}/insights", {"theme": str(theme), "text": "SECRET-WORDING"}
    )
    client.post_form(drafted.headers["Location"], {"text": "SECRET-WORDING, reworded"})
    with app.app_context():
        mail.deliver_due()
    # The first two are the invitations sent when the session was made.
    messages = [m for m in smtp_server.wait_for(4) if "invited you" not in m["Subject"]]
    assert [m["To"] for m in messages] == ["contributor@example.org"] * 2
    assert "Fay Facilitator asks whether you agree to an insight" in messages[0]["Subject"]
    body = messages[0].get_content()
    assert drafted.headers["Location"] in body and "SECRET-WORDING" not in body


@pytest.mark.parametrize("path", ["/safe-space/new", "/safe-space/template"])
def test_empty_ground_rules_or_signposting_are_refused_beside_the_field(client, people, path):
    client.sign_in(people["facilitator"])
    response = client.post_form(
        path,
        {
            "title": "Circle",
            "starts_at": "2027-03-01T09:30",
            "retention_days": "30",
            "ground_rules": "  ",
            "signposting": "",
            "invitees": "contributor@example.org",
        },
    )
    assert response.status_code == 422
    assert 'id="ground-rules-error"' in response.text and 'id="signposting-error"' in response.text
    assert "Write the ground rules that participants agree to." in response.text
    assert "Say where participants can turn for support." in response.text
    assert 'value="Circle"' in response.text or path.endswith("template")


def test_a_facilitators_page_stays_small_however_many_themes_there_are(
    app, client, people, safe_session, count_queries
):
    with app.app_context():
        meeting = held(safe_session.id)
        facilitator = user(people["facilitator"])
        for n in range(240):
            service.add_contribution(
                user(people["contributor" if n % 2 else "other"]),
                meeting,
                body=f"Contribution {n}: what happened and how it felt.",
                anonymous=n % 3 == 0,
            )
        service.seal(meeting)
        themes = [service.create_theme(facilitator, meeting, f"Theme {t}") for t in range(240)]
        keys = db.session.scalars(db.select(Contribution.id)).all()
        for n, key in enumerate(keys):
            if n % 2:
                service.move_contributions(facilitator, meeting, [key], themes[n].id)
        db.session.commit()
    client.sign_in(people["facilitator"])
    with count_queries() as seen:
        page = client.get(safe_session.url)
    assert page.status_code == 200
    assert page.text.count('name="contribution"') == 240
    # One list of themes on the page, not one per contribution (which made it megabytes).
    assert page.text.count('<option value="') < 2 * 240 + 10
    assert len(page.data) < 600_000, len(page.data)
    assert len(seen) < 25, seen
