"""Helpers for agent tests (scripted models, DB checksums)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage

from agent.llm.scripted import Response, Script, ScriptedChatModel


class Recorder:
    """Collects the messages of every model call (what the model saw)."""

    def __init__(self) -> None:
        self.calls: list[list[BaseMessage]] = []

    def __call__(self, messages: list[BaseMessage]) -> None:
        self.calls.append(list(messages))


def scripted(responses: list[Response] | None = None, *, script: Script | None = None) -> ScriptedChatModel:
    model = ScriptedChatModel(script=script or Script(), responses=responses)
    model.on_call = Recorder()
    return model


def calls_of(model: ScriptedChatModel) -> list[list[BaseMessage]]:
    assert isinstance(model.on_call, Recorder)
    return model.on_call.calls


def tool_call(name: str, **args: Any) -> Response:
    return {"tool_calls": [{"name": name, "args": args}]}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def db_checksum(path: Path) -> str:
    """Content checksum: every row of every table, in a stable order."""
    digest = hashlib.sha256()
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def scalar(path: Path, sql: str) -> Any:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchone()[0]
