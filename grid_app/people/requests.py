"""Facilitators asking for accounts for people they want in a session; admins decide.

Approving invites the person as a contributor (the usual path, so the invitation is
audited and emailed as any other); declining only records it. Either way the facilitator
is emailed, and sees the outcome on their request page.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from grid_app.audit import service as audit
from grid_app.auth.models import Actor, Role, User
from grid_app.database import utcnow
from grid_app.discussion import mail
from grid_app.errors import Forbidden, Invalid, NotFound
from grid_app.extensions import db
from grid_app.people import invitations, service
from grid_app.people.models import AccountRequest, RequestStatus

REASON_MAX = 500
MAX_ADDRESSES = 50
SPLIT = re.compile(r"[\s,;]+")


def can_request(actor: Actor) -> bool:
    """Facilitators ask for accounts for the people they want to invite to a session."""
    return actor.has_role(Role.FACILITATOR)


def without_accounts(raw: str) -> list[str]:
    """The addresses in ``raw`` (as typed in a session's invitees) that nobody here has."""
    found = []
    for part in SPLIT.split(raw):
        email = invitations.clean_address(part)
        if email and email not in found and invitations.account_for(email) is None:
            found.append(email)
    return found


def request_accounts(actor: User, raw: str, reason: str = "") -> list[AccountRequest]:
    """Ask admins to invite each address; audited. Addresses already asked for are skipped."""
    if not can_request(actor):
        raise Forbidden("Only a facilitator can ask for accounts for people.")
    errors: dict[str, str] = {}
    parts = [p for p in SPLIT.split(raw) if p]
    bad = [p for p in parts if invitations.clean_address(p) is None]
    addresses = list(dict.fromkeys(a for p in parts if (a := invitations.clean_address(p))))
    if bad:
        errors["addresses"] = f"These are not email addresses: {', '.join(bad)}."
    elif not addresses:
        errors["addresses"] = "Enter the email address of at least one person."
    elif len(addresses) > MAX_ADDRESSES:
        errors["addresses"] = f"Ask for up to {MAX_ADDRESSES} people at a time."
    else:
        taken = [a for a in addresses if invitations.refusal(invitations.account_for(a))]
        if taken:
            errors["addresses"] = (
                f"These already have an account or an invitation: {', '.join(taken)}. "
                "Invite them to the session as they are."
            )
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        errors["reason"] = f"Keep the note to {REASON_MAX} characters or fewer."
    if errors:
        raise Invalid("Nothing was asked for. Check the highlighted fields.", errors)
    waiting = set(
        db.session.scalars(
            select(AccountRequest.email).where(
                AccountRequest.email.in_(addresses),
                AccountRequest.status == RequestStatus.PENDING.value,
            )
        )
    )
    made = []
    for email in addresses:
        if email in waiting:
            continue
        request = AccountRequest(email=email, reason=reason, requested_by_id=actor.id)
        db.session.add(request)
        made.append(request)
    db.session.flush()
    for request in made:
        audit.record(
            actor, "account_request.made", "account_request", request.id, email=request.email
        )
    return made


def waiting_count() -> int:
    """How many requests wait for an admin."""
    return int(
        db.session.scalar(
            select(func.count(AccountRequest.id)).where(
                AccountRequest.status == RequestStatus.PENDING.value
            )
        )
        or 0
    )


def waiting() -> list[AccountRequest]:
    """The requests waiting for an admin, oldest first, with who asked."""
    return list(
        db.session.scalars(
            select(AccountRequest)
            .where(AccountRequest.status == RequestStatus.PENDING.value)
            .options(selectinload(AccountRequest.requested_by))
            .order_by(AccountRequest.created_at, AccountRequest.id)
        )
    )


def mine(actor: User) -> list[AccountRequest]:
    """The requests ``actor`` made, newest first."""
    return list(
        db.session.scalars(
            select(AccountRequest)
            .where(AccountRequest.requested_by_id == actor.id)
            .order_by(AccountRequest.created_at.desc(), AccountRequest.id.desc())
            .limit(100)
        )
    )


def get(request_id: int) -> AccountRequest:
    """One request; NotFound if there is none."""
    found = db.session.get(AccountRequest, request_id)
    if found is None:
        raise NotFound("There is no such request for an account.")
    return found


def _decide(actor: Actor, request: AccountRequest, status: RequestStatus) -> None:
    if request.status != RequestStatus.PENDING.value:
        raise Invalid(
            "Nothing was changed.", {"request": "Someone has already answered this request."}
        )
    request.status = status.value
    request.decided_by_id = actor.id
    request.decided_at = utcnow()


def approve(actor: Actor, request: AccountRequest) -> User:
    """Invite the person asked for, as a contributor, and tell whoever asked."""
    service.require_manage(actor)
    _decide(actor, request, RequestStatus.APPROVED)
    try:
        user = invitations.invite(actor, request.email, [Role.CONTRIBUTOR.value])
    except Invalid as error:
        message = error.field_errors.get("email", error.message)
        raise Invalid("The request was not approved.", {"request": message}) from None
    db.session.flush()
    audit.record(
        actor, "account_request.approved", "account_request", request.id, email=request.email
    )
    _tell(request, f"{request.email} has been invited to the Supporting People Grid.")
    return user


def decline(actor: Actor, request: AccountRequest) -> AccountRequest:
    """Turn the request down and tell whoever asked."""
    service.require_manage(actor)
    _decide(actor, request, RequestStatus.DECLINED)
    db.session.flush()
    audit.record(
        actor, "account_request.declined", "account_request", request.id, email=request.email
    )
    _tell(request, f"An admin did not give {request.email} an account.")
    return request


def _tell(request: AccountRequest, what: str) -> None:
    asker = request.requested_by
    if asker is None or not asker.active:
        return
    link = mail.absolute_url("people.request_accounts")
    mail.queue(
        to=asker.email,
        subject="Your request for an account",
        body=f"Hello {asker.display_name},\n\n{what}\n\nYour requests: {link}\n",
        user_id=asker.id,
    )
