"""Chat history: Chainlit's data layer on the app database (SQLite and PostgreSQL), through Chainlit's own class."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from chainlit.context import init_http_context
from chainlit.types import Pagination, ThreadFilter
from chainlit.user import User

from ui.history import async_url, history_data_layer, install_history
from vozbd.appdb.database import open_app_database
from vozbd.settings import Settings


@pytest.fixture(params=["sqlite", "postgresql"])
def app_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    else:
        url = request.getfixturevalue("fresh_pg_url")
    open_app_database(url).dispose()  # migrated: the history tables exist
    return url


async def test_threads_persist_list_resume_and_delete(app_url: str) -> None:
    init_http_context()  # Chainlit's queued writes run immediately outside a websocket session
    layer = history_data_layer(app_url)
    try:
        user = await layer.create_user(User(identifier="ana", metadata={"provider": "password"}))
        assert user is not None and (await layer.get_user("ana")) is not None
        thread_id = str(uuid.uuid4())
        await layer.update_thread(thread_id, name="Quantos clientes temos?", user_id=user.id, tags=["demo"])
        for index, (kind, text) in enumerate(
            [("user_message", "Quantos clientes temos?"), ("assistant_message", "600.")]
        ):
            await layer.create_step(
                {
                    "id": str(uuid.uuid4()),
                    "threadId": thread_id,
                    "name": "ana" if kind == "user_message" else "vozbd",
                    "type": kind,
                    "output": text,
                    "streaming": False,
                    "createdAt": f"2026-12-03T08:00:0{index}Z",
                    "metadata": {"turn": index},
                    "modes": {"db": "demo"},
                }
            )
        page = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=user.id))
        assert [t["id"] for t in page.data] == [thread_id]
        thread = await layer.get_thread(thread_id)
        assert thread is not None and thread["name"] == "Quantos clientes temos?"
        assert [s["output"] for s in thread["steps"]] == ["Quantos clientes temos?", "600."]
        assert await layer.get_thread_author(thread_id) == "ana"
        await layer.delete_thread(thread_id)
        assert await layer.get_thread(thread_id) is None
    finally:
        await layer.close()


def test_async_url_and_install_only_with_a_login(tmp_path: Path) -> None:
    from vozbd.wiring import build_app

    assert async_url("sqlite:////x/app.sqlite3") == "sqlite+aiosqlite:////x/app.sqlite3"
    assert async_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"
    services = build_app(Settings(data_dir=tmp_path)).ui
    assert services.history_url == f"sqlite:///{tmp_path / 'app.sqlite3'}"
    assert install_history(services) is False  # no login: no history
