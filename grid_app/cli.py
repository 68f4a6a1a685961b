"""`flask --app grid_app …` commands; each calls a service and commits once.

Commands that change anything run under ``writing()``: on SQLite each of their transactions
takes the write lock as it begins, so they queue behind the app's saves instead of failing
with "database is locked". verify-history only reads and never waits for a writer.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from grid_app.auth import service as auth_service
from grid_app.auth.models import OPERATOR, Role, User
from grid_app.config import DEFAULTS
from grid_app.database import scrub, writing
from grid_app.errors import DomainError, Invalid, NotFound
from grid_app.extensions import db
from grid_app.safe_space.schedule import SAFE_SPACE_TEXT


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(reset_password)
    app.cli.add_command(verify_history)
    app.cli.add_command(rebuild_search)
    app.cli.add_command(prune_sign_ins)
    app.cli.add_command(send_mail)
    app.cli.add_command(send_digest)
    app.cli.add_command(purge_sessions)
    app.cli.add_command(seal_contributions)
    app.cli.add_command(set_roles)
    app.cli.add_command(deactivate)
    app.cli.add_command(reactivate)
    app.cli.add_command(sign_out_everyone)
    app.cli.add_command(erase)
    app.cli.add_command(create_admin)
    app.cli.add_command(invite)
    app.cli.add_command(purge_expired)
    app.cli.add_command(backup)
    app.cli.add_command(restore)


# Where demo people, whose password is published, may be created.
DEMO_ENVIRONMENTS = ("development", "demo")


def demo_refusal() -> str | None:
    """Why demo data may not be loaded here, or None when it may.

    A database named by DATABASE_URL is taken to be a council's real one unless APP_ENV says
    demo: development alone is not enough there.
    """
    env = current_app.config["APP_ENV"]
    if env not in DEMO_ENVIRONMENTS:
        return f"Demo data is loaded only when APP_ENV is development or demo, and this is {env}."
    if os.environ.get("DATABASE_URL") and env != "demo":
        return "DATABASE_URL is set: demo data is loaded into it only when APP_ENV is demo."
    return None


@click.command("seed-demo")
@writing()
@with_appcontext
@click.option(
    "--if-allowed",
    is_flag=True,
    help="Where demo data may not be loaded, say so and exit 0 (as `make run` does).",
)
def seed_demo(if_allowed: bool) -> None:
    """Load the demo grid and people, unless the database already has a grid.

    Only in development or a demo (APP_ENV), and with DATABASE_URL set only in a demo: the
    demo people's password is published, so they must never reach a database that holds
    real work.
    """
    from grid_app import demo

    refusal = demo_refusal()
    if refusal:
        click.echo(f"{refusal} Nothing loaded: no demo data was added.", err=True)
        raise SystemExit(0 if if_allowed else 1)
    loaded = demo.load(current_app.config["DEMO_PASSWORD"])
    db.session.commit()
    if loaded:
        click.echo("Loaded the demo grid and people.")
    else:
        click.echo("The database already has a grid: nothing loaded, demo data left as it is.")
    password = current_app.config["DEMO_PASSWORD"]
    shown = password if password == DEFAULTS["DEMO_PASSWORD"] else "the value of DEMO_PASSWORD"
    click.echo(f"Demo sign-ins (password: {shown}):")
    for email, _name, roles in demo.PEOPLE[:4]:
        click.echo(f"  {email:<28} {', '.join(r.value for r in roles)}")


@click.command("create-user")
@writing()
@with_appcontext
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt="Display name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    default=[Role.CONTRIBUTOR.value],
    show_default=True,
    help="Repeat for several roles.",
)
def create_user(email: str, display_name: str, roles: tuple[str, ...]) -> None:
    """Add a person; the password is asked for, never taken as an argument."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = auth_service.create_user(
            OPERATOR, email, display_name, password, roles=[Role(r) for r in roles]
        )
    except Invalid as error:
        db.session.rollback()
        for message in error.field_errors.values() or [error.message]:
            click.echo(f"Error: {message}", err=True)
        raise SystemExit(2) from error
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(sorted(r.value for r in user.roles))}).")


