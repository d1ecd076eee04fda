"""MariaDB/MySQL: how many columns a statement returns, asked of the server without running the statement.

The server's prepare step (``COM_STMT_PREPARE`` of the binary protocol) parses the statement, checks the table
privileges of DML (``INSERT command denied`` comes back here) and describes its result, and executes nothing. A
statement with no result columns (``KILL``, ``SET``, ``DO``, ``SELECT … INTO @v``, DDL, ``CALL``) is then refused
before it runs: unlike PostgreSQL, MariaDB has commands a read-only transaction does not stop (``KILL [QUERY] USER``
of the login's own sessions). PyMySQL speaks only the text protocol, so the two packets are exchanged through its
connection's own packet reader; the statement is closed right away (``COM_STMT_CLOSE`` has no reply).
"""

from __future__ import annotations

import struct
from typing import Any

import pymysql
from pymysql.constants import CLIENT, COMMAND

ER_UNSUPPORTED_PS = 1295
"""'This command is not supported in the prepared statement protocol yet' (``PREPARE``, ``EXECUTE IMMEDIATE``)."""


def result_columns(dbapi: Any, sql: str) -> int:
    """The number of result columns of ``sql`` on the PyMySQL connection ``dbapi`` (0: not a query; also for a
    statement the server cannot prepare, which then cannot be described and is not run).

    Raises the driver's error when the server refuses to prepare it (syntax, privileges, unknown table)."""
    dbapi._execute_command(COMMAND.COM_STMT_PREPARE, sql)
    try:
        ok = dbapi._read_packet()  # an error packet raises here
    except pymysql.err.MySQLError as error:
        if error.args and error.args[0] == ER_UNSUPPORTED_PS:  # EXECUTE IMMEDIATE, PREPARE: cannot be described
            return 0
        raise
    ok.read_uint8()  # 0x00: OK
    statement_id = ok.read_uint32()
    columns, params = ok.read_uint16(), ok.read_uint16()
    eof = not dbapi.client_flag & CLIENT.DEPRECATE_EOF
    for count in (params, columns):  # a definition packet per parameter, then per column, each group + EOF
        for _ in range(count):
            dbapi._read_packet()
        if count and eof:
            dbapi._read_packet()
    dbapi._execute_command(COMMAND.COM_STMT_CLOSE, struct.pack("<I", statement_id))
    return int(columns)
