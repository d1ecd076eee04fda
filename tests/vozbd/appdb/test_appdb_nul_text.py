"""A U+0000 in a logged question/answer or an audited statement never loses the row (PostgreSQL's text refuses
it): the NUL is stored as U+FFFD, the same on both backends."""

from __future__ import annotations

from tools.audit import AuditEvent
from vozbd.appdb.audit import QueryAuditStore
from vozbd.appdb.database import AppDatabase
from vozbd.appdb.logs import TurnLog


def test_a_turn_with_a_nul_character_is_logged(app_db: AppDatabase) -> None:
    app_db.logs.write_turn(
        TurnLog(conversation_id="nul", surface="api", question="quantos\x00 clientes", answer="Ana\x00Maria")
    )
    (back,) = app_db.logs.get_conversation("nul")
    assert back.question == "quantos\ufffd clientes" and back.answer == "Ana\ufffdMaria"


def test_a_statement_with_a_nul_character_is_audited(app_db: AppDatabase) -> None:
    audit = QueryAuditStore(app_db.engine)
    audit.record(
        AuditEvent(tool="run_query", connection="demo", sql="SELECT 1 -- \x00", surface="api", user="ana", rows=1)
    )
    (row,) = audit.list()
    assert row["sql"] == "SELECT 1 -- \ufffd" and row["user_id"] == "ana"