@click.command("reset-password")
@writing()
@with_appcontext
@click.argument("email")
def reset_password(email: str) -> None:
    """Give someone a new password and sign them out everywhere; it is asked for twice,
    never taken as an argument."""
    password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        user = auth_service.set_password(OPERATOR, email, password)
    except (Invalid, NotFound) as error:
        db.session.rollback()
        messages = getattr(error, "field_errors", {}).values() or [error.message]
        for message in messages:
            click.echo(f"Error: {message}", err=True)
        raise SystemExit(2) from error
    db.session.commit()
    click.echo(f"Set a new password for {user.email}; they are signed out everywhere.")


@click.command("verify-history")
@with_appcontext
def verify_history() -> None:
    """Check every cell's revision chain, live content and head; exit 1 naming every broken
    cell."""
    from grid_app.grid import history

    found = history.verify_all()
    for broken in found.broken:
        click.echo(f"BROKEN: {broken}", err=True)
    if found.permit_left:
        click.echo(
            "BROKEN: history_permit holds a row, so the database lets history be rewritten.",
            err=True,
        )
    if found.broken or found.permit_left:
        click.echo(f"Cells that do not verify: {len(found.broken)} of {found.cells}.", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {found.revisions} revisions verified in {found.cells} cells.")


@click.command("rebuild-search")
@writing()
@with_appcontext
def rebuild_search() -> None:
    """Build the search indexes again from what the cells, comments and flags hold now."""
    from grid_app.search import schema

    with db.engine.begin() as connection:
        schema.rebuild(connection)
    click.echo("Search indexes rebuilt.")


@click.command("prune-sign-ins")
@writing()
@with_appcontext
def prune_sign_ins() -> None:
    """Delete sign-in records that have expired (meant for cron, e.g. hourly)."""
    from grid_app.auth import service as auth_service

    pruned = auth_service.prune_sessions()
    db.session.commit()
    click.echo(f"Deleted {pruned} expired sign-in record{'' if pruned == 1 else 's'}.")


@click.command("send-mail")
@writing()
@with_appcontext
def send_mail() -> None:
    """Send the mail that is due, retrying what failed before (meant for cron)."""
    from grid_app.discussion import mail

    report = mail.deliver_due()
    click.echo(
        f"Sent {report.sent}; {report.retrying} will be retried; {report.given_up} given up."
    )


@click.command("send-digest")
@writing()
@click.option("--period", type=click.Choice(["daily", "weekly"]), required=True)
@with_appcontext
def send_digest(period: str) -> None:
    """Queue and send the daily or weekly digests (meant for cron; safe to run twice)."""
    from grid_app.discussion import mail, notifications

    addresses = notifications.queue_digests(period)
    db.session.commit()
    report = mail.deliver_due()
    click.echo(
        f"Queued {len(addresses)} {period} digest{'' if len(addresses) == 1 else 's'}; "
        f"sent {report.sent}; {report.retrying} will be retried."
    )


@click.command("purge-sessions")
@writing()
@click.option("--dry-run", is_flag=True, help="List what would be purged; change nothing.")
@with_appcontext
def purge_sessions(dry_run: bool) -> None:
    """Delete safe-space sessions' raw contributions once their retention period is over
    (meant for cron). Sessions, counts, consents and insights stay."""
    from grid_app.safe_space import service

    items = service.purge_due(dry_run=dry_run)
    db.session.commit()
    if not dry_run:
        scrub(db.engine, SAFE_SPACE_TEXT)
    verb = "Would purge" if dry_run else "Purged"
    for item in items:
        click.echo(
            f"{verb} session {item.session_id} “{item.title}” (closed {item.closed_at:%Y-%m-%d}): "
            f"{item.contributions} contribution{'' if item.contributions == 1 else 's'}"
        )
    if not items:
        click.echo("No session is due for purging.")


@click.command("seal-contributions")
@writing()
@click.option(
    "--every",
    type=click.IntRange(min=1),
    default=None,
    help="Keep running, sealing every this many seconds (as `make run` does).",
)
@with_appcontext
def seal_contributions(every: int | None) -> None:
    """Seal the anonymous contributions that are due into their sessions' boards, in
    shuffled batches, then scrub what the waiting rows left behind (meant for cron, every
    minute)."""
    from grid_app.safe_space import service

    while True:
        items = service.seal_due(
            batch=current_app.config["SEAL_BATCH_SIZE"],
            after_minutes=current_app.config["SEAL_AFTER_MINUTES"],
        )
        db.session.commit()
        scrub(db.engine, SAFE_SPACE_TEXT)
        for item in items:
            click.echo(
                f"Sealed {item.sealed} contribution{'' if item.sealed == 1 else 's'} "
                f"into session {item.session_id} “{item.title}”"
            )
        if every is None:
            if not items:
                click.echo("No contribution is due for sealing.")
            return
        time.sleep(every)


def _person_by_email(email: str) -> User:
    """The account with this address, or exit 2 saying there is none."""
    user = db.session.scalar(db.select(User).where(User.email == email.strip().lower()))
    if user is None:
        click.echo(f"Error: nobody here has the email address {email}.", err=True)
        raise SystemExit(2)
    return user


def _refused(error: DomainError) -> NoReturn:
    """Roll back, print why the change was refused, and exit 2."""
    db.session.rollback()
    for message in getattr(error, "field_errors", {}).values() or [error.message]:
        click.echo(f"Error: {message}", err=True)
    raise SystemExit(2) from error


@click.command("set-roles")
@writing()
@with_appcontext
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    help="Repeat for several roles; with none, the person holds no role.",
)
def set_roles(email: str, roles: tuple[str, ...]) -> None:
    """Give the person with EMAIL exactly these roles (audited as the operator)."""
    from grid_app.people import service

    user = _person_by_email(email)
    try:
        service.set_roles(OPERATOR, user, roles)
    except DomainError as error:
        _refused(error)
    db.session.commit()
    held = ", ".join(sorted(r.value for r in user.roles)) or "no role"
    click.echo(f"{user.email} now holds: {held}.")


@click.command("deactivate")
@writing()
@with_appcontext
@click.argument("email")
def deactivate(email: str) -> None:
    """Stop the person with EMAIL signing in, and end every session they have."""
    from grid_app.people import service

    user = _person_by_email(email)
    try:
        ended = service.deactivate(OPERATOR, user)
    except DomainError as error:
        _refused(error)
    db.session.commit()
    click.echo(
        f"Deactivated {user.email}; ended {ended} sign-in session{'' if ended == 1 else 's'}."
    )


@click.command("sign-out-everyone")
@writing()
@with_appcontext
@click.confirmation_option(prompt="Sign every person out of every browser?")
def sign_out_everyone() -> None:
    """End every sign-in session at once: everyone has to sign in again."""
    from grid_app.people import service

    ended = service.sign_everyone_out(OPERATOR)
    db.session.commit()
    click.echo(f"Ended {ended} sign-in session{'' if ended == 1 else 's'}.")


@click.command("reactivate")
@writing()
@with_appcontext
@click.argument("email")
def reactivate(email: str) -> None:
    """Let the person with EMAIL sign in again."""
    from grid_app.people import service

    user = _person_by_email(email)
    try:
        service.reactivate(OPERATOR, user)
    except DomainError as error:
        _refused(error)
    db.session.commit()
    click.echo(f"Reactivated {user.email}: they can sign in again.")


@click.command("erase")
@writing()
@with_appcontext
@click.argument("email")
def erase(email: str) -> None:
    """Erase the person with EMAIL: their name and address are replaced everywhere by a
    placeholder and their private data deleted (audited as the operator)."""
    from grid_app.people import erasure

    user = _person_by_email(email)
    try:
        erasure.erase(OPERATOR, user)
    except DomainError as error:
        _refused(error)
    db.session.commit()
    click.echo(f"Erased: they are now {user.display_name}.")


