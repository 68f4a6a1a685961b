"""The gunicorn worker `make run` serves with: idle connections hold no thread.

gunicorn's threaded worker hands every new connection to a thread at once, and that thread
waits up to five seconds for the request. A browser opens spare connections it may never use,
so a few of them left every thread waiting and stalled everyone else's requests. Here a new
connection waits in the worker's poller, like a kept-alive one, and reaches a thread only
when its request starts to arrive; one that sends nothing is closed after the keep-alive
timeout.
"""

from __future__ import annotations

import errno
import selectors
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker


class PollingThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, with new connections waiting in the poller, not a thread."""

    def accept(self, listener: Any) -> None:
        """Accept a connection and wait, without a thread, for its first bytes."""
        try:
            client_sock, client_addr = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        # The same deadline as gunicorn's own deferred connections, so the queue it expires
        # from stays in order.
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )
