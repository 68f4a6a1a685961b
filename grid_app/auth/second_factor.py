"""A second factor: an authenticator app (TOTP, RFC 6238) and its single-use recovery codes.

The shared secret is encrypted at rest with MFA_ENCRYPTION_KEY (Fernet), which never goes
into the database. Codes are accepted one 30-second step either side of now; the step of
the last code accepted is kept, so a code (or an earlier one) cannot be used twice.
Recovery codes are shown once and stored only as salted password hashes.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import delete, or_, select, update
from werkzeug.security import check_password_hash

from grid_app.audit import service as audit
from grid_app.auth import service
from grid_app.auth.models import (
    Actor,
    RecoveryCode,
    Role,
    SecondFactor,
    SignInMethod,
    User,
)
from grid_app.database import utcnow
from grid_app.discussion import mail
from grid_app.errors import EditConflict, Forbidden, Invalid
from grid_app.extensions import db

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

# pyotp, segno and cryptography are imported where they are used: a web worker loads them
# when someone first sets up or types a code, not for every page (as openpyxl and docx).

ISSUER = "Supporting People Grid"
RECOVERY_CODES = 10
# Recovery codes: ten characters from an alphabet without look-alikes (no 0/o, 1/l/i),
# 31 symbols, so over 49 bits each, in two groups of five to read and type.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE_LENGTH = 10
# A code may come from the step before or after this one, for a phone's clock a little off.
_WINDOW = 1

# Beside the code box.
WRONG_CODE = "This code is not right. Check your app and type the code it shows now."
CODE_USED = "This code has been used already. Wait for your app to show the next one."
ENTER_CODE = "Enter the 6-digit code from your authenticator app."
ENTER_CODE_OR_RECOVERY = "Enter the 6-digit code from your app, or one of your recovery codes."


@dataclass(frozen=True)
class Enrolment:
    """What the person needs to add the grid to their authenticator app."""

    secret: str
    uri: str
    qr_svg: str

    @property
    def secret_groups(self) -> str:
        """The secret in groups of four, easier to type into an app by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def _fernet() -> Fernet:
    from cryptography.fernet import Fernet

    return Fernet(current_app.config["MFA_ENCRYPTION_KEY"])


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def factor_of(user: User) -> SecondFactor | None:
    """The person's authenticator, confirmed or still being set up."""
    return db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))


def enrolled(user: User) -> bool:
    """Whether the person has a confirmed authenticator app."""
    factor = factor_of(user)
    return factor is not None and factor.confirmed_at is not None


def recovery_codes_left(user: User) -> int:
    """How many of the person's recovery codes are still unused."""
    return len(_unused_codes(user))


def required_roles() -> frozenset[str]:
    """The roles that must have a second factor (MFA_REQUIRED_ROLES)."""
    roles: frozenset[str] = current_app.config["MFA_REQUIRED_ROLES"]
    return roles


def role_requires(user: User) -> bool:
    """Whether one of the person's roles needs a second factor."""
    return any(role.value in required_roles() for role in user.roles)


def must_enrol(user: User) -> bool:
    """Whether the person must set up an authenticator before using the app.

    Not when their session came through single sign-on and the council's provider already
    asks for a second factor (OIDC_PROVIDER_ENFORCES_MFA).
    """
    if not role_requires(user):
        return False
    if (
        user.session_method == SignInMethod.SSO.value
        and current_app.config["OIDC_PROVIDER_ENFORCES_MFA"]
    ):
        return False
    return not enrolled(user)


def _provisioning(user: User, secret: str) -> Enrolment:
    import pyotp
    import segno

    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    # Drawn here as inline SVG: no image service sees the secret, and the page's strict
    # Content-Security-Policy needs nothing more (no inline style, no data: image).
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, dark="#0b0c0c", light="#ffffff", title="QR code to scan with your app"
    )
    svg = svg.replace("<svg ", '<svg role="img" aria-label="QR code to scan with your app" ', 1)
    return Enrolment(secret, uri, svg)


def _require_self(actor: Actor, user: User, what: str) -> None:
    if actor.id != user.id:
        raise Forbidden(f"Only the person themselves can {what}.")


