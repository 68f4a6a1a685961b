"""Safe-space sessions in a real browser: from invitation to an insight in the grid, and
who is kept out."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from grid_app import demo
from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, new_signed_in_page, sign_in

TITLE = "Lunchtime listening circle"
THEME = "Talked over in meetings"
ANONYMOUS = "I am often the only black person in the room, and I am talked over most weeks."
NAMED = "When I do get a word in, my point is credited to whoever repeats it."
INSIGHT = "People described being talked over in meetings and their points credited to others."
CELL = "Safe spaces for staff × Evidence"
RECEIPT = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


@pytest.fixture
def request_log() -> Iterator[list[str]]:
    """Every line the live server writes to its request log while the test runs."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("werkzeug")
    handler, level = Collect(logging.INFO), logger.level
    # The server logs each request at INFO; the logger must let those through, or an empty
    # log would prove nothing.
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def watch_console(page: Page, errors: list[str]) -> Page:
    """Collect another browser's console errors alongside the main page's."""
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def demo_session_url(server: LiveServer) -> str:
    """The address of the demo's listening session."""
    from grid_app.extensions import db
    from grid_app.safe_space.models import SafeSpaceSession

    with server.app.app_context():
        found = db.session.scalar(
            db.select(SafeSpaceSession.id).where(SafeSpaceSession.title == demo.SESSION_TITLE)
        )
    return f"{server.url}/safe-space/{found}"


def contribution(page: Page, text: str) -> Locator:
    """The list item of one contribution on the session page."""
    return page.get_by_role("listitem").filter(has_text=text)


def test_a_contribution_becomes_an_agreed_insight_in_the_grid_and_can_still_be_withdrawn(
    page: Page, browser: Browser, live_server, console_errors, request_log
):
    sign_in(page, live_server, "facilitator@example.org")
    page.get_by_role("link", name="Safe-space sessions").click()
    page.get_by_role("link", name="Create a session").click()
    page.get_by_label("Title").fill(TITLE)
    # Typed as its hint shows it.
    expect(page.get_by_text("for example 2027-01-14 10:00")).to_be_visible()
    page.get_by_label("Date and time").fill("2026-12-03 12:30")
    page.get_by_label("People invited").fill("contributor@example.org")
    expect(page.get_by_label("Ground rules")).to_contain_text("What is said here stays here.")
    page.get_by_role("button", name="Create the session").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("The session was created")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("Chris Contributor: not joined yet")).to_be_visible()

    chris = watch_console(
        new_signed_in_page(browser, live_server, "contributor@example.org"), console_errors
    )
    chris.get_by_role("link", name="Safe-space sessions").click()
    chris.get_by_role("link", name=TITLE).click()
    expect(chris.get_by_label("What would you like to share?")).to_have_count(0)
    chris.get_by_role("button", name="I accept the ground rules: join the session").click()
    expect(chris.get_by_role("alert", name="Success")).to_contain_text(
        "You have joined the session."
    )
    chris.get_by_label("What would you like to share?").fill(ANONYMOUS)
    # Named or anonymous is a choice the person makes; neither is made for them.
    for choice in ("With my name", "Anonymously"):
        expect(chris.get_by_role("radio", name=choice)).not_to_be_checked()
    chris.get_by_role("button", name="Add my contribution").click()
    expect(
        chris.get_by_text("Choose whether your name goes with your contribution.")
    ).to_be_visible()
    expect(chris.get_by_label("What would you like to share?")).to_have_value(ANONYMOUS)
    chris.get_by_role("radio", name="Anonymously").check()
    chris.get_by_role("button", name="Add my contribution").click()
    expect(chris.get_by_role("heading", level=1)).to_have_text(
        "Your anonymous contribution was received"
    )
    receipt = chris.get_by_text(RECEIPT).inner_text()
    chris.get_by_role("link", name="Back to the session").click()
    chris.get_by_label("What would you like to share?").fill(NAMED)
    chris.get_by_role("radio", name="With my name").check()
    chris.get_by_role("button", name="Add my contribution").click()
    expect(chris.get_by_role("alert", name="Success")).to_contain_text(
        "Your contribution was added, with your name."
    )
    expect(contribution(chris, NAMED)).to_contain_text("Chris Contributor")
    # The anonymous one waits, unseen, until the facilitator adds it with the others.
    expect(chris.get_by_text(ANONYMOUS)).to_have_count(0)

    page.reload()
    expect(page.get_by_text("1 anonymous contribution is waiting.")).to_be_visible()
    page.get_by_role("button", name="Add the waiting anonymous contributions to the board").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text(
        "1 anonymous contribution was added to the board."
    )
    chris.reload()
    expect(contribution(chris, ANONYMOUS)).to_contain_text("Anonymous")
    page.get_by_label("Theme name").fill(THEME)
    page.get_by_role("button", name="Start the theme").click()
    theme = page.get_by_role("region", name=re.compile(f"^{THEME}"))
    expect(theme).to_contain_text("(0 contributions)")
    at = page.url
    for text in (ANONYMOUS, NAMED):
        contribution(page, text).get_by_label(re.compile("^Select")).check()
    page.get_by_label("Move the selected contributions to").select_option(label=THEME)
    page.get_by_role("button", name="Move selected").click()
    for text in (ANONYMOUS, NAMED):
        expect(theme.get_by_role("listitem").filter(has_text=text)).to_be_visible()
    expect(theme).to_contain_text("(2 contributions)")
    # The board changed in place: the page did not reload or jump to the contribution.
    assert page.url == at
    page.get_by_label("Theme it sums up").select_option(label=THEME)
    page.get_by_label("Insight", exact=True).fill(INSIGHT)
    page.get_by_role("button", name="Draft the insight").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Insight from “{THEME}”")
    expect(page.get_by_text("Chris Contributor: not answered yet")).to_be_visible()
    # Until everyone has agreed there is no button to press, only what stands in the way.
    expect(page.get_by_role("button", name="Promote the insight")).to_have_count(0)
    expect(page.get_by_text("This insight cannot be promoted yet.")).to_be_visible()

    chris.reload()
    chris.get_by_role("link", name=INSIGHT).click()
    chris.get_by_role("button", name="I agree to these words").click()
    expect(chris.get_by_role("alert", name="Success")).to_contain_text(
        "your agreement was recorded"
    )

    page.reload()
    expect(page.get_by_text("Chris Contributor: agreed")).to_be_visible()
    page.get_by_label("How did the group agree?").fill("By show of hands; nobody objected.")
    page.get_by_role("button", name="Record the group’s agreement").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text(
        "The group's agreement was recorded."
    )
    page.get_by_label("Cell").select_option(label=CELL)
    page.get_by_role("button", name="Promote the insight").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text(
        "The insight is in the grid now."
    )
    page.get_by_role("link", name=CELL).click()
    expect(page.get_by_text(INSIGHT)).to_be_visible()

    chris.get_by_role("link", name="Back to the session").click()
    chris.get_by_role("link", name="Withdraw an anonymous contribution").click()
    chris.get_by_label("Receipt code").fill(receipt)
    chris.get_by_role("button", name="Withdraw it").click()
    expect(chris.get_by_role("alert", name="Success")).to_contain_text(
        "The contribution was withdrawn"
    )
    expect(chris.get_by_text(NAMED)).to_be_visible()
    expect(chris.get_by_text(ANONYMOUS)).to_have_count(0)
    # The one 422 is the contribution sent before choosing named or anonymous.
    assert [e for e in console_errors if "422" not in e] == []
    assert len(console_errors) == 1

    # The request log saw the rest of the site, and nothing of the session.
    assert any("/grids/" in line for line in request_log)
    assert [line for line in request_log if "/safe-space" in line] == []


def test_closing_a_session_asks_first_and_can_be_undone(page: Page, live_server, console_errors):
    open_session_as_facilitator(page, live_server)
    page.get_by_role("link", name="Close the session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Close “{demo.SESSION_TITLE}”?")
    # Changing one's mind costs nothing.
    page.get_by_role("link", name="No, keep it open").click()
    expect(page.get_by_text("Open for contributions.")).to_be_visible()
    page.get_by_role("link", name="Close the session").click()
    page.get_by_role("button", name="Yes, close the session").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("The session is closed.")
    page.get_by_role("button", name="Reopen the session").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text(
        "The session is open again for contributions."
    )
    expect(page.get_by_role("link", name="Close the session")).to_be_visible()
    assert console_errors == []


