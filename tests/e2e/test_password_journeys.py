"""A forgotten password, from the sign-in page to signed in, and changing one's password."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import SmtpServer, use_smtp
from tests.e2e.conftest import LiveServer, sign_in

NEW_PASSWORD = "plum kettle across winter"


def unexpected(errors: list[str]) -> list[str]:
    """Console errors, less the browser's note of each refusal these journeys ask for
    (a 422 form, a 410 used link): those pages are the point of the journey."""
    return [e for e in errors if not re.search(r"status of (422|410)\b", e)]


def request_link(page: Page, server: LiveServer, smtp: SmtpServer) -> str:
    """From the sign-in page, ask for a link; return the one the email brought."""
    use_smtp(server.app, smtp.port)
    server.app.config["BASE_URL"] = server.url
    page.goto(f"{server.url}/sign-in")
    page.get_by_role("link", name="Forgotten your password?").click()
    page.get_by_label("Email address").fill("contributor@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    (received,) = smtp.wait_for(1)
    assert received["To"] == "contributor@example.org"
    found = re.search(rf"{re.escape(server.url)}/reset-password/\S+", received.get_content())
    assert found is not None
    return found.group(0)


def test_a_forgotten_password_is_reset_from_an_emailed_link(
    page: Page, live_server, smtp_server, console_errors
):
    link = request_link(page, live_server, smtp_server)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Type the new password again").fill("short")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("link", name="Use at least 12 characters.")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Your new password is set, and you are signed in.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/grids/"))
    page.goto(link)
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    page.get_by_role("link", name="Ask for a new link").click()
    expect(page.get_by_role("heading", name="Forgotten your password?")).to_be_visible()
    assert unexpected(console_errors) == []


def test_a_password_is_changed_from_the_profile_page(page: Page, live_server, console_errors):
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/profile")
    page.get_by_label("Current password").fill("not the password at all")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("link", name="Your current password is not right.")).to_be_visible()
    # The service's own name is among the first guesses an attacker makes.
    page.get_by_label("Current password").fill("e2e-demo-password")
    page.get_by_label("New password", exact=True).fill("Supporting People 2026")
    page.get_by_label("Type the new password again").fill("Supporting People 2026")
    page.get_by_role("button", name="Change password").click()
    expect(
        page.get_by_role("link", name="Do not use the name of this service or of the council")
    ).to_be_visible()
    page.get_by_label("Current password").fill("e2e-demo-password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    assert unexpected(console_errors) == []


def open_forgot_password(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/forgot-password")


def open_forgot_password_with_error(page: Page, server: LiveServer) -> None:
    open_forgot_password(page, server)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()


def open_reset_sent(page: Page, server: LiveServer) -> None:
    open_forgot_password(page, server)
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def open_reset_link_unusable(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/reset-password/not-a-real-link")
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()


def _fresh_link(server: LiveServer) -> str:
    from datetime import timedelta

    from grid_app.auth import tokens
    from grid_app.auth.models import User
    from grid_app.extensions import db

    with server.app.app_context():
        person = db.session.scalar(db.select(User).where(User.email == "manager@example.org"))
        assert person is not None
        raw = tokens.issue(person, tokens.TokenPurpose.RESET, timedelta(hours=1))
        db.session.commit()
    return f"{server.url}/reset-password/{raw}"


def open_reset_password_with_errors(page: Page, server: LiveServer) -> None:
    page.goto(_fresh_link(server))
    page.get_by_label("New password", exact=True).fill("manager-password")
    page.get_by_label("Type the new password again").fill("something else")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()


def open_reset_password(page: Page, server: LiveServer) -> None:
    page.goto(_fresh_link(server))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()


def open_change_password_with_errors(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/profile")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Your password was not changed")).to_be_visible()
