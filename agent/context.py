"""Runtime context of one turn (LangGraph ``context_schema``): dependencies and knobs, not state.

The service builds one ``AgentContext`` per turn; nodes read it through ``runtime.context``.
``TurnSink`` is the per-turn side channel for objects too big (or not serializable) for the
checkpointed state: full tool results keyed by tool_call_id, and synthesized audio.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from agent.events import AgentEvent
    from agent.memory_context import MemoryProvider
    from agent.speech.base import AudioChunk, Synthesizer, Transcriber
    from tools.context import ToolContext
    from tools.registry import ToolSpec


@dataclass
class TurnSink:
    results: dict[str, BaseModel] = field(default_factory=dict)
    """Full tool results of this turn, keyed by tool_call_id (insertion order = call order)."""
    query_results: list[BaseModel] = field(default_factory=list)
    """The ``run_query`` results of this turn (full, capped by the tool's row limit), in call order."""
    audio: list[AudioChunk] = field(default_factory=list)
    ended: dict[str, Any] | None = None
    """The state fields written by the node that ended the turn (answer, bookkeeping; messages left out): LangGraph
    hands out the last step's state only after the memory write at the end of the run, which may fail."""


@dataclass
class AgentContext:
    tool_ctx: ToolContext
    tools: Sequence[ToolSpec]
    model: Runnable | None = None
    """The chat model with the tools already bound (None = no model configured)."""
    llm: BaseChatModel | None = None
    """The same chat model without tools (for side calls such as the table picker)."""
    memory: MemoryProvider | None = None
    """Opens the connection memory (verified examples, glossary) on demand; None = no memory."""
    table_picker_min_tables: int = 0
    """Schemas with at least this many tables get an LLM table-picking step first (0 = never)."""
    max_sql_attempts: int = 3
    max_steps: int = 12
    connection: str | None = None
    """This turn's connection when the caller named one. Kept out of the (persisted) state when it is a URL
    with a password; see ``agent.tools.persistable_connection``."""
    history_turns: int = 8
    """How many previous user turns (with their tool exchanges) are sent to the model."""
    # --- speech (only for audio turns / spoken answers) -----------------------------
    audio: bytes | None = None
    pcm16_rate: int | None = None
    transcriber: Transcriber | None = None
    synthesizer_factory: Callable[[str | None], Synthesizer] | None = None
    """Builds (or returns the cached) TTS engine by name; called by the ``speak`` node only."""
    tts_engine: str | None = None
    speak: bool = False
    voice: str | None = None
    speed: float | None = None
    sink: TurnSink = field(default_factory=TurnSink)
    emit: Callable[[AgentEvent], None] | None = None
    """Where the nodes send this turn's events (``Agent.astream_turn`` passes its queue's ``put_nowait``);
    None = LangGraph's custom stream (``stream_mode="custom"``), for a graph run outside the service."""