def test_a_manager_who_was_not_invited_cannot_open_a_session(page: Page, live_server, request_log):
    # A link to the session, followed before signing in, comes back after sign-in.
    page.goto(demo_session_url(live_server))
    page.get_by_label("Email address").fill("manager@example.org")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You do not have permission to do this"
    )
    expect(
        page.get_by_text("Only this session's facilitator and the people invited")
    ).to_be_visible()
    for _, _, body, _ in demo.CONTRIBUTIONS:
        expect(page.get_by_text(body[:40])).to_have_count(0)
    expect(page.get_by_text(demo.INSIGHT[:40])).to_have_count(0)
    expect(page.get_by_text(demo.SESSION_TITLE)).to_have_count(0)

    page.get_by_role("link", name="Safe-space sessions").click()
    expect(page.get_by_text("You have not been invited to any session")).to_be_visible()
    # The sign-in page carried the session's address in its "next"; the log kept neither.
    assert any("/sign-in" in line for line in request_log)
    assert [line for line in request_log if "safe-space" in line] == []


# --- Pages for the accessibility scan (tests/e2e/test_accessibility.py) ------------------


def invite(server: LiveServer, email: str) -> str:
    """The facilitator invites ``email`` to a new session, through the service; its address."""
    from grid_app.auth.models import User
    from grid_app.extensions import db
    from grid_app.safe_space import service

    with server.app.app_context():
        facilitator = db.session.scalar(
            db.select(User).where(User.email == "facilitator@example.org")
        )
        found = service.create_meeting(
            facilitator,
            service.SessionFields(
                title=TITLE,
                starts_at="2026-12-03T12:30",
                ground_rules=service.DEFAULT_GROUND_RULES,
                signposting=service.DEFAULT_SIGNPOSTING,
                invitees=email,
            ),
        )
        db.session.commit()
        return f"{server.url}/safe-space/{found.id}"


def open_sessions(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "facilitator@example.org")
    page.get_by_role("link", name="Safe-space sessions").click()
    expect(page.get_by_role("link", name=demo.SESSION_TITLE)).to_be_visible()


def open_new_session(page: Page, server: LiveServer) -> None:
    open_sessions(page, server)
    page.get_by_role("link", name="Create a session").click()
    expect(page.get_by_label("Ground rules")).to_contain_text("What is said here stays here.")


def open_new_session_with_errors(page: Page, server: LiveServer) -> None:
    open_new_session(page, server)
    page.get_by_label("People invited").fill("nobody@example.org")
    page.get_by_role("button", name="Create the session").click()
    # The summary links each problem to its field.
    page.get_by_role("link", name="Give the session a title.").click()
    expect(page.get_by_label("Title")).to_be_focused()


def open_session_as_facilitator(page: Page, server: LiveServer) -> None:
    open_sessions(page, server)
    page.get_by_role("link", name=demo.SESSION_TITLE).click()
    expect(page.get_by_role("region", name=re.compile(f"^{demo.THEME_NAME}"))).to_be_visible()


def open_close_confirmation(page: Page, server: LiveServer) -> None:
    open_session_as_facilitator(page, server)
    page.get_by_role("link", name="Close the session").click()
    expect(page.get_by_role("button", name="Yes, close the session")).to_be_visible()


def open_closed_session_as_facilitator(page: Page, server: LiveServer) -> None:
    open_close_confirmation(page, server)
    page.get_by_role("button", name="Yes, close the session").click()
    expect(page.get_by_role("button", name="Reopen the session")).to_be_visible()


def open_session_before_joining(page: Page, server: LiveServer) -> None:
    url = invite(server, "contributor@example.org")
    sign_in(page, server)
    page.goto(url)
    expect(
        page.get_by_role("button", name="I accept the ground rules: join the session")
    ).to_be_visible()


