"""A zero-round-trip liveness check for an idle PostgreSQL connection, used at pool checkout.

An idle connection has nothing to read: the server only speaks when asked. When its backend is terminated
(``pg_terminate_backend``, a restart, a failover) the server sends a FATAL error and closes the socket, so the
socket turns readable. Polling it with a zero timeout is a system call, not a round trip: a ``SELECT 1`` ping per
checkout cost one (SQLAlchemy's ``pool_pre_ping``) or two (psycopg_pool's ``check_connection``, an empty
prepared statement) round trips per statement. A peer that vanished without closing (a cut network) is not seen
here: the statement then fails and the caller's error path (503, retry) handles it, as it must anyway for a
backend killed mid-statement.

Over TLS the same holds: the farewell arrives as TLS records (the FATAL error, then close_notify), which make the
socket readable, and an idle healthy connection has no TLS records waiting (``tests/vozbd_core/test_liveness_tls.py``).
"""

from __future__ import annotations

import select


def idle_connection_dropped(fileno: int) -> bool:
    """True when an idle connection's socket has something to read (the server's farewell, or EOF) or is
    closed: the connection must not be used. Never blocks."""
    if fileno < 0:
        return True
    if not hasattr(select, "poll"):  # Windows: select() takes sockets there
        return bool(select.select([fileno], [], [], 0)[0])
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
