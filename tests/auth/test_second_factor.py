"""A second factor: setting up an authenticator app, signing in with it or a recovery code,
turning it off, an admin's reset, and the roles that must have one."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pyotp
import pytest

from grid_app.audit.models import AuditEvent
from grid_app.auth import second_factor, service
from grid_app.auth.models import RecoveryCode, SecondFactor, SignInMethod, User, UserSession
from grid_app.extensions import db
from tests.conftest import HX, PASSWORD, unique_address, use_smtp


@dataclass(frozen=True)
class Enrolled:
    """An authenticator set up for a test person: its secret and recovery codes."""

    secret: str
    codes: list[str]

    def code(self, offset_steps: int = 0) -> str:
        """The app's code ``offset_steps`` steps from now."""
        return pyotp.TOTP(self.secret).at(time.time() + 30 * offset_steps)


def enrol(app, person) -> Enrolled:
    """Set up an authenticator for ``person`` through the service, as the pages do."""
    with app.app_context():
        user = db.session.get_one(User, person.id)
        setup = second_factor.start(user, user)
        # The code of the step before now: the tests' own codes (now, next) stay unused.
        codes = second_factor.confirm(user, user, pyotp.TOTP(setup.secret).at(time.time() - 30))
        db.session.commit()
    return Enrolled(setup.secret, codes)


def _actions(app, action):
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def _sign_in_with_code(client, person, code):
    first = client.post_form("/sign-in", {"email": person.email, "password": PASSWORD})
    assert first.status_code == 303
    assert first.location.endswith("/sign-in/code")
    return client.post_form("/sign-in/code", {"code": code})


def _signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


# --- Setting it up ---------------------------------------------------------------------------


def test_setting_up_shows_a_qr_code_and_the_key_and_a_first_code_turns_it_on(app, client, people):
    client.sign_in(people["contributor"])
    page = client.get("/profile/two-step")
    assert "Set up authenticator app" in page.text
    started = client.post_form("/profile/two-step/start", {})
    assert started.status_code == 303
    page = client.get("/profile/two-step").text
    assert '<svg role="img" aria-label="QR code to scan with your app"' in page
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    done = client.post_form("/profile/two-step/confirm", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.text)
    assert len(codes) == len(set(codes)) == 10
    assert "They are shown only now" in done.text
    assert "On" in client.get("/profile/two-step").text
    assert len(_actions(app, "auth.second_factor_on")) == 1


def test_the_secret_is_encrypted_at_rest_and_recovery_codes_are_hashed(app, people):
    enrolled = enrol(app, people["contributor"])
    with app.app_context():
        factor = db.session.scalars(db.select(SecondFactor)).one()
        stored = list(db.session.scalars(db.select(RecoveryCode.code_hash)))
    assert enrolled.secret not in factor.secret_encrypted
    assert factor.secret_encrypted.startswith("gAAAA")  # a Fernet token
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h for code in enrolled.codes for h in stored)


def test_a_wrong_first_code_is_422_beside_the_box_and_turns_nothing_on(app, client, people):
    client.sign_in(people["contributor"])
    client.post_form("/profile/two-step/start", {})
    refused = client.post_form("/profile/two-step/confirm", {"code": "12345x"})
    assert refused.status_code == 422
    assert second_factor.WRONG_CODE in refused.text
    assert 'value="12345x"' in refused.text
    assert 'id="secret"' in refused.text
    with app.app_context():
        assert not second_factor.enrolled(db.session.get_one(User, people["contributor"].id))


def test_nobody_can_set_up_or_confirm_an_authenticator_for_someone_else(app, people):
    from grid_app.errors import Forbidden

    with app.app_context():
        admin = db.session.get_one(User, people["admin"].id)
        other = db.session.get_one(User, people["contributor"].id)
        with pytest.raises(Forbidden):
            second_factor.start(admin, other)
        with pytest.raises(Forbidden):
            second_factor.confirm(admin, other, "123456")


def test_signed_out_the_pages_send_a_stranger_to_sign_in(client):
    assert "/sign-in" in client.get("/profile/two-step").location
    assert client.get("/sign-in/code").location.endswith("/sign-in")


# --- Signing in ------------------------------------------------------------------------------


def test_signing_in_asks_for_the_code_after_the_password(app, client, people):
    enrolled = enrol(app, people["contributor"])
    first = client.post_form(
        "/sign-in", {"email": people["contributor"].email, "password": PASSWORD}
    )
    assert first.location.endswith("/sign-in/code")
    assert not _signed_in(client)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 0
    done = client.post_form("/sign-in/code", {"code": enrolled.code()})
    assert done.status_code == 303
    assert _signed_in(client)


def test_a_wrong_code_is_422_beside_the_box_audited_and_signs_nobody_in(app, client, people):
    enrol(app, people["contributor"])
    refused = _sign_in_with_code(client, people["contributor"], "000000")
    assert refused.status_code == 422
    assert second_factor.WRONG_CODE in refused.text
    assert not _signed_in(client)
    assert len(_actions(app, "auth.second_factor_failed")) == 1


