"""Invitations in a real browser: an admin invites from the People page, the invitee joins
from the emailed link, many people are invited at once, and a facilitator's request for an
account is approved."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.conftest import SmtpServer, use_smtp
from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_people_journeys import open_people
from tests.e2e.test_safe_space_journeys import open_new_session

NEW_PASSWORD = "plum kettle across winter"
INVITEE = "nia.newton@example.org"


def unexpected(errors: list[str]) -> list[str]:
    """Console errors, less the browser's note of the refusals these journeys ask for."""
    return [e for e in errors if not re.search(r"status of (410|422)\b", e)]


def open_invite(page: Page, server: LiveServer) -> None:
    """The invite form, from the People page."""
    open_people(page, server)
    page.get_by_role("link", name="Invite someone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite people")


def open_invite_with_errors(page: Page, server: LiveServer) -> None:
    open_invite(page, server)
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("checkbox", name="Contributor").uncheck()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("heading", name="Nobody was invited")).to_be_visible()


def open_bulk_preview(page: Page, server: LiveServer) -> None:
    open_people(page, server)
    page.get_by_role("link", name="Invite many people").click()
    page.get_by_label("Email addresses, one a line").fill(
        "Nia Newton <nia.newton@example.org>\ncontributor@example.org\nnot an address\n"
        "kai@example.org, Kai Kay\nkai@example.org"
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the invitations")


def _invite_link(server: LiveServer, email: str = INVITEE) -> str:
    from grid_app.auth.models import OPERATOR
    from grid_app.discussion.models import OutgoingMail
    from grid_app.extensions import db
    from grid_app.people import invitations

    server.app.config["BASE_URL"] = server.url
    with server.app.app_context():
        invitations.invite(OPERATOR, email, ["contributor"], "Nia Newton")
        body = db.session.scalars(
            db.select(OutgoingMail.body).order_by(OutgoingMail.id.desc())
        ).first()
        db.session.commit()
    found = re.search(rf"{re.escape(server.url)}/invitation/\S+", body or "")
    assert found is not None
    return found.group(0)


def open_accept(page: Page, server: LiveServer) -> None:
    page.goto(_invite_link(server))
    expect(page.get_by_role("heading", name="Join the Supporting People Grid")).to_be_visible()


def open_accept_with_errors(page: Page, server: LiveServer) -> None:
    open_accept(page, server)
    page.get_by_label("Your name").fill("")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Type the new password again").fill("short")
    page.get_by_role("button", name="Join and sign in").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()


def open_invitation_gone(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/invitation/not-a-real-link")
    expect(page.get_by_role("heading", name="This invitation cannot be used")).to_be_visible()


def _request_account(server: LiveServer, email: str = "stranger@example.org") -> None:
    from grid_app.auth.models import User
    from grid_app.extensions import db
    from grid_app.people import requests

    with server.app.app_context():
        facilitator = db.session.scalar(
            db.select(User).where(User.email == "facilitator@example.org")
        )
        assert facilitator is not None
        requests.request_accounts(facilitator, email, "Joins the youth team")
        db.session.commit()


def open_account_requests(page: Page, server: LiveServer) -> None:
    _request_account(server)
    open_people(page, server)
    page.get_by_role("link", name="1 request for an account waiting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Requests for accounts")


def open_request_form(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "facilitator@example.org")
    page.goto(f"{server.url}/account-requests?addresses=stranger@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for accounts")


def test_an_admin_invites_someone_who_joins_from_the_email(
    page: Page, browser: Browser, live_server: LiveServer, smtp_server: SmtpServer, console_errors
):
    use_smtp(live_server.app, smtp_server.port)
    live_server.app.config["BASE_URL"] = live_server.url
    open_invite(page, live_server)
    page.get_by_label("Email address").fill(INVITEE)
    page.get_by_label("Name (optional)").fill("Nia Newton")
    page.get_by_role("checkbox", name="Manager").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"An invitation has been sent to {INVITEE}.")).to_be_visible()
    page.get_by_role("navigation", name="Site").get_by_role("link", name="People").click()
    page.get_by_label("Status").select_option("invited")
    page.get_by_role("button", name="Find people").click()
    page.get_by_role("link", name="Nia Newton").click()
    expect(page.get_by_text("by Ada Admin")).to_be_visible()

    (received,) = smtp_server.wait_for(1)
    assert received["To"] == INVITEE
    found = re.search(rf"{re.escape(live_server.url)}/invitation/\S+", received.get_content())
    assert found is not None
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    theirs = context.new_page()
    theirs.goto(found.group(0))
    expect(theirs.get_by_text("Ada Admin invited you as")).to_be_visible()
    expect(theirs.get_by_label("Your name")).to_have_value("Nia Newton")
    theirs.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    theirs.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    theirs.get_by_role("button", name="Join and sign in").click()
    expect(theirs.get_by_text("Welcome, Nia Newton. You are signed in.")).to_be_visible()
    expect(theirs).to_have_url(re.compile(r"/grids/"))
    theirs.get_by_role("button", name="Sign out").click()
    expect(theirs).to_have_url(re.compile(r"/sign-in"))
    theirs.get_by_label("Email address").fill(INVITEE)
    theirs.get_by_label("Password").fill(NEW_PASSWORD)
    theirs.get_by_role("button", name="Sign in").click()
    expect(theirs).to_have_url(re.compile(r"/grids/"))
    # The link worked once.
    theirs.goto(found.group(0))
    expect(theirs.get_by_text("This invitation has already been used to join.")).to_be_visible()
    context.close()
    assert unexpected(console_errors) == []