def open_session_as_participant(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(demo_session_url(server))
    expect(page.get_by_label("What would you like to share?")).to_be_visible()


def open_receipt(page: Page, server: LiveServer) -> None:
    open_session_as_participant(page, server)
    page.get_by_label("What would you like to share?").fill(ANONYMOUS)
    page.get_by_role("radio", name="Anonymously").check()
    page.get_by_role("button", name="Add my contribution").click()
    expect(page.get_by_text(RECEIPT)).to_be_visible()


def open_withdraw_with_error(page: Page, server: LiveServer) -> None:
    open_session_as_participant(page, server)
    page.get_by_role("link", name="Withdraw an anonymous contribution").click()
    page.get_by_label("Receipt code").fill("ABCD-EFGH-JKMN")
    page.get_by_role("button", name="Withdraw it").click()
    expect(page.get_by_text("That code does not match").first).to_be_visible()


def open_theme(page: Page, server: LiveServer) -> None:
    open_session_as_facilitator(page, server)
    page.get_by_role("link", name=f"Rename, notes or merge theme {demo.THEME_NAME}").click()
    expect(page.get_by_label("Theme name")).to_have_value(demo.THEME_NAME)


def open_insight_as_facilitator(page: Page, server: LiveServer) -> None:
    open_session_as_facilitator(page, server)
    page.get_by_role("link", name=demo.INSIGHT[:40]).click()
    expect(page.get_by_role("heading", name="Promote into the grid")).to_be_visible()


def open_insight_as_contributor(page: Page, server: LiveServer) -> None:
    open_session_as_participant(page, server)
    page.get_by_role("link", name=demo.INSIGHT[:40]).click()
    expect(page.get_by_role("button", name="I agree to these words")).to_be_visible()


def open_withdraw_named(page: Page, server: LiveServer) -> None:
    open_session_as_participant(page, server)
    page.get_by_role("link", name=re.compile("^Withdraw your contribution")).first.click()
    expect(page.get_by_role("heading", name="Withdraw your contribution?")).to_be_visible()


def open_session_with_waiting_and_a_move_error(page: Page, server: LiveServer) -> None:
    """The facilitator's page with anonymous contributions waiting, after "Move selected"
    with nothing selected."""
    from grid_app.auth.models import User
    from grid_app.extensions import db
    from grid_app.safe_space import service
    from grid_app.safe_space.models import SafeSpaceSession

    with server.app.app_context():
        contributor = db.session.scalar(
            db.select(User).where(User.email == "contributor@example.org")
        )
        meeting = db.session.scalar(
            db.select(SafeSpaceSession).where(SafeSpaceSession.title == demo.SESSION_TITLE)
        )
        service.add_contribution(contributor, meeting, body="Waiting words", anonymous=True)
        db.session.commit()
    open_session_as_facilitator(page, server)
    expect(page.get_by_text("1 anonymous contribution is waiting.")).to_be_visible()
    page.get_by_role("button", name="Move selected").click()
    expect(page.get_by_text("Choose at least one contribution to move.")).to_be_visible()


def test_a_summer_session_time_is_typed_and_shown_in_uk_time(
    page: Page, live_server, console_errors
):
    open_new_session(page, live_server)
    page.get_by_label("Title").fill("Summer listening session")
    page.get_by_label("Date and time (UK time)").fill("2027-07-01T09:00")
    page.get_by_label("People invited").fill("contributor@example.org")
    page.get_by_role("button", name="Create the session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Summer listening session")
    expect(page.get_by_text("Thursday 1 July 2027 at 09:00 (UK time)")).to_be_visible()

    from grid_app.extensions import db
    from grid_app.safe_space.models import SafeSpaceSession

    with live_server.app.app_context():
        stored = db.session.scalar(
            db.select(SafeSpaceSession.starts_at).where(
                SafeSpaceSession.title == "Summer listening session"
            )
        )
    assert stored is not None and stored.hour == 8  # British Summer Time is UTC+1
    page.get_by_role("navigation", name="Site").get_by_role(
        "link", name="Safe-space sessions"
    ).click()
    expect(page.get_by_role("row").filter(has_text="Summer listening session")).to_contain_text(
        "1 July 2027, 09:00"
    )
    assert console_errors == []
