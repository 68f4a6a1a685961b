"""One's own account in a real browser: where one is signed in, and a new email address; and
an admin signing a person out of every browser."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect

from tests.conftest import SmtpServer, use_smtp
from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, new_signed_in_page, sign_in

CONTRIBUTOR = "contributor@example.org"
NEW_ADDRESS = "chris.new@example.net"
TOM = "tom.hughes@example.org"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def unexpected(errors: list[str]) -> list[str]:
    """Console errors, less the browser's note of a refusal the journey asks for (a 422 form,
    a 410 used link)."""
    return [e for e in errors if not re.search(r"status of (422|410)\b", e)]


def open_profile_from_header(page: Page, server: LiveServer, email: str = CONTRIBUTOR) -> None:
    """Signed in, then the profile through the person's name in the header."""
    sign_in(page, server, email)
    page.get_by_role("link", name="your profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")


def sign_in_elsewhere(server: LiveServer, email: str, user_agent: str) -> None:
    """A session of ``email``'s on another browser, started as sign-in starts one."""
    from grid_app.auth import service
    from grid_app.auth.models import User
    from grid_app.extensions import db

    with server.app.app_context():
        person = db.session.scalar(db.select(User).where(User.email == email))
        assert person is not None
        service.start_session(person, user_agent)
        db.session.commit()


def email_link(server: LiveServer, email: str = "manager@example.org") -> str:
    """A fresh link to move ``email``'s account to a new address."""
    from grid_app.auth import tokens
    from grid_app.auth.models import User
    from grid_app.extensions import db

    with server.app.app_context():
        person = db.session.scalar(db.select(User).where(User.email == email))
        assert person is not None
        raw = tokens.issue(
            person, tokens.TokenPurpose.EMAIL, timedelta(hours=1), new_email="morgan@example.net"
        )
        db.session.commit()
    return f"{server.url}/profile/email/confirm/{raw}"


