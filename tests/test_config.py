"""Configuration from the environment, the secret key, and SQLite's per-connection settings."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from grid_app import create_app
from grid_app.config import ConfigError
from grid_app.extensions import db
from tests.conftest import Client


def test_secret_key_is_generated_into_the_instance_folder_once(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    first = create_app(config)
    second = create_app(config)
    assert len(first.secret_key or "") == 64
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_environment_sets_database_and_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@db.internal/grid")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "15")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.internal/grid"
    assert app.secret_key == "from-the-environment"
    assert app.config["SESSION_IDLE_MINUTES"] == 15


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/grid.db"


def test_passwords_are_hashed_with_scrypt_by_default(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    from grid_app.auth.service import hash_password

    with app.app_context():
        assert hash_password("a long enough password").startswith("scrypt:32768:8:1$")


def test_every_sqlite_connection_gets_wal_foreign_keys_busy_timeout_and_full_sync(tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "x",
            "DATABASE_URL": f"sqlite:///{tmp_path}/g.db",
        }
    )
    seen: list[tuple] = []

    def read_pragmas() -> None:
        with app.app_context():
            # A brand-new connection, as another thread or worker would open.
            with db.engine.connect() as conn:
                seen.append(
                    tuple(
                        conn.execute(text(f"PRAGMA {name}")).scalar()
                        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
                    )
                )
            db.engine.dispose()

    for _ in range(2):
        thread = threading.Thread(target=read_pragmas)
        thread.start()
        thread.join()
    assert seen == [("wal", 1, 15000, 2)] * 2


def _reset_link(app) -> str:
    """Ask for a password link for a new person and return the link the email carries."""
    from grid_app.auth import service as auth_service
    from grid_app.auth.models import OPERATOR
    from grid_app.discussion.models import OutgoingMail

    with app.app_context():
        db.create_all()
        auth_service.create_user(OPERATOR, "kim@example.org", "Kim", "plum kettle across winter")
        db.session.commit()
    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    assert client.post_form("/forgot-password", {"email": "kim@example.org"}).status_code == 303
    with app.app_context():
        (mail,) = db.session.scalars(db.select(OutgoingMail)).all()
        return mail.body


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "http://127.0.0.1:5000/reset-password/"),
        ({"PORT": "5081"}, "http://127.0.0.1:5081/reset-password/"),
        (
            {"PORT": "5081", "BASE_URL": "https://grid.council.example"},
            "https://grid.council.example/reset-password/",
        ),
    ],
)
def test_links_in_emails_follow_the_port_unless_base_url_is_set(
    tmp_path, monkeypatch, environment, expected
):
    for name in ("PORT", "BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "x",
            "DATABASE_URL": f"sqlite:///{tmp_path}/grid.db",
            "MAIL_SEND_AFTER_COMMIT": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    assert expected in _reset_link(app)


def test_production_refuses_to_start_without_the_key_for_authenticator_secrets(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("MFA_ENCRYPTION_KEY", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="MFA_ENCRYPTION_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})


def test_a_key_that_is_not_a_fernet_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="Fernet"):
        create_app(
            {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "MFA_ENCRYPTION_KEY": "short"}
        )


def test_admins_and_facilitators_need_a_second_factor_in_production_only(tmp_path, monkeypatch):
    from cryptography.fernet import Fernet

    monkeypatch.delenv("MFA_REQUIRED_ROLES", raising=False)
    development = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert development.config["MFA_REQUIRED_ROLES"] == frozenset()
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("MFA_ENCRYPTION_KEY", Fernet.generate_key().decode())
    production = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert production.config["MFA_REQUIRED_ROLES"] == frozenset({"admin", "facilitator"})
    monkeypatch.setenv("MFA_REQUIRED_ROLES", "Admin, manager")
    chosen = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert chosen.config["MFA_REQUIRED_ROLES"] == frozenset({"admin", "manager"})


def test_an_unknown_role_in_mfa_required_roles_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="MFA_REQUIRED_ROLES names unknown roles: boss"):
        create_app(
            {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "MFA_REQUIRED_ROLES": "admin,boss"}
        )