def test_an_empty_code_is_422_with_what_to_type(app, client, people):
    enrol(app, people["contributor"])
    refused = _sign_in_with_code(client, people["contributor"], "  ")
    assert refused.status_code == 422
    assert second_factor.ENTER_CODE_OR_RECOVERY in refused.text


def test_a_code_from_one_step_either_side_is_accepted_but_not_two(app, new_client, people):
    enrolled = enrol(app, people["contributor"])
    too_far = _sign_in_with_code(new_client(), people["contributor"], enrolled.code(2))
    assert too_far.status_code == 422
    late = new_client()
    assert _sign_in_with_code(late, people["contributor"], enrolled.code(1)).status_code == 303


def test_a_code_that_was_used_cannot_be_used_again(app, new_client, people):
    enrolled = enrol(app, people["contributor"])
    code = enrolled.code()
    assert _sign_in_with_code(new_client(), people["contributor"], code).status_code == 303
    replayed = _sign_in_with_code(new_client(), people["contributor"], code)
    assert replayed.status_code == 422
    assert second_factor.CODE_USED in replayed.text


def test_a_recovery_code_signs_in_once(app, new_client, people):
    enrolled = enrol(app, people["contributor"])
    recovery = enrolled.codes[3].upper()
    first = new_client()
    assert _sign_in_with_code(first, people["contributor"], recovery).status_code == 303
    assert _signed_in(first)
    (used,) = _actions(app, "auth.recovery_code_used")
    assert used.details["left"] == 9
    again = _sign_in_with_code(new_client(), people["contributor"], recovery)
    assert again.status_code == 422


def test_the_code_step_expires_and_sends_back_to_the_password(app, client, people):
    enrolled = enrol(app, people["contributor"])
    client.post_form("/sign-in", {"email": people["contributor"].email, "password": PASSWORD})
    with client.session_transaction() as browser:
        pending = dict(browser["sign_in_pending"])
        pending["at"] -= 6 * 60
        browser["sign_in_pending"] = pending
    late = client.post_form("/sign-in/code", {"code": enrolled.code()})
    assert late.status_code == 302
    assert late.location.endswith("/sign-in")
    assert not _signed_in(client)


def test_codes_are_limited_per_person_even_the_right_one_after_too_many(app, client, people):
    app.config["MFA_CODE_LIMIT_PER_PERSON"] = "3 per 10 minutes"
    enrolled = enrol(app, people["contributor"])
    address = {"REMOTE_ADDR": unique_address()}
    client.post_form(
        "/sign-in",
        {"email": people["contributor"].email, "password": PASSWORD},
        environ_base=address,
    )
    for _ in range(3):
        wrong = client.post_form("/sign-in/code", {"code": "000000"}, environ_base=address)
        assert wrong.status_code == 422
    held = client.post_form("/sign-in/code", {"code": enrolled.code()}, environ_base=address)
    assert held.status_code == 429
    assert not _signed_in(client)


# --- Turning it off --------------------------------------------------------------------------


def test_turning_it_off_needs_a_code_and_a_wrong_one_is_422(app, client, people):
    enrolled = enrol(app, people["contributor"])
    _sign_in_with_code(client, people["contributor"], enrolled.code())
    wrong = client.post_form("/profile/two-step/off", {"code": "111111"})
    assert wrong.status_code == 422
    assert second_factor.WRONG_CODE in wrong.text
    off = client.post_form("/profile/two-step/off", {"code": enrolled.codes[0]})
    assert off.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(RecoveryCode.id))) == 0
        assert db.session.scalar(db.select(db.func.count(SecondFactor.id))) == 0
    assert len(_actions(app, "auth.second_factor_off")) == 1


def test_a_role_that_needs_it_cannot_turn_it_off(app, client, people):
    app.config["MFA_REQUIRED_ROLES"] = frozenset({"facilitator"})
    enrolled = enrol(app, people["facilitator"])
    _sign_in_with_code(client, people["facilitator"], enrolled.code())
    refused = client.post_form("/profile/two-step/off", {"code": enrolled.codes[0]})
    assert refused.status_code == 422
    assert "Your role needs a second factor" in refused.text


# --- Roles that must have it ------------------------------------------------------------------


def test_a_facilitator_without_one_is_sent_to_set_it_up_before_anything_else(app, client, people):
    app.config["MFA_REQUIRED_ROLES"] = frozenset({"admin", "facilitator"})
    client.sign_in(people["facilitator"])
    held = client.get("/safe-space/")
    assert held.status_code == 303
    assert "/profile/two-step?next=" in held.location
    fragment = client.get("/safe-space/", headers=HX)
    assert fragment.headers["HX-Redirect"].startswith("/profile/two-step")
    assert client.get("/profile/two-step").status_code == 200


def test_a_contributor_is_not_held_back_when_only_admins_and_facilitators_need_it(
    app, client, people, grid
):
    app.config["MFA_REQUIRED_ROLES"] = frozenset({"admin", "facilitator"})
    client.sign_in(people["contributor"])
    assert client.get(f"/grids/{grid.slug}").status_code == 200