def start(actor: User, user: User) -> Enrolment:
    """Begin setting up an authenticator app: a new secret, kept until a first code confirms
    it. Starting again replaces a secret never confirmed; a confirmed one must be turned off
    first."""
    _require_self(actor, user, "set up their authenticator app")
    factor = factor_of(user)
    if factor is not None and factor.confirmed_at is not None:
        raise EditConflict("Your authenticator app is already set up.")
    # 160 random bits, as RFC 4226 recommends, from the operating system's CSPRNG.
    secret = _random_base32()
    if factor is None:
        factor = SecondFactor(user_id=user.id, secret_encrypted=_encrypt(secret))
        db.session.add(factor)
    else:
        factor.secret_encrypted = _encrypt(secret)
        factor.created_at = utcnow()
        factor.last_step = None
    db.session.flush()
    return _provisioning(user, secret)


def enrolment(user: User) -> Enrolment | None:
    """The QR code and secret of a setup begun and not yet confirmed, if any."""
    factor = factor_of(user)
    if factor is None or factor.confirmed_at is not None:
        return None
    return _provisioning(user, _decrypt(factor.secret_encrypted))


def confirm(actor: User, user: User, code: str) -> list[str]:
    """Finish setting up with a first code from the app; returns the ten recovery codes,
    which are shown once and stored only as hashes."""
    _require_self(actor, user, "set up their authenticator app")
    factor = factor_of(user)
    if factor is None or factor.confirmed_at is not None:
        raise EditConflict("There is no authenticator setup waiting to be confirmed.")
    step = _matching_step(factor, code, ENTER_CODE)
    if step is None:
        raise Invalid("Your authenticator app was not set up.", {"code": WRONG_CODE})
    factor.last_step = step
    factor.confirmed_at = utcnow()
    codes = _new_recovery_codes(user)
    db.session.flush()
    audit.record(actor, "auth.second_factor_on", "user", user.id)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=service.hash_password(raw)))
    return codes


def _unused_codes(user: User) -> list[RecoveryCode]:
    return list(
        db.session.scalars(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
    )


def _random_base32() -> str:
    import pyotp

    return pyotp.random_base32(32)


def _digits(code: str) -> str:
    return "".join(code.split())


def _matching_step(factor: SecondFactor, code: str, empty_message: str) -> int | None:
    """The time step ``code`` belongs to (±1 step of now), or None when it is wrong.

    A code of a step already used (or earlier) raises Invalid saying so.
    """
    typed = _digits(code)
    if not typed:
        raise Invalid("Enter a code.", {"code": empty_message})
    if not (len(typed) == 6 and typed.isdigit()):
        return None
    import pyotp

    totp = pyotp.TOTP(_decrypt(factor.secret_encrypted))
    now_step = int(time.time()) // totp.interval
    for step in range(now_step - _WINDOW, now_step + _WINDOW + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, typed):
            if factor.last_step is not None and step <= factor.last_step:
                raise Invalid("The code was used already.", {"code": CODE_USED})
            return step
    return None


def _use_recovery_code(user: User, code: str) -> bool:
    typed = "".join(ch for ch in code.lower() if ch.isalnum())
    if len(typed) != _CODE_LENGTH:
        return False
    for stored in _unused_codes(user):
        if check_password_hash(stored.code_hash, typed):
            stored.used_at = utcnow()
            return True
    return False


def check(user: User, code: str, *, recovery: bool = True) -> str | None:
    """Check a code the person typed: "app" for a code from the authenticator (its step is
    then used up), "recovery" for a recovery code (used up), None when it is wrong.

    A wrong code is audited; the caller commits either way, so the record is kept. Raises
    Invalid (beside the code box) for an empty box or a code already used.
    """
    factor = factor_of(user)
    if factor is None or factor.confirmed_at is None:
        return None
    step = _matching_step(factor, code, ENTER_CODE_OR_RECOVERY if recovery else ENTER_CODE)
    if step is not None:
        # Taken only if no other request took this step (or a later one) meanwhile: two
        # requests racing with one overheard code cannot both get in.
        taken = db.session.execute(
            update(SecondFactor)
            .where(
                SecondFactor.id == factor.id,
                or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < step),
            )
            .values(last_step=step)
            .execution_options(synchronize_session="fetch")
        )
        if not getattr(taken, "rowcount", 0):
            raise Invalid("The code was used already.", {"code": CODE_USED})
        return "app"
    if recovery and _use_recovery_code(user, code):
        db.session.flush()
        audit.record(
            user, "auth.recovery_code_used", "user", user.id, left=len(_unused_codes(user))
        )
        return "recovery"
    audit.record(user, "auth.second_factor_failed", "user", user.id)
    return None


