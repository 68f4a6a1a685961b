"""User accounts, their roles and their server-side sign-in sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.database import Base, utcnow


class Role(enum.StrEnum):
    """What a person may do; a person can hold several."""

    CONTRIBUTOR = "contributor"
    MANAGER = "manager"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


class SignInMethod(enum.StrEnum):
    """How a sign-in session began."""

    PASSWORD = "password"
    SSO = "sso"


class EmailFrequency(enum.StrEnum):
    """How often a person wants their notifications by email."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = "none"


class User(Base):
    """A member of staff who can sign in."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_frequency: Mapped[str] = mapped_column(
        String(12), default=EmailFrequency.IMMEDIATE.value, server_default="immediate"
    )
    # When an admin erased the person (grid_app/people/erasure.py): the row stays, under a
    # placeholder name, so the history that names it by id still verifies.
    erased_at: Mapped[datetime | None] = mapped_column(default=None)

    role_links: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    invitation: Mapped[Invitation | None] = relationship(
        back_populates="user",
        foreign_keys="Invitation.user_id",
        cascade="all, delete-orphan",
        uselist=False,
    )

    @property
    def roles(self) -> frozenset[Role]:
        """The roles this person holds."""
        return frozenset(Role(link.role) for link in self.role_links)

    def has_role(self, *roles: Role) -> bool:
        """True when the person holds at least one of ``roles``."""
        return any(role in self.roles for role in roles)

    @property
    def status(self) -> str:
        """``active``, ``invited`` (not accepted yet), ``cancelled`` (an invitation taken
        back before it was accepted), ``deactivated``, or ``erased``."""
        if self.erased_at is not None:
            return "erased"
        if self.active:
            return "active"
        invitation = self.invitation
        if invitation is not None and invitation.accepted_at is None:
            return "cancelled" if invitation.cancelled_at else "invited"
        return "deactivated"

    @property
    def label(self) -> str:
        """The person's name, or their address while they have not given one."""
        return self.display_name or self.email

    # Flask-Login protocol. The id it stores is the session token, so that signing out
    # deletes the server-side record and a copied cookie stops working.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.current_session_token

    @property
    def current_session_token(self) -> str | None:
        """The sign-in session this request runs under (never stored on the user's row)."""
        return self.__dict__.get("_session_token")

    def attach_session(
        self, token: str, proved_at: datetime | None = None, method: str = "password"
    ) -> None:
        """Mark which sign-in session this request runs under, when it last proved who
        its person is, and how it was signed in."""
        self.__dict__["_session_token"] = token
        self.__dict__["_session_proved_at"] = proved_at
        self.__dict__["_session_method"] = method

    @property
    def session_proved_at(self) -> datetime | None:
        """When this request's session last proved who its person is."""
        return self.__dict__.get("_session_proved_at")

    @property
    def session_method(self) -> str:
        """How this request's session was signed in ("password" or "sso")."""
        return str(self.__dict__.get("_session_method") or "password")

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Operator:
    """Whoever runs a command on the server: the command line, demo data, tests.

    The operator holds every role and is named nowhere (``id`` is None, so what it writes
    has no author). Services that the command line calls take ``Actor``; the rest take
    ``User`` only, so mypy refuses the operator (and ``None``) on every web path.
    """

    id = None
    active = True
    display_name = "An operator"
    email = ""

    def has_role(self, *roles: Role) -> bool:
        """The operator may do anything an admin, manager or facilitator may."""
        return True

    def __repr__(self) -> str:
        return "<Operator>"


OPERATOR = Operator()
# A person signed in on the web, or the operator at the command line.
Actor = User | Operator


class UserRole(Base):
    """One role held by one person."""

    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="role_links")


class UserSession(Base):
    """A signed-in browser session; deleting the row signs that browser out."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only a hash of the token is stored, so a database leak gives no usable cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A short label such as "Firefox on Windows", read from the User-Agent when the session
    # started (grid_app/auth/devices.py); never the full agent string.
    device: Mapped[str] = mapped_column(String(60), default="", server_default="")
    # When the person last proved who they are in this session (a password, an
    # authenticator or recovery code, or a sign-in through single sign-on): sensitive
    # actions ask again once it is older than REAUTH_MINUTES.
    proved_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    # How the session was signed in: "password" (with a second factor if the person has
    # one) or "sso" (the council's identity provider).
    method: Mapped[str] = mapped_column(
        String(10), default=SignInMethod.PASSWORD.value, server_default="password"
    )

    user: Mapped[User] = relationship()


class AccountToken(Base):
    """A single-use link sent to a person by email (reset a password, and later more).

    Only a hash of the token is stored, so a database leak gives no usable link; the
    server decides when it expires, and ``used_at`` makes it work once.
    """

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # The address a link to change one's email address would move the account to.
    new_email: Mapped[str | None] = mapped_column(String(254))

    user: Mapped[User] = relationship()


class Invitation(Base):
    """An emailed invitation to join, for an account that cannot sign in until accepted.

    The invited account exists from the start (so its roles, and the audit log, name it),
    switched off and without a password; accepting sets both. A cancelled invitation keeps
    its row, so its link still says who to ask, and the address can be invited again.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    # None when the operator invited them from the command line.
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="invitation", foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def pending(self) -> bool:
        """Sent, and neither accepted nor cancelled."""
        return self.accepted_at is None and self.cancelled_at is None

    @property
    def inviter_name(self) -> str:
        """Who to ask about it."""
        return self.invited_by.display_name if self.invited_by else "an administrator"


class SecondFactor(Base):
    """A person's authenticator app (TOTP, RFC 6238).

    The shared secret is kept encrypted with MFA_ENCRYPTION_KEY (never in the clear). Until
    the person types a first code from their app, ``confirmed_at`` is empty and the factor
    does nothing: an enrolment started and abandoned changes no sign-in.
    """

    __tablename__ = "second_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # The time step (30-second window) of the last code accepted: a code of that step or an
    # earlier one is refused, so an overheard code cannot be used again.
    last_step: Mapped[int | None]

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """One of the ten single-use codes that stand in for a lost authenticator app.

    Only a salted hash is stored (like a password), so a database leak gives no usable code.
    """

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None]
