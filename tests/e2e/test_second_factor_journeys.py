"""A second factor in a real browser: setting up an authenticator app from the profile and
signing in with it or a recovery code; a facilitator sent to set one up; and confirming it
is you before changing someone's role."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, sign_in

CONTRIBUTOR = "contributor@example.org"
FACILITATOR = "facilitator@example.org"
ADMIN = "admin@example.org"


def unexpected(errors: list[str]) -> list[str]:
    """Console errors, less the browser's note of a refusal the journey asks for."""
    return [e for e in errors if not re.search(r"status of (422)\b", e)]


def _code(secret: str, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def enrol(server: LiveServer, email: str) -> tuple[str, list[str]]:
    """Set up an authenticator for ``email`` through the service: its secret and codes."""
    from grid_app.auth import second_factor
    from grid_app.auth.models import User
    from grid_app.extensions import db

    with server.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        assert user is not None
        setup = second_factor.start(user, user)
        codes = second_factor.confirm(user, user, _code(setup.secret, -1))
        db.session.commit()
    return setup.secret, codes


def type_password(page: Page, server: LiveServer, email: str) -> None:
    """The first step of signing in: the sign-in page, address and password."""
    page.goto(f"{server.url}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def open_profile_section(page: Page, server: LiveServer) -> None:
    """The authenticator page before setting up, from the profile link in the header."""
    sign_in(page, server, CONTRIBUTOR)
    page.get_by_role("link", name="your profile").click()
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Authenticator app")


def open_setup(page: Page, server: LiveServer) -> None:
    """The QR code and the key to type, waiting for a first code."""
    open_profile_section(page, server)
    page.get_by_role("button", name="Set up authenticator app").click()
    expect(page.get_by_role("img", name="QR code to scan with your app")).to_be_visible()


def open_setup_with_error(page: Page, server: LiveServer) -> None:
    open_setup(page, server)
    page.get_by_label("Code from your app").fill("000000")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()


def open_recovery_codes(page: Page, server: LiveServer) -> None:
    """The ten recovery codes, shown once after the first code."""
    open_setup(page, server)
    secret = page.locator("#secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your app").fill(_code(secret))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")


def open_enrolled(page: Page, server: LiveServer) -> None:
    """The authenticator page once it is on."""
    secret, _ = enrol(server, CONTRIBUTOR)
    type_password(page, server, CONTRIBUTOR)
    page.get_by_label("Code").fill(_code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="your profile").click()
    page.get_by_role("link", name="Manage your authenticator app").click()
    expect(page.get_by_role("button", name="Turn off authenticator app")).to_be_visible()


def open_required_setup(page: Page, server: LiveServer) -> None:
    """A facilitator whose role needs a second factor, sent to set one up at sign-in."""
    server.app.config["MFA_REQUIRED_ROLES"] = frozenset({"admin", "facilitator"})
    type_password(page, server, FACILITATOR)
    expect(page.get_by_text("Your role needs a second factor.")).to_be_visible()


def open_required_enrolled(page: Page, server: LiveServer) -> None:
    """The authenticator page of a facilitator whose role keeps it on (no turning off)."""
    server.app.config["MFA_REQUIRED_ROLES"] = frozenset({"admin", "facilitator"})
    secret, _ = enrol(server, FACILITATOR)
    type_password(page, server, FACILITATOR)
    page.get_by_label("Code").fill(_code(secret))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="your profile").click()
    page.get_by_role("link", name="Manage your authenticator app").click()
    expect(page.get_by_text("Your role needs a second factor, so it stays on.")).to_be_visible()


def open_code_page(page: Page, server: LiveServer) -> None:
    enrol(server, CONTRIBUTOR)
    type_password(page, server, CONTRIBUTOR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")


def open_code_page_with_error(page: Page, server: LiveServer) -> None:
    open_code_page(page, server)
    page.get_by_label("Code").fill("123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()


def _proof_goes_stale(server: LiveServer, email: str) -> None:
    from grid_app.auth.models import User, UserSession
    from grid_app.database import utcnow
    from grid_app.extensions import db

    with server.app.app_context():
        user_id = db.session.scalar(db.select(User.id).where(User.email == email))
        db.session.execute(
            db.update(UserSession)
            .where(UserSession.user_id == user_id)
            .values(proved_at=utcnow() - timedelta(minutes=20))
        )
        db.session.commit()


def _role_change_held_back(page: Page, server: LiveServer) -> None:
    sign_in(page, server, ADMIN)
    _proof_goes_stale(server, ADMIN)
    page.get_by_role("navigation", name="Site").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Tom Hughes").click()
    page.get_by_role("checkbox", name="Manager").check()
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")


def open_confirm(page: Page, server: LiveServer) -> None:
    """The confirm page, held back from changing a role."""
    _role_change_held_back(page, server)


def open_confirm_with_error(page: Page, server: LiveServer) -> None:
    _role_change_held_back(page, server)
    page.get_by_label("Your password").fill("not the password")
    page.get_by_role("button", name="Confirm with password").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()


def open_confirmed(page: Page, server: LiveServer) -> None:
    """After confirming: the choice kept, to send with one press."""
    _role_change_held_back(page, server)
    page.get_by_label("Your password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirm with password").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirmed")


def roles_of(server: LiveServer, email: str) -> set[str]:
    from grid_app.auth.models import User
    from grid_app.extensions import db

    with server.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        assert user is not None
        return {r.value for r in user.roles}


def test_a_person_sets_up_an_authenticator_and_signs_in_with_it(
    page: Page, live_server, console_errors
):
    open_recovery_codes(page, live_server)
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    secret = _secret_of(live_server, CONTRIBUTOR)
    page.get_by_role("link", name="I have kept them, go on").click()
    page.get_by_role("button", name="Sign out").click()

    type_password(page, live_server, CONTRIBUTOR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_label("Code").fill(_code(secret, 1))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/grids/**")
    expect(page.get_by_role("link", name="your profile")).to_be_visible()
    assert unexpected(console_errors) == []


def _secret_of(server: LiveServer, email: str) -> str:
    from grid_app.auth import second_factor
    from grid_app.auth.models import SecondFactor, User
    from grid_app.extensions import db

    with server.app.app_context():
        factor = db.session.scalar(
            db.select(SecondFactor)
            .join(User, SecondFactor.user_id == User.id)
            .where(User.email == email)
        )
        assert factor is not None
        return second_factor._decrypt(factor.secret_encrypted)


def test_a_person_who_lost_their_phone_signs_in_with_a_recovery_code(
    page: Page, live_server, console_errors
):
    _, codes = enrol(live_server, CONTRIBUTOR)
    type_password(page, live_server, CONTRIBUTOR)
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#code-error")).to_contain_text("This code is not right")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/grids/**")
    page.get_by_role("link", name="your profile").click()
    page.get_by_role("link", name="Manage your authenticator app").click()
    expect(page.get_by_text("You have 9 unused recovery codes.")).to_be_visible()
    assert unexpected(console_errors) == []


def test_a_facilitator_without_a_second_factor_sets_one_up_before_reaching_a_session(
    page: Page, live_server, console_errors
):
    live_server.app.config["MFA_REQUIRED_ROLES"] = frozenset({"admin", "facilitator"})
    type_password(page, live_server, FACILITATOR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Authenticator app")
    expect(page.get_by_text("Your role needs a second factor.")).to_be_visible()
    page.goto(f"{live_server.url}/safe-space/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Authenticator app")

    page.get_by_role("button", name="Set up authenticator app").click()
    secret = page.locator("#secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your app").fill(_code(secret))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("link", name="I have kept them, go on").click()
    page.get_by_role("link", name="Safe-space sessions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("session", re.I))
    assert unexpected(console_errors) == []


def test_changing_a_role_asks_to_confirm_it_is_you_and_keeps_the_choice(
    page: Page, live_server, console_errors
):
    _role_change_held_back(page, live_server)
    assert roles_of(live_server, "tom.hughes@example.org") == {"contributor"}
    page.get_by_label("Your password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirm with password").click()
    expect(page.locator("#what-you-chose")).to_contain_text("contributor, manager")
    page.get_by_role("button", name=re.compile("Go on: change this person")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tom Hughes")
    expect(page.get_by_role("checkbox", name="Manager")).to_be_checked()
    assert roles_of(live_server, "tom.hughes@example.org") == {"contributor", "manager"}
    assert unexpected(console_errors) == []
