"""ConversationLogStore on SQLite and PostgreSQL: write/list/get/delete, filters, idempotency, concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest

from agent.events import TurnResult
from vozbd.appdb.database import AppDatabase
from vozbd.appdb.logs import TurnLog


def _turn(conversation: str, question: str, **extra: object) -> TurnLog:
    fields: dict[str, object] = {"surface": "api", "answer": "ok"} | extra
    return TurnLog(conversation_id=conversation, question=question, **fields)  # type: ignore[arg-type]  # a test value outside the declared type, on purpose or loosely typed test input


def test_write_then_read_back_every_field(app_db: AppDatabase) -> None:
    written = app_db.logs.write_turn(
        TurnLog(
            conversation_id="c-1",
            user_id="ana",
            surface="voice",
            input_mode="voice",
            connection="demo",
            transcript="quantos clientes temos",
            question="quantos clientes temos",
            sql="SELECT COUNT(*) FROM clientes",
            row_count=1,
            answer="Temos 500 clientes.",
            model="scripted/demo",
            timings={"stt_ms": 812.5, "total_ms": 1200.0},
            error=None,
        )
    )
    assert written.id is not None
    (back,) = app_db.logs.get_conversation("c-1")
    assert back == written
    assert back.created_at.tzinfo is not None


def test_write_is_idempotent_on_turn_id(app_db: AppDatabase) -> None:
    first = app_db.logs.write_turn(_turn("c", "q"))
    again = app_db.logs.write_turn(first.model_copy(update={"id": None, "answer": "other"}))
    assert again.id == first.id and again.answer == "ok"
    assert app_db.logs.count() == 1


def test_filters_order_and_limit(app_db: AppDatabase) -> None:
    now = datetime.now(UTC)
    for i in range(5):
        app_db.logs.write_turn(_turn("a" if i % 2 else "b", f"q{i}", created_at=now - timedelta(hours=5 - i)))
    app_db.logs.write_turn(_turn("b", "mine", user_id="ana", surface="cli", created_at=now))
    assert [t.question for t in app_db.logs.list_turns()] == ["q0", "q1", "q2", "q3", "q4", "mine"]
    assert [t.question for t in app_db.logs.list_turns(conversation_id="a")] == ["q1", "q3"]
    assert [t.question for t in app_db.logs.list_turns(since=now - timedelta(hours=2, minutes=30))] == [
        "q3",
        "q4",
        "mine",
    ]
    assert [t.question for t in app_db.logs.list_turns(limit=2)] == ["q4", "mine"]
    assert [t.question for t in app_db.logs.list_turns(user_id="ana")] == ["mine"]
    assert [t.question for t in app_db.logs.list_turns(surface="cli")] == ["mine"]


def test_since_with_another_timezone(app_db: AppDatabase) -> None:
    brasilia = timezone(timedelta(hours=-3))
    at = datetime(2026, 1, 10, 9, 0, tzinfo=brasilia)  # 12:00 UTC
    app_db.logs.write_turn(_turn("tz", "q", created_at=at))
    assert app_db.logs.list_turns(since=datetime(2026, 1, 10, 11, 59, tzinfo=UTC))
    assert not app_db.logs.list_turns(since=datetime(2026, 1, 10, 12, 1, tzinfo=UTC))
    (back,) = app_db.logs.list_turns()
    assert back.created_at == at


def test_conversations_summary_and_delete(app_db: AppDatabase) -> None:
    now = datetime.now(UTC)
    app_db.logs.write_turn(_turn("old", "primeira", user_id="ana", created_at=now - timedelta(days=1)))
    app_db.logs.write_turn(_turn("old", "segunda", user_id="ana", created_at=now - timedelta(hours=1)))
    app_db.logs.write_turn(_turn("new", "outra", user_id="bia", created_at=now))
    summaries = app_db.logs.list_conversations()
    assert [(s.conversation_id, s.turns, s.first_question) for s in summaries] == [
        ("new", 1, "outra"),
        ("old", 2, "primeira"),
    ]
    assert [s.conversation_id for s in app_db.logs.list_conversations(user_id="ana")] == ["old"]
    assert app_db.logs.delete_conversation("old", user_id="bia") == 0  # not hers
    assert app_db.logs.delete_conversation("old", user_id="ana") == 2
    assert app_db.logs.get_conversation("old") == []
    assert app_db.logs.count() == 1


def test_concurrent_writes_lose_nothing(app_db: AppDatabase) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda i: app_db.logs.write_turn(_turn(f"c{i % 7}", f"q{i}")), range(200)))
    assert app_db.logs.count() == 200
    assert len({t.turn_id for t in app_db.logs.list_turns()}) == 200


async def test_async_wrappers(app_db: AppDatabase) -> None:
    await app_db.logs.awrite_turn(_turn("x", "q"))
    assert len(await app_db.logs.aget_conversation("x")) == 1
    assert [s.conversation_id for s in await app_db.logs.alist_conversations(limit=5)] == ["x"]
    assert await app_db.logs.adelete_conversation("x") == 1


def test_from_turn_picks_the_successful_sql_and_voice_mode() -> None:
    turn = TurnResult(
        conversation_id="c",
        connection="demo",
        question="quantos?",
        answer="3",
        transcript="quantos?",
        sql_runs=[
            {"statement": "SELECT x", "row_count": None, "error_code": "database_error", "error_message": "no x"},
            {"statement": "SELECT 3", "row_count": 1, "error_code": None, "error_message": None},
        ],
        timings={"total_ms": 10},
    )
    log = TurnLog.from_turn(turn, surface="ui", user_id="ana", model="scripted/x")
    assert (log.sql, log.row_count, log.input_mode, log.error) == ("SELECT 3", 1, "voice", None)
    failed = TurnResult(
        conversation_id="c",
        connection=None,
        question="q",
        answer="não consegui",
        sql_runs=[{"statement": "SELECT y", "row_count": None, "error_code": "unsafe", "error_message": "no"}],
        error_code="sql_attempts_exhausted",
    )
    log = TurnLog.from_turn(failed, surface="cli")
    assert (log.sql, log.input_mode, log.error, log.error_message) == (
        "SELECT y",
        "text",
        "sql_attempts_exhausted",
        "no",
    )


def test_bad_records_are_refused() -> None:
    with pytest.raises(ValueError):
        TurnLog(conversation_id="", surface="api")
    with pytest.raises(ValueError):
        TurnLog(conversation_id="c", surface="fax")  # type: ignore[arg-type]  # an invalid surface, on purpose