def sessions(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("region", name="Your sessions")


def test_a_person_signs_another_browser_out_from_their_profile(
    page: Page, browser: Browser, live_server, console_errors
):
    other = new_signed_in_page(browser, live_server, CONTRIBUTOR, user_agent=FIREFOX_WINDOWS)
    open_profile_from_header(page, live_server)
    items = sessions(page).get_by_role("listitem")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("This browser")
    expect(items.first).to_contain_text("Chrome on Linux")
    expect(items.nth(1)).to_contain_text("Firefox on Windows")
    expect(items.nth(1)).to_contain_text("last seen")
    sign_out_firefox = sessions(page).get_by_role(
        "button", name=re.compile(r"^Sign out of Firefox on Windows")
    )
    sign_out_firefox.click()
    # A browser left signed in is not enough: the password is asked for first.
    expect(sessions(page).get_by_text("Error: Enter your password.")).to_be_visible()
    sessions(page).get_by_label("Password, to confirm it is you").fill("not the password")
    sign_out_firefox.click()
    expect(sessions(page).get_by_text("Error: Your current password is not right.")).to_be_visible()
    expect(items).to_have_count(2)
    sessions(page).get_by_label("Password, to confirm it is you").fill(DEMO_PASSWORD)
    sign_out_firefox.click()
    expect(sessions(page).get_by_role("status")).to_have_text(
        "Firefox on Windows has been signed out."
    )
    expect(items).to_have_count(1)
    expect(sessions(page)).to_contain_text("You are not signed in anywhere else.")

    other.reload()
    expect(other).to_have_url(re.compile(r"/sign-in"))
    other.context.close()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    assert unexpected(console_errors) == []


def test_signing_out_everywhere_else_without_javascript(
    browser: Browser, live_server, console_errors
):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    sign_in_elsewhere(live_server, CONTRIBUTOR, FIREFOX_WINDOWS)
    open_profile_from_header(page, live_server)
    page.get_by_label("Password, to confirm it is you").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign out everywhere else").click()
    expect(page.get_by_text("1 other browser signed out.")).to_be_visible()
    expect(sessions(page).get_by_role("listitem")).to_have_count(1)
    context.close()


def test_a_person_changes_their_email_address_through_the_emailed_link(
    page: Page, browser: Browser, live_server, smtp_server: SmtpServer, console_errors
):
    use_smtp(live_server.app, smtp_server.port)
    live_server.app.config["BASE_URL"] = live_server.url
    open_profile_from_header(page, live_server)
    page.get_by_label("New email address").fill("not an address")
    page.get_by_label("Your password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.get_by_role("link", name="Enter an email address like")).to_be_visible()
    page.get_by_label("New email address").fill(NEW_ADDRESS)
    page.get_by_label("Your password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.get_by_text(f"We have sent a link to {NEW_ADDRESS}.")).to_be_visible()

    received = {m["To"]: m for m in smtp_server.wait_for(2)}
    assert "asked to change its email address" in received[CONTRIBUTOR].get_content()
    found = re.search(
        rf"{re.escape(live_server.url)}/profile/email/confirm/\S+",
        received[NEW_ADDRESS].get_content(),
    )
    assert found is not None

    # Followed on a browser that is not signed in: through sign-in, and back to the link.
    elsewhere = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    elsewhere.goto(found.group(0))
    expect(elsewhere).to_have_url(re.compile(r"/sign-in\?next="))
    elsewhere.get_by_label("Email address").fill(CONTRIBUTOR)
    elsewhere.get_by_label("Password").fill(DEMO_PASSWORD)
    elsewhere.get_by_role("button", name="Sign in").click()
    expect(elsewhere.get_by_role("heading", name="Confirm your new email address")).to_be_visible()
    expect(elsewhere.get_by_text(NEW_ADDRESS)).to_be_visible()
    elsewhere.get_by_role("button", name="Confirm new email address").click()
    expect(elsewhere.get_by_text(f"Your email address is now {NEW_ADDRESS}.")).to_be_visible()
    expect(elsewhere.get_by_role("definition").filter(has_text=NEW_ADDRESS)).to_be_visible()

    changed = smtp_server.wait_for(3)[2]
    assert changed["To"] == CONTRIBUTOR and "is now" in changed.get_content()
    elsewhere.goto(found.group(0))
    expect(elsewhere.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    elsewhere.context.close()

    page.reload()  # the first browser was signed out by the change
    expect(page).to_have_url(re.compile(r"/sign-in"))
    assert unexpected(console_errors) == []


def test_an_admin_signs_someone_out_of_every_browser_from_people(
    page: Page, browser: Browser, live_server, console_errors
):
    theirs = new_signed_in_page(browser, live_server, TOM)
    sign_in(page, live_server, "admin@example.org")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Tom Hughes").click()
    expect(page.get_by_text("Signed in on 1 browser")).to_be_visible()
    page.get_by_role("button", name="Sign Tom Hughes out of every browser").click()
    expect(page.get_by_text("Tom Hughes has been signed out of 1 browser.")).to_be_visible()
    expect(page.get_by_text("Not signed in anywhere.")).to_be_visible()
    theirs.reload()
    expect(theirs).to_have_url(re.compile(r"/sign-in"))
    theirs.context.close()
    assert console_errors == []


def test_an_admin_signs_everyone_out_from_people(
    page: Page, browser: Browser, live_server, console_errors
):
    theirs = new_signed_in_page(browser, live_server, TOM)
    sign_in(page, live_server, "admin@example.org")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Sign everyone out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign everyone out")
    expect(page.get_by_text("1 sign-in session would end.")).to_be_visible()
    page.get_by_role("button", name="Sign everyone out").click()
    expect(page.get_by_role("heading", name="Nobody was signed out")).to_be_visible()
    page.get_by_label("Password, to confirm it is you").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign everyone out").click()
    expect(
        page.get_by_text("Everyone has been signed out: 1 sign-in session ended.")
    ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    theirs.reload()
    expect(theirs).to_have_url(re.compile(r"/sign-in"))
    theirs.context.close()
    assert unexpected(console_errors) == []


# --- Page states for the accessibility check ---------------------------------------------


def open_profile_with_sessions(page: Page, server: LiveServer) -> None:
    sign_in_elsewhere(server, CONTRIBUTOR, FIREFOX_WINDOWS)
    open_profile_from_header(page, server)
    expect(sessions(page).get_by_role("listitem")).to_have_count(2)


def open_profile_after_signing_one_out(page: Page, server: LiveServer) -> None:
    open_profile_with_sessions(page, server)
    sessions(page).get_by_label("Password, to confirm it is you").fill(DEMO_PASSWORD)
    sessions(page).get_by_role("button", name=re.compile(r"^Sign out of Firefox")).click()
    expect(sessions(page).get_by_role("status")).to_be_visible()


def open_profile_with_a_refused_sign_out(page: Page, server: LiveServer) -> None:
    open_profile_with_sessions(page, server)
    sessions(page).get_by_role("button", name="Sign out everywhere else").click()
    expect(sessions(page).get_by_text("Error: Enter your password.")).to_be_visible()


def open_change_email_with_errors(page: Page, server: LiveServer) -> None:
    open_profile_from_header(page, server)
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.get_by_role("heading", name="Your email address was not changed")).to_be_visible()


def open_confirm_email(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "manager@example.org")
    page.goto(email_link(server))
    expect(page.get_by_role("heading", name="Confirm your new email address")).to_be_visible()


def open_email_confirmed(page: Page, server: LiveServer) -> None:
    open_confirm_email(page, server)
    page.get_by_role("button", name="Confirm new email address").click()
    expect(page.get_by_text("Your email address is now morgan@example.net.")).to_be_visible()


def open_email_link_gone(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/profile/email/confirm/not-a-real-link")
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()


def open_person_with_sessions(page: Page, server: LiveServer) -> None:
    sign_in_elsewhere(server, "marcus.reid@example.org", FIREFOX_WINDOWS)
    sign_in(page, server, "admin@example.org")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Marcus Reid").click()
    expect(page.get_by_text("Signed in on 1 browser")).to_be_visible()


def open_sign_out_everyone(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "admin@example.org")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Sign everyone out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign everyone out")


def open_sign_out_everyone_with_error(page: Page, server: LiveServer) -> None:
    open_sign_out_everyone(page, server)
    page.get_by_role("button", name="Sign everyone out").click()
    expect(page.get_by_role("heading", name="Nobody was signed out")).to_be_visible()
