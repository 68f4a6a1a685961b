"""Single sign-on in a real browser, through a real OpenID Connect provider on localhost:
an invited person joins by signing in with their council account, a stranger is refused,
and signing out offers to sign out at the provider too."""

from __future__ import annotations

import atexit
import re
import uuid
from contextlib import ExitStack
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer
from tests.e2e.test_invitation_journeys import open_invite
from tests.e2e.test_people_journeys import open_people
from tests.oidc_provider import DISPLAY_NAME, Provider, running_provider

BUTTON = f"Sign in with {DISPLAY_NAME}"
_RUNNING = ExitStack()
_PROVIDER: list[Provider] = []


def provider() -> Provider:
    """One provider for every browser test here, started when first needed."""
    if not _PROVIDER:
        _PROVIDER.append(_RUNNING.enter_context(running_provider()))
        atexit.register(_RUNNING.close)
    return _PROVIDER[0]


def with_sso(server: LiveServer) -> Provider:
    """Set the live server up for single sign-on through the provider."""
    running = provider()
    server.app.config.update(running.config())
    return running


def sign_in_through_provider(page: Page, server: LiveServer, sub: str) -> None:
    """From the grid's address, as a person starts: the button, then the provider's page."""
    page.goto(server.url)
    page.get_by_role("link", name=BUTTON).click()
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize").click()


def new_sub() -> str:
    return f"person-{uuid.uuid4().hex[:12]}"


def unexpected(errors: list[str]) -> list[str]:
    """Console errors, less the browser's note of a refusal a journey asks for, and the
    test provider's own page failing to load its stylesheet from the internet."""
    return [e for e in errors if not re.search(r"status of (403)\b|net::ERR_NAME_NOT_RESOLVED", e)]


def test_an_invited_person_joins_by_signing_in_with_their_council_account(
    page: Page, browser: Browser, live_server: LiveServer, console_errors
):
    running = with_sso(live_server)
    open_invite(page, live_server)
    page.get_by_label("Email address").fill("sam.sso@example.org")
    page.get_by_role("checkbox", name="Manager").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("An invitation has been sent to sam.sso@example.org.")).to_be_visible()

    sub = new_sub()
    running.set_person(sub, email="sam.sso@example.org", email_verified=True, name="Sam Soh")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    theirs = context.new_page()
    sign_in_through_provider(theirs, live_server, sub)
    theirs.wait_for_url(f"{live_server.url}/grids/**")
    # Signed in as themselves, with the role they were invited with.
    expect(theirs.get_by_role("link", name="Dashboard")).to_be_visible()
    theirs.goto(f"{live_server.url}/profile")
    expect(theirs.get_by_text("sam.sso@example.org")).to_be_visible()

    # The admin sees them as active now.
    page.get_by_role("navigation", name="Site").get_by_role("link", name="People").click()
    page.get_by_label("Name or email address").fill("sam.sso")
    page.get_by_role("button", name="Find people").click()
    expect(page.get_by_role("link", name="Sam Soh")).to_be_visible()
    page.get_by_role("link", name="Sam Soh").click()
    expect(page.get_by_role("heading", name="Deactivate")).to_be_visible()
    context.close()
    assert unexpected(console_errors) == []


def test_someone_without_an_account_is_refused_with_a_clear_page(
    page: Page, live_server: LiveServer, console_errors
):
    running = with_sso(live_server)
    sub = new_sub()
    running.set_person(sub, email="stranger@elsewhere.example", email_verified=True)
    sign_in_through_provider(page, live_server, sub)
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have an account here")
    expect(page.get_by_text("Ask an admin of the Supporting People Grid")).to_be_visible()
    page.get_by_role("link", name="Back to the sign-in page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert unexpected(console_errors) == []


def test_signing_out_offers_to_sign_out_of_the_provider_too(
    page: Page, live_server: LiveServer, console_errors
):
    running = with_sso(live_server)
    sub = new_sub()
    running.set_person(sub, email="contributor@example.org", email_verified=True)
    sign_in_through_provider(page, live_server, sub)
    page.wait_for_url(f"{live_server.url}/grids/**")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out of the grid")
    page.get_by_role("link", name=f"Sign out of {DISPLAY_NAME} too").click()
    # The provider's own page asks to confirm, then sends the person back to sign in.
    page.get_by_role("button").first.click()
    page.wait_for_url(f"{live_server.url}/sign-in**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert unexpected(console_errors) == []


# --- Pages for the accessibility scan ------------------------------------------------------


def open_sign_in_with_sso(page: Page, server: LiveServer) -> None:
    with_sso(server)
    page.goto(f"{server.url}/sign-in")
    expect(page.get_by_role("link", name=BUTTON)).to_be_visible()


def open_refused(page: Page, server: LiveServer) -> None:
    running = with_sso(server)
    sub = new_sub()
    running.set_person(sub, email="stranger@elsewhere.example", email_verified=True)
    sign_in_through_provider(page, server, sub)
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have an account here")


def open_signed_out(page: Page, server: LiveServer) -> None:
    running = with_sso(server)
    sub = new_sub()
    running.set_person(sub, email="contributor@example.org", email_verified=True)
    sign_in_through_provider(page, server, sub)
    page.wait_for_url(f"{server.url}/grids/**")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out of the grid")


def open_settings(page: Page, server: LiveServer) -> None:
    with_sso(server)
    open_people(page, server)
    page.get_by_role("link", name="How people sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How people sign in")


def open_settings_with_error(page: Page, server: LiveServer) -> None:
    open_settings(page, server)
    page.get_by_label("Switch off passwords for everyone but one admin").check()
    page.get_by_role("button", name="Save how people sign in").click()
    expect(page.get_by_text("How people sign in was not changed")).to_be_visible()


def open_sign_in_with_passwords_off(page: Page, server: LiveServer) -> None:
    open_settings(page, server)
    page.get_by_label("Switch off passwords for everyone but one admin").check()
    page.get_by_label("Admin who keeps a password (break-glass)").select_option(
        label="Ada Admin (admin@example.org)"
    )
    page.get_by_role("button", name="Save how people sign in").click()
    expect(page.get_by_text("How people sign in has been saved.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_text("Emergency sign-in for the administrator").click()
    expect(page.get_by_label("Email address")).to_be_visible()


def open_invitation_with_sso(page: Page, server: LiveServer) -> None:
    """An invitation's page when single sign-on is set up: the button beside the form."""
    from grid_app.auth import tokens
    from grid_app.auth.models import OPERATOR
    from grid_app.extensions import db
    from grid_app.people import invitations

    with_sso(server)
    with server.app.app_context():
        invited = invitations.invite(OPERATOR, "ivy.invited@example.org", ["contributor"])
        link = tokens.issue(invited, tokens.TokenPurpose.INVITE, timedelta(days=7))
        db.session.commit()
    page.goto(f"{server.url}/invitation/{link}")
    expect(page.get_by_role("link", name=f"sign in with {DISPLAY_NAME}")).to_be_visible()


def test_the_admin_keeps_a_password_when_passwords_are_switched_off(
    page: Page, live_server: LiveServer, console_errors
):
    open_sign_in_with_passwords_off(page, live_server)
    page.get_by_label("Email address").fill("admin@example.org")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{live_server.url}/grids/**")
    assert unexpected(console_errors) == []