@click.command("create-admin")
@writing()
@with_appcontext
@click.argument("email")
@click.option("--name", "display_name", default="", help="Their name (asked for if not given).")
@click.option(
    "--invite",
    is_flag=True,
    help="Email them an invitation instead of asking for a password here.",
)
def create_admin(email: str, display_name: str, invite: bool) -> None:
    """Add an admin: with a password asked for twice, or (--invite) by emailed invitation."""
    from grid_app.people import invitations

    clean = invitations.clean_address(email)
    if clean is None:
        click.echo(f"Error: {invitations.BAD_ADDRESS}", err=True)
        raise SystemExit(2)
    if invitations.account_for(clean) is not None:
        click.echo(f"Error: {clean} already has an account (or an invitation) here.", err=True)
        raise SystemExit(2)
    roles = [Role.CONTRIBUTOR.value, Role.ADMIN.value]
    if invite:
        try:
            user = invitations.invite(OPERATOR, clean, roles, display_name)
        except DomainError as error:
            _refused(error)
        db.session.commit()
        click.echo(f"Invited {user.email} as an admin; the email is on its way.")
        return
    if not display_name:
        display_name = click.prompt("Name")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = auth_service.create_user(
            OPERATOR, clean, display_name, password, roles=[Role(r) for r in roles]
        )
    except DomainError as error:
        _refused(error)
    db.session.commit()
    click.echo(f"Created {user.email}, an admin who can sign in now.")


@click.command("invite")
@writing()
@with_appcontext
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    default=[Role.CONTRIBUTOR.value],
    show_default=True,
    help="Repeat for several roles.",
)
@click.option("--name", "display_name", default="", help="Their name, if known.")
def invite(email: str, roles: tuple[str, ...], display_name: str) -> None:
    """Email EMAIL an invitation to join with these roles (audited as the operator)."""
    from grid_app.people import invitations

    try:
        user = invitations.invite(OPERATOR, email, roles, display_name)
    except DomainError as error:
        _refused(error)
    db.session.commit()
    click.echo(f"Invited {user.email} ({', '.join(sorted(r.value for r in user.roles))}).")


@click.command("purge-expired")
@writing()
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; change nothing.")
@with_appcontext
def purge_expired(dry_run: bool) -> None:
    """Delete every record older than its retention period (audit log, sign-in records,
    notifications, safe-space sessions' raw contributions); meant for cron, daily."""
    from grid_app.dataprotection import service
    from grid_app.dataprotection.service import BY_NAME

    purged = service.purge_expired(OPERATOR, dry_run=dry_run)
    db.session.commit()
    if not dry_run:
        scrub(db.engine, SAFE_SPACE_TEXT)
    verb = "Would delete" if dry_run else "Deleted"
    for name, count in purged.counts.items():
        label = BY_NAME[name].label.lower()
        click.echo(f"{verb} {count} record{'' if count == 1 else 's'} from the {label}.")
    for item in purged.sessions:
        click.echo(
            f"{verb} the contributions of session {item.session_id} “{item.title}” "
            f"({item.contributions} contribution{'' if item.contributions == 1 else 's'})."
        )


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def backup(file: Path) -> None:
    """Write a consistent backup of the live database, with its manifest, to FILE (a .tar.gz);
    the app may go on serving and saving meanwhile."""
    from grid_app.backups import archive

    try:
        manifest = archive.take(db.engine, file)
    except archive.BackupError as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from error
    click.echo(f"Backed up to {file}: {archive.describe(manifest)}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore(file: Path) -> None:
    """Restore the backup FILE into this app's database, which must be empty, then check
    every table's count and cell history against the backup's manifest and verify history."""
    from grid_app.backups import archive

    try:
        restored = archive.restore(db.engine, file)
    except archive.BackupError as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from error
    for name, (expected, found) in sorted(restored.count_mismatches.items()):
        click.echo(f"MISMATCH: {name} holds {found} rows; the backup says {expected}.", err=True)
    if restored.head_mismatches:
        click.echo(
            f"MISMATCH: {restored.head_mismatches} cell histories differ from the backup's.",
            err=True,
        )
    click.echo(f"Restored {file}: {archive.describe(restored.manifest)}.")
    db.session.remove()
    click.get_current_context().invoke(verify_history)
    if not restored.matches:
        raise SystemExit(1)
