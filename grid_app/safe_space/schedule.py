"""The scheduled seal of anonymous contributions: run from cron, or as a thread of the web
worker that `make run` starts (one process fewer to hold in memory).

Each round takes a lock file in the instance folder, so that several workers (or a worker
and cron) never seal at the same moment; whichever holds it seals, the others skip a round.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from grid_app.database import scrub, writing
from grid_app.extensions import db

if TYPE_CHECKING:
    from flask import Flask

    from grid_app.safe_space.service.sealing import SealItem

# The tables where participants' raw words are written and deleted.
SAFE_SPACE_TEXT = ("safe_space_waiting", "safe_space_contribution")

log = logging.getLogger(__name__)


def seal_due_now(app: Flask) -> list[SealItem] | None:
    """Seal what is due, in one transaction, then scrub what the waiting rows left behind.

    None when another process is sealing at this moment (it will seal what is due)."""
    from grid_app.safe_space import service

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    with open(Path(app.instance_path) / "sealer.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        with app.app_context(), writing():
            try:
                items = service.seal_due(
                    batch=app.config["SEAL_BATCH_SIZE"],
                    after_minutes=app.config["SEAL_AFTER_MINUTES"],
                )
                db.session.commit()
            finally:
                db.session.remove()
            scrub(db.engine, SAFE_SPACE_TEXT)
        return items


def start_sealer(app: Flask, every: float) -> threading.Event:
    """Seal every ``every`` seconds in a daemon thread until the returned event is set.

    A round that fails is logged and the next one tries again: a database that is briefly
    away must not stop sealing for good."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            try:
                for item in seal_due_now(app) or []:
                    log.info(
                        "Sealed %d contributions into session %d", item.sealed, item.session_id
                    )
            except Exception:
                log.exception("The scheduled seal failed; it will try again")

    threading.Thread(target=run, name="sealer", daemon=True).start()
    return stop