def finish_sign_in(
    user_id: int,
    code: str,
    user_agent: str = "",
    replaces: str | None = None,
    method: str = "password",
) -> User | None:
    """The second step of signing in (after a password, or a sign-in through single
    sign-on, ``method``): with a right code, start the session; None for a wrong one."""
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if check(user, code) is None:
        return None
    service.start_session(user, user_agent, replaces=replaces, method=method)
    return user


def prove_again(actor: User, code: str) -> None:
    """Confirm a sensitive action with a code from the app (not a recovery code)."""
    if check(actor, code, recovery=False) is None:
        raise Invalid("Nothing was done.", {"code": WRONG_CODE})
    service.record_proof(actor)


# Beside the code box when turning the factor off is refused.
ROLE_NEEDS_IT = "Your role needs a second factor, so it cannot be turned off."


def turn_off(actor: User, user: User, code: str) -> None:
    """Turn the authenticator off, with a code from it or a recovery code; only the person
    may, and not while one of their roles needs it."""
    _require_self(actor, user, "turn off their authenticator app")
    if not enrolled(user):
        raise EditConflict("Your authenticator app is not set up.")
    if role_requires(user):
        raise Invalid("Your authenticator app is still on.", {"code": ROLE_NEEDS_IT})
    if check(user, code) is None:
        raise Invalid("Your authenticator app is still on.", {"code": WRONG_CODE})
    _remove(user)
    audit.record(actor, "auth.second_factor_off", "user", user.id)


def _remove(user: User) -> None:
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def reset(actor: Actor, user: User) -> None:
    """Remove someone's authenticator and recovery codes (they lost their phone); only an
    admin may, never their own. Audited, and the person is told by email."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can reset someone's second factor.")
    if actor.id is not None and actor.id == user.id:
        raise Forbidden("Ask another admin to reset your own second factor.")
    if not enrolled(user):
        raise EditConflict(f"{user.label} has no authenticator app set up.")
    _remove(user)
    needed = role_requires(user)
    then = (
        "The next time you sign in you will be asked to set up an authenticator app again."
        if needed
        else "You can set one up again from your profile."
    )
    mail.queue(
        to=user.email,
        subject="Your second factor for the Supporting People Grid was reset",
        body=(
            f"Hello {user.display_name},\n\n"
            f"{actor.display_name} (an admin) has removed the authenticator app and the "
            "recovery codes from your account on the Supporting People Grid, so you now sign "
            f"in with your password alone. {then}\n\n"
            "If you did not ask for this, tell an admin of the Supporting People Grid at once.\n"
        ),
        user_id=user.id,
    )
    audit.record(actor, "auth.second_factor_reset", "user", user.id)


def proved_within(user: User, minutes: int, now: datetime | None = None) -> bool:
    """Whether the person proved who they are in this session less than ``minutes`` ago."""
    proved = user.session_proved_at
    if proved is None:
        return False
    return ((now or utcnow()) - proved).total_seconds() < minutes * 60


def begin_sign_in(
    email: str, password: str, user_agent: str = "", replaces: str | None = None
) -> tuple[User | None, bool]:
    """The first step of signing in: the person, and whether a code must follow.

    A right password for someone without an authenticator starts their session at once
    (as ``service.sign_in``); for someone with one, nothing starts until the code.
    ``(None, False)`` when the email or password is wrong (audited, as sign-in is).
    """
    try:
        user = service.authenticate(email, password)
    except Invalid:
        return None, False
    if service.has_second_factor(user):
        return user, True
    service.start_session(user, user_agent, replaces=replaces)
    return user, False
