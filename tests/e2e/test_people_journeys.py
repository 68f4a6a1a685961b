"""An admin looks after people in a real browser, starting from the site navigation."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, new_signed_in_page, sign_in

ADMIN = "admin@example.org"
TOM = "tom.hughes@example.org"


def open_people(page: Page, server: LiveServer) -> None:
    """The People list, reached from the site navigation."""
    sign_in(page, server, ADMIN)
    page.get_by_role("navigation", name="Site").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")


def open_person(page: Page, server: LiveServer) -> None:
    """One person's page: roles, what they own, deactivation."""
    open_people(page, server)
    page.get_by_role("link", name="Marcus Reid").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Marcus Reid")


def open_person_with_error(page: Page, server: LiveServer) -> None:
    """The only admin tries to give up the admin role and is told why not."""
    open_people(page, server)
    page.get_by_role("main").get_by_role("link", name="Ada Admin").click()
    page.get_by_role("checkbox", name="Admin").uncheck()
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_text("Someone else must be an active admin")).to_be_visible()


def roles_of(server: LiveServer, email: str) -> set[str]:
    from grid_app.auth.models import User
    from grid_app.extensions import db

    with server.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        assert user is not None
        return {r.value for r in user.roles}


def test_admin_opens_people_and_changes_someones_roles(page: Page, live_server, console_errors):
    open_people(page, live_server)
    page.get_by_label("Name or email address").fill("hughes")
    page.get_by_role("button", name="Find people").click()
    expect(page.get_by_role("link", name="Chris Contributor")).to_have_count(0)
    page.get_by_role("link", name="Tom Hughes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tom Hughes")
    page.get_by_role("checkbox", name="Manager").check()
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_text("Roles saved.")).to_be_visible()
    assert roles_of(live_server, TOM) == {"contributor", "manager"}
    page.reload()
    expect(page.get_by_role("checkbox", name="Manager")).to_be_checked()
    assert console_errors == []


def test_admin_deactivates_someone_who_is_signed_out_and_cannot_sign_in(
    page: Page, browser: Browser, live_server, console_errors
):
    theirs = new_signed_in_page(browser, live_server, TOM)
    open_people(page, live_server)
    page.get_by_role("link", name="Tom Hughes").click()
    page.get_by_role("button", name="Deactivate Tom Hughes").click()
    expect(page.get_by_text("Tom Hughes has been deactivated.")).to_be_visible()
    expect(page.get_by_role("button", name="Reactivate Tom Hughes")).to_be_visible()

    theirs.reload()
    expect(theirs).to_have_url(re.compile(r"/sign-in"))
    theirs.get_by_label("Email address").fill(TOM)
    theirs.get_by_label("Password").fill(DEMO_PASSWORD)
    theirs.get_by_role("button", name="Sign in").click()
    expect(theirs.locator("#password-error")).to_contain_text("Check your email address")
    expect(theirs).to_have_url(re.compile(r"/sign-in"))
    theirs.context.close()
    assert console_errors == []