def test_an_admin_invites_many_people_after_a_preview(
    page: Page, live_server: LiveServer, console_errors
):
    open_bulk_preview(page, live_server)
    table = page.get_by_role("table", name="What will happen to each row")
    expect(table.get_by_role("row").filter(has_text="nia.newton@example.org")).to_contain_text(
        "Will be invited"
    )
    expect(table.get_by_role("row").filter(has_text="contributor@example.org")).to_contain_text(
        "Already has an account"
    )
    expect(table.get_by_role("row").filter(has_text="not an address")).to_contain_text(
        "Not an email address"
    )
    expect(table.get_by_role("row").filter(has_text="Already in the list")).to_have_count(1)
    page.get_by_role("button", name="Send 2 invitations").click()
    expect(page.get_by_text("Invitations sent: 2 new, 0 sent again.")).to_be_visible()
    page.get_by_role("navigation", name="Site").get_by_role("link", name="People").click()
    page.get_by_label("Status").select_option("invited")
    page.get_by_role("button", name="Find people").click()
    expect(page.get_by_role("link", name="Kai Kay")).to_be_visible()
    expect(page.get_by_role("link", name="Nia Newton")).to_be_visible()
    assert unexpected(console_errors) == []


def test_a_facilitator_asks_for_an_account_and_an_admin_approves(
    page: Page, browser: Browser, live_server: LiveServer, console_errors
):
    open_new_session(page, live_server)
    page.get_by_label("People invited").fill("stranger@example.org")
    page.get_by_role("button", name="Create the session").click()
    expect(page.locator("#invitees-error")).to_contain_text(
        "No one can be invited as stranger@example.org"
    )
    with page.expect_popup() as opened:
        page.get_by_role("link", name=re.compile("Ask the admins for accounts")).click()
    form = opened.value
    expect(form.get_by_label("Email addresses")).to_have_value("stranger@example.org")
    form.get_by_role("button", name="Ask the admins").click()
    expect(form.get_by_text("Asked the admins for 1 account.")).to_be_visible()
    expect(form.get_by_text("stranger@example.org: waiting for an admin")).to_be_visible()

    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = admin_context.new_page()
    open_people(admin, live_server)
    admin.get_by_role("link", name="1 request for an account waiting").click()
    admin.get_by_role("button", name="Approve and invite stranger@example.org").click()
    expect(admin.get_by_text("stranger@example.org has been invited.")).to_be_visible()
    expect(admin.get_by_text("No requests are waiting.")).to_be_visible()
    admin_context.close()

    form.reload()
    expect(
        form.get_by_text("stranger@example.org: approved, an invitation was sent")
    ).to_be_visible()
    assert unexpected(console_errors) == []


def test_a_manager_reaches_invite_people_from_the_header_once_allowed(
    page: Page, browser: Browser, live_server: LiveServer, console_errors
):
    open_people(page, live_server)
    page.get_by_role("checkbox", name=re.compile("Managers can invite people")).check()
    page.get_by_role("button", name="Save who can invite").click()
    expect(page.get_by_text("Managers can now invite people.")).to_be_visible()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    theirs = context.new_page()
    sign_in(theirs, live_server, "manager@example.org")
    theirs.get_by_role("navigation", name="Site").get_by_role("link", name="Invite people").click()
    expect(theirs.get_by_role("checkbox", name="Admin")).to_have_count(0)
    theirs.get_by_label("Email address").fill("mate@example.org")
    theirs.get_by_role("button", name="Send invitation").click()
    expect(theirs.get_by_text("An invitation has been sent to mate@example.org.")).to_be_visible()
    context.close()
    assert unexpected(console_errors) == []
