"""Single sign-on and the second factor together: an authenticator app is still asked for
unless the provider asks for its own second factor, and a fresh sign-in at the provider
confirms a sensitive action."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import select

from grid_app.auth.models import SignInMethod, UserSession
from grid_app.database import utcnow
from grid_app.extensions import db
from tests.auth.test_second_factor import enrol
from tests.oidc_provider import local_path, sign_in_at_provider
from tests.sso.test_sign_in import signed_in_as, through_provider


def new_sub() -> str:
    return f"person-{uuid.uuid4().hex[:12]}"


def methods(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(UserSession.method).where(UserSession.user_id == user_id))
        )


def test_someone_with_an_authenticator_app_types_a_code_after_the_provider(
    sso_app, client, provider, people
):
    app_codes = enrol(sso_app, people["manager"])
    sub = new_sub()
    provider.set_person(sub, email=people["manager"].email, email_verified=True)
    answer = through_provider(client, provider, sub, start="/sign-in/sso?next=/profile")
    assert answer.status_code == 303 and answer.location.endswith("/sign-in/code")
    assert signed_in_as(client) is None
    assert methods(sso_app, people["manager"].id) == []
    wrong = client.post_form("/sign-in/code", {"code": "000000"})
    assert wrong.status_code == 422 and signed_in_as(client) is None
    done = client.post_form("/sign-in/code", {"code": app_codes.code()})
    assert done.status_code == 303 and done.location.endswith("/profile")
    assert signed_in_as(client) == people["manager"].email
    assert methods(sso_app, people["manager"].id) == [SignInMethod.SSO.value]


def test_a_provider_that_asks_for_its_own_second_factor_is_enough(
    sso_app, client, provider, people
):
    enrol(sso_app, people["manager"])
    sso_app.config["OIDC_PROVIDER_ENFORCES_MFA"] = True
    sub = new_sub()
    provider.set_person(sub, email=people["manager"].email, email_verified=True)
    answer = through_provider(client, provider, sub)
    assert answer.status_code == 303 and "/sign-in/code" not in answer.location
    assert signed_in_as(client) == people["manager"].email


def test_a_role_that_needs_a_second_factor_is_let_through_when_the_provider_asks_for_one(
    sso_app, client, new_client, provider, people
):
    sso_app.config["MFA_REQUIRED_ROLES"] = "admin"
    sub = new_sub()
    provider.set_person(sub, email=people["admin"].email, email_verified=True)
    # Without the provider's own second factor: sent to set up an app first.
    assert through_provider(client, provider, sub).status_code == 303
    assert "/profile/two-step" in client.get("/people").location
    sso_app.config["OIDC_PROVIDER_ENFORCES_MFA"] = True
    other = new_client()
    assert through_provider(other, provider, sub).status_code == 303
    assert other.get("/people").status_code == 200


def test_a_fresh_sign_in_at_the_provider_confirms_a_sensitive_action(
    sso_app, client, provider, people
):
    sub = new_sub()
    provider.set_person(sub, email=people["admin"].email, email_verified=True)
    assert through_provider(client, provider, sub).status_code == 303
    with sso_app.app_context():
        # The sign-in was long ago: the download asks to confirm.
        db.session.execute(
            UserSession.__table__.update()
            .where(UserSession.user_id == people["admin"].id)
            .values(proved_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
    asked = client.get("/audit.csv")
    assert asked.status_code in (302, 303) and "/confirm" in asked.location
    page = client.get(local_path(asked.location))
    found = re.search(r'href="([^"]*/sign-in/sso/again[^"]*)"', page.text)
    assert found and "Confirm with" in page.text
    leaving = client.get(found.group(1).replace("&amp;", "&"))
    assert "prompt=login" in leaving.location
    back = client.get(local_path(sign_in_at_provider(leaving.location, sub)))
    assert back.status_code == 303
    # Back on the confirm page, which goes on at once to the download.
    resumed = client.get(local_path(back.location))
    assert resumed.status_code in (302, 303) and resumed.location.endswith("/audit.csv")
    download = client.get("/audit.csv")
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
