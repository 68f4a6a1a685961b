"""gunicorn settings used by `make run` (command-line options override them)."""

import gc
import os
from typing import Any

from gunicorn.http import wsgi

from grid_app.web.privacy import AccessLogger

# gunicorn names itself in every response's Server header; the header stays (gunicorn always
# writes it) but names no software, so a scanner learns nothing of what to try.
wsgi.SERVER = "grid"

# No access log line for safe-space requests (see grid_app/web/privacy.py).
logger_class = AccessLogger

# One process serving with threads: without Redis, sign-in limits are counted in the process's
# memory, so a second process would count alone and give a guesser twice the attempts.
# With REDIS_URL set, any number of workers share their counts. The worker is gunicorn's
# threaded one, except that a connection that sends nothing waits without a thread
# (grid_app/serving.py), so idle connections cannot stall the threads.
worker_class = "grid_app.serving.PollingThreadWorker"
workers = 1
threads = 8


class LimitsNotShared(RuntimeError):
    """Several worker processes would each count sign-in attempts alone."""


def on_starting(server: Any) -> None:
    """Refuse to start several workers whose sign-in limits would not be shared.

    The app's own configuration is read (environment, instance/config.py), as each worker
    would read it, so REDIS_URL set anywhere the app looks for it counts.
    """
    if server.cfg.workers <= 1:
        return
    from flask import Flask

    from grid_app import config

    app = Flask("grid_app", instance_relative_config=True)
    config.load(app, None)
    if str(app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        raise LimitsNotShared(
            f"{server.cfg.workers} workers without REDIS_URL: each process would count "
            "sign-in attempts alone, multiplying what a password guesser is allowed. Serve "
            "with one worker and threads (as make run does: --workers 1 --threads 8), or set "
            "REDIS_URL so that every worker shares the counts."
        )


def post_worker_init(worker: Any) -> None:
    """Start the scheduled seal when SEAL_EVERY_SECONDS asks for it, then move everything
    loaded at start-up out of the garbage collector's way.

    The seal runs as a thread of the worker rather than a process of its own (a second copy
    of the app in memory); a lock file keeps several workers from sealing at once. The app's
    modules, templates and mappers never become garbage; freezing them keeps full
    collections short, which trims the slowest requests.
    """
    every = os.environ.get("SEAL_EVERY_SECONDS")
    if every:
        from grid_app.safe_space.schedule import start_sealer

        start_sealer(worker.wsgi, float(every))
    gc.freeze()


def worker_exit(server: object, worker: object) -> None:
    """Let mail being sent in the background finish before the worker goes.

    Whatever is not finished stays in the outbox and is sent by the next sender.
    """
    from grid_app.discussion import mail

    mail.wait_for_senders(timeout=10)