def test_after_setting_it_up_the_facilitator_goes_on_where_they_were_going(app, client, people):
    app.config["MFA_REQUIRED_ROLES"] = frozenset({"facilitator"})
    client.sign_in(people["facilitator"])
    client.post_form("/profile/two-step/start", {"next": "/safe-space/"})
    page = client.get("/profile/two-step?next=/safe-space/").text
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    shown = client.post_form(
        "/profile/two-step/confirm", {"code": pyotp.TOTP(secret).now(), "next": "/safe-space/"}
    )
    assert 'href="/safe-space/"' in shown.text
    assert client.get("/safe-space/").status_code == 200


def test_a_single_sign_on_session_is_let_through_when_the_provider_enforces_mfa(
    app, client, people
):
    app.config["MFA_REQUIRED_ROLES"] = frozenset({"facilitator"})
    client.sign_in(people["facilitator"])
    with app.app_context():
        db.session.execute(db.update(UserSession).values(method=SignInMethod.SSO.value))
        db.session.commit()
    assert client.get("/safe-space/").status_code == 303
    app.config["OIDC_PROVIDER_ENFORCES_MFA"] = True
    assert client.get("/safe-space/").status_code == 200


def test_record_proof_notes_the_time_and_how_the_session_began(app, client, people):
    client.sign_in(people["contributor"])
    with app.app_context():
        user = db.session.get_one(User, people["contributor"].id)
        token = service.start_session(user)
        service.record_proof(user, SignInMethod.SSO)
        db.session.commit()
        check = service.check_session(token)
        assert check.user is not None
        assert check.user.session_method == "sso"
        assert check.user.session_proved_at is not None


# --- An admin's reset ------------------------------------------------------------------------


def test_an_admin_resets_a_lost_factor_audited_and_the_person_is_emailed(
    app, client, people, smtp_server
):
    use_smtp(app, smtp_server.port)
    enrol(app, people["contributor"])
    client.sign_in(people["admin"])
    page = client.get(f"/people/{people['contributor'].id}").text
    assert "Reset Cara Contributor’s second factor" in page
    done = client.post_form(f"/people/{people['contributor'].id}/second-factor/reset", {})
    assert done.status_code == 303
    with app.app_context():
        from grid_app.discussion import mail

        mail.deliver_due()
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == people["contributor"].email
    assert "Ade Admin (an admin) has removed the authenticator app" in message.get_content()
    (event,) = _actions(app, "auth.second_factor_reset")
    assert event.actor_id == people["admin"].id
    first = client.post_form(
        "/sign-in", {"email": people["contributor"].email, "password": PASSWORD}
    )
    assert not first.location.endswith("/sign-in/code")


def test_only_an_admin_may_reset_someone_s_factor(app, client, people):
    enrol(app, people["contributor"])
    client.sign_in(people["manager"])
    refused = client.post_form(f"/people/{people['contributor'].id}/second-factor/reset", {})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SecondFactor.id))) == 1


def test_resetting_someone_without_a_factor_is_a_409(app, client, people):
    client.sign_in(people["admin"])
    refused = client.post_form(f"/people/{people['contributor'].id}/second-factor/reset", {})
    assert refused.status_code == 409


def test_a_password_reset_link_does_not_skip_the_code(app, client, people):
    from tests.auth.test_reset import NEW_PASSWORD, _link_for

    enrolled = enrol(app, people["contributor"])
    link = _link_for(app, people["contributor"])
    new = NEW_PASSWORD
    reset = client.post_form(link, {"password": new, "confirm_password": new})
    assert reset.status_code == 303
    assert reset.location.endswith("/sign-in/code")
    assert not _signed_in(client)
    done = client.post_form("/sign-in/code", {"code": enrolled.code()})
    assert done.status_code == 303
    assert _signed_in(client)


def test_a_password_alone_starts_no_session_for_someone_with_an_app(app, people):
    enrol(app, people["contributor"])
    with app.app_context():
        assert service.sign_in(people["contributor"].email, PASSWORD) is None
        assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 0


def test_a_subject_access_export_says_they_have_an_app_but_holds_no_secret(app, client, people):
    from tests.dataprotection.test_subject_access import _download

    enrolled = enrol(app, people["contributor"])
    client.sign_in(people["admin"])
    _, data, _ = _download(client, people["contributor"].id)
    (factor,) = data["sections"]["Their authenticator app (when set up; never its secret)"]
    assert factor["confirmed_at"]
    assert len(data["sections"]["Their recovery codes (when each was used; never the codes)"]) == 10
    text = str(data)
    assert "secret_encrypted" not in text and "code_hash" not in text
    assert enrolled.secret not in text


def test_setting_up_again_while_it_is_on_is_a_409_and_keeps_the_app(app, client, people):
    enrolled = enrol(app, people["contributor"])
    _sign_in_with_code(client, people["contributor"], enrolled.code())
    again = client.post_form("/profile/two-step/start", {})
    assert again.status_code == 409
    with app.app_context():
        factor = db.session.scalars(db.select(SecondFactor)).one()
        assert factor.confirmed_at is not None
