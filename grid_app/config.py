"""Configuration: defaults, then instance/config.py, then the environment, then test config."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "APP_ENV": "development",
    # No ping before each request (it costs a round trip, a fifth of the live poll); pooled
    # connections are renewed every half hour instead. After a database restart a request
    # may fail once per pooled connection: set FLASK_SQLALCHEMY_ENGINE_OPTIONS to
    # '{"pool_pre_ping": true}' to trade that for the extra round trip.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800},
    "REDIS_URL": None,
    "DEMO_PASSWORD": "harbour-demo-2026",
    # Signed-in sessions end after this many idle minutes, and after this many hours at most.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 8,
    "SESSION_COOKIE_SECURE": True,
    # Browsers keep to HTTPS for a year, on the council's subdomains too unless switched off
    # (a sibling site still on plain HTTP would become unreachable).
    "HSTS_INCLUDE_SUBDOMAINS": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "CELL_TEXT_MAX": 20_000,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # Imports: the largest spreadsheet accepted, and the most service areas in one.
    "IMPORT_MAX_BYTES": 2 * 1024 * 1024,
    "IMPORT_MAX_ROWS": 1_000,
    # The authority named in the sharing-practice document unless another is typed, and the
    # data controller the privacy notice and record of processing name, with its contacts.
    "AUTHORITY_NAME": "Our council",
    "CONTACT_EMAIL": "grid-support@council.example",
    "DPO_EMAIL": "dpo@council.example",
    # The zone people read and type times in; times are stored in UTC.
    "TIMEZONE": "Europe/London",
    "PASSWORD_HASH_METHOD": "scrypt",
    # Sign-in attempts allowed (grid_app/web/sign_in_limits.py): for one email address from
    # one client address; for one email address from anywhere, slower, so that an attacker
    # elsewhere cannot use it up quickly; from one client address for any email; and from a
    # browser where that person signed in before, which the other limits never hold back.
    "SIGN_IN_LIMIT_PER_EMAIL_FROM_CLIENT": "10 per 5 minutes",
    "SIGN_IN_LIMIT_PER_EMAIL": "100 per hour",
    "SIGN_IN_LIMIT_PER_ADDRESS": "50 per 5 minutes",
    "SIGN_IN_LIMIT_PER_DEVICE": "10 per 5 minutes",
    # A link to set a new password works once, for this many minutes.
    "RESET_LINK_MINUTES": 60,
    # A link to move an account to a new email address works once, for this many hours.
    "EMAIL_LINK_HOURS": 24,
    # An emailed invitation to join works once, for this many days.
    "INVITATION_DAYS": 7,
    # Rows one bulk invitation may hold, and the size of a CSV file of them.
    "INVITE_MAX_ROWS": 500,
    "INVITE_MAX_BYTES": 256 * 1024,
    # Requests for such a link: for one email address (counted by a keyed hash of it) and
    # from one client address. Each request sends mail, so they are kept few.
    "RESET_LIMIT_PER_EMAIL": "3 per hour",
    "RESET_LIMIT_PER_ADDRESS": "20 per hour",
    # How long a browser is remembered as one where its person has signed in.
    "SIGN_IN_DEVICE_DAYS": 180,
    # Receipt codes tried per session, whoever tries them (counting per person would record
    # who withdrew an anonymous contribution).
    "RECEIPT_LIMIT_PER_SESSION": "30 per 10 minutes",
    # Contributions one person may add to one session in an hour, named and anonymous
    # together (counted in the limiter's store, which forgets; never in the database).
    "CONTRIBUTION_LIMIT_PER_PERSON": "60 per hour",
    # Anonymous contributions wait unseen until sealed into the board in a shuffled batch.
    # The scheduled seal (flask seal-contributions) seals a session's waiting ones once this
    # many wait, or once the oldest has waited SEAL_AFTER_MINUTES.
    "SEAL_BATCH_SIZE": 3,
    "SEAL_AFTER_MINUTES": 10,
    # A facilitator who closed a session by mistake may reopen it for this long afterwards;
    # after that it stays closed, and its retention period runs uninterrupted.
    "SESSION_REOPEN_HOURS": 24,
    "RATELIMIT_HEADERS_ENABLED": False,
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none).
    "PROXY_COUNT": 0,
    # Email. Without SMTP_HOST, mail is written to instance/outbox/ as .eml files.
    # SMTP_SECURITY: "starttls" (default), "ssl" (implicit TLS, usually port 465) or "none".
    "SMTP_HOST": "",
    "SMTP_PORT": 587,
    "SMTP_SECURITY": "starttls",
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "MAIL_FROM": "Supporting People Grid <no-reply@localhost>",
    "MAIL_TIMEOUT": 10,
    # Mail queued by a request is sent by a background thread after the commit.
    "MAIL_SEND_AFTER_COMMIT": True,
    # Where people reach the app: links in emails start with this. Unset, it is
    # http://127.0.0.1 on PORT (5000 when PORT is unset too), where `make run` serves.
    "BASE_URL": "",
    # Roles that must have a second factor (an authenticator app) before using the app,
    # comma-separated. Unset: admin and facilitator in production, nobody in development
    # and demo (so the demo people sign in with a password alone).
    "MFA_REQUIRED_ROLES": None,
    # Authenticator codes tried by one person (at sign-in, to turn the factor off, to
    # confirm a sensitive action), wherever they come from.
    "MFA_CODE_LIMIT_PER_PERSON": "10 per 10 minutes",
    # Sensitive actions (roles, deactivation, the audit export...) ask the person to prove
    # who they are again when they last did longer ago than this.
    "REAUTH_MINUTES": 15,
    # A password accepted at sign-in waits this long for its authenticator code.
    "SIGN_IN_CODE_MINUTES": 5,
    # Single sign-on with the council's OpenID Connect provider (grid_app/sso): on when
    # OIDC_ISSUER and OIDC_CLIENT_ID are set. The issuer is the provider's exact "issuer"
    # (its discovery document is read from <issuer>/.well-known/openid-configuration).
    "OIDC_ISSUER": "",
    "OIDC_CLIENT_ID": "",
    "OIDC_CLIENT_SECRET": "",
    "OIDC_SCOPES": "openid email profile",
    # The button's words: "Sign in with <OIDC_DISPLAY_NAME>".
    "OIDC_DISPLAY_NAME": "your council account",
    # Someone the provider vouches for but who has no account here gets one (contributor)
    # instead of a refusal.
    "OIDC_AUTO_CREATE": False,
    # The claim that says the provider has verified the email address: a first sign-in is
    # matched to an account by email only when it is true.
    "OIDC_EMAIL_VERIFIED_CLAIM": "email_verified",
    # A claim listing the person's groups, and which group gives which role, as
    # "grid-admins=admin,grid-managers=manager". Roles named here follow the groups at each
    # sign-in; roles not named are left to admins.
    "OIDC_GROUPS_CLAIM": "",
    "OIDC_GROUP_ROLES": "",
    # The provider already asks for a second factor, so a sign-in through it counts as one.
    "OIDC_PROVIDER_ENFORCES_MFA": False,
    # Seconds allowed for clock difference with the provider when checking a token's times.
    "OIDC_CLOCK_SKEW_SECONDS": 60,
}

# Environment variables read by name (besides every FLASK_* variable).
ENV_NAMES = (
    "APP_ENV",
    "DATABASE_URL",
    "SECRET_KEY",
    "HISTORY_KEY",
    "MFA_ENCRYPTION_KEY",
    "MFA_REQUIRED_ROLES",
    "REDIS_URL",
    "DEMO_PASSWORD",
    "SMTP_HOST",
    "SMTP_SECURITY",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "MAIL_FROM",
    "BASE_URL",
    "AUTHORITY_NAME",
    "CONTACT_EMAIL",
    "DPO_EMAIL",
    "TIMEZONE",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_SCOPES",
    "OIDC_DISPLAY_NAME",
    "OIDC_GROUPS_CLAIM",
    "OIDC_GROUP_ROLES",
    "OIDC_EMAIL_VERIFIED_CLAIM",
)
ENV_INTS = (
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "PROXY_COUNT",
    "SMTP_PORT",
    "MAIL_TIMEOUT",
    "SEAL_BATCH_SIZE",
    "SEAL_AFTER_MINUTES",
    "SESSION_REOPEN_HOURS",
    "RESET_LINK_MINUTES",
    "EMAIL_LINK_HOURS",
    "INVITATION_DAYS",
    "REAUTH_MINUTES",
    "OIDC_CLOCK_SKEW_SECONDS",
)
ENV_BOOLS = (
    "SESSION_COOKIE_SECURE",
    "MAIL_SEND_AFTER_COMMIT",
    "HSTS_INCLUDE_SUBDOMAINS",
    "OIDC_AUTO_CREATE",
    "OIDC_PROVIDER_ENFORCES_MFA",
)


class ConfigError(RuntimeError):
    """The configuration is not safe to start with."""


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in order of precedence and derive the settings that depend on others."""
    app.config.update(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    for name in ENV_NAMES:
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    for name in ENV_INTS:
        if os.environ.get(name):
            app.config[name] = int(os.environ[name])
    for name in ENV_BOOLS:
        if os.environ.get(name):
            app.config[name] = os.environ[name].lower() in ("1", "true", "yes", "on")
    if test_config:
        app.config.update(test_config)

    # Several workers or instances must share their counts, so Redis when it is configured.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")

    database_url = app.config.get("DATABASE_URL") or (
        f"sqlite:///{Path(app.instance_path) / 'grid.db'}"
    )
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url

    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, path=/ and
    # host-only, so it cannot be planted from a sibling subdomain.
    secure = app.config["SESSION_COOKIE_SECURE"]
    app.config["SESSION_COOKIE_NAME"] = "__Host-grid" if secure else "grid"
    app.config["SESSION_COOKIE_PATH"] = "/"

    if not app.config["BASE_URL"]:
        app.config["BASE_URL"] = f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"

    try:
        ZoneInfo(app.config["TIMEZONE"])
    except (ValueError, ZoneInfoNotFoundError) as error:
        raise ConfigError(
            f"TIMEZONE must be an IANA zone such as Europe/London: {error}"
        ) from error

    if app.config["OIDC_GROUP_ROLES"]:
        from grid_app.sso.roles import parse_group_roles

        try:
            parse_group_roles(app.config["OIDC_GROUP_ROLES"])
        except ValueError as error:
            raise ConfigError(f"OIDC_GROUP_ROLES: {error}") from error

    if app.config["SMTP_SECURITY"] not in ("starttls", "ssl", "none"):
        raise ConfigError("SMTP_SECURITY must be starttls, ssl or none.")

    if not app.config.get("SECRET_KEY"):
        if app.config["APP_ENV"] == "production":
            raise ConfigError("SECRET_KEY must be set when APP_ENV=production.")
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    # Seals the revision history. Never stored in the database, so that someone who can
    # only write to the database cannot forge a seal. Derived from SECRET_KEY when unset
    # (development needs nothing); production sets it so SECRET_KEY can be rotated.
    if not app.config.get("HISTORY_KEY"):
        secret = app.config["SECRET_KEY"]
        app.config["HISTORY_KEY"] = hmac.new(
            secret if isinstance(secret, bytes) else secret.encode(),
            b"revision history",
            hashlib.sha256,
        ).hexdigest()

    _second_factor_settings(app)


# The roles that may be named in MFA_REQUIRED_ROLES.
_ROLES = ("contributor", "manager", "facilitator", "admin")


def _second_factor_settings(app: Flask) -> None:
    """Check the key that encrypts authenticator secrets, and read which roles need one."""
    production = app.config["APP_ENV"] == "production"
    # Encrypts the authenticator secrets at rest (Fernet). Never stored in the database,
    # so a copy of the database alone cannot make codes. Derived from SECRET_KEY outside
    # production; production sets it, so SECRET_KEY can be rotated without re-enrolling.
    key = app.config.get("MFA_ENCRYPTION_KEY")
    if not key:
        if production:
            raise ConfigError(
                "MFA_ENCRYPTION_KEY must be set when APP_ENV=production "
                "(make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')."
            )
        secret = app.config["SECRET_KEY"]
        derived = hmac.new(
            secret if isinstance(secret, bytes) else secret.encode(),
            b"second factor secrets",
            hashlib.sha256,
        ).digest()
        key = base64.urlsafe_b64encode(derived).decode()
    try:
        if len(base64.urlsafe_b64decode(key)) != 32:
            raise ValueError
    except ValueError:
        raise ConfigError(
            "MFA_ENCRYPTION_KEY must be a Fernet key (32 bytes, URL-safe base64)."
        ) from None
    app.config["MFA_ENCRYPTION_KEY"] = key

    roles = app.config["MFA_REQUIRED_ROLES"]
    if roles is None:
        roles = "admin,facilitator" if production else ""
    if isinstance(roles, str):
        roles = [part.strip().lower() for part in roles.split(",") if part.strip()]
    unknown = sorted(set(roles) - set(_ROLES))
    if unknown:
        raise ConfigError(
            f"MFA_REQUIRED_ROLES names unknown roles: {', '.join(unknown)} "
            f"(choose from {', '.join(_ROLES)})."
        )
    app.config["MFA_REQUIRED_ROLES"] = frozenset(roles)


def _instance_secret(instance: Path) -> str:
    """Read, or create on first run, a random key kept in the instance folder."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Written to a private temporary file and linked into place, so that workers starting
    # together all end up with the same complete key.
    tmp = instance / f".secret_key.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    try:
        os.link(tmp, path)
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        tmp.unlink()
    return key
