"""gunicorn settings used by `make run` (command-line options override them)."""

import gc

from gunicorn.http import wsgi

from grid_app.web.privacy import AccessLogger

# gunicorn names itself in every response's Server header; the header stays (gunicorn always
# writes it) but names no software, so a scanner learns nothing of what to try.
wsgi.SERVER = "grid"

# No access log line for safe-space requests (see grid_app/web/privacy.py).
logger_class = AccessLogger


def post_worker_init(worker: object) -> None:
    """Move everything loaded at start-up out of the garbage collector's way.

    The app's modules, templates and mappers never become garbage; freezing them keeps full
    collections short, which trims the slowest requests.
    """
    gc.freeze()


def worker_exit(server: object, worker: object) -> None:
    """Let mail being sent in the background finish before the worker goes.

    Whatever is not finished stays in the outbox and is sent by the next sender.
    """
    from grid_app.discussion import mail

    mail.wait_for_senders(timeout=10)
