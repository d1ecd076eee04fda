"""Build ``Agent`` facades from explicit configs: one factory per process, made by the composition root.

Importing this module is cheap (LangGraph and the providers load on the first ``build``/``default_model``),
so the composition root can build it even where only the tools are installed.

``build(model)`` makes a new agent; ``shared(model)`` returns one agent per model spec for the whole process
(the UI and the REST surfaces); ``default_model()`` detects the configured/reachable model once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from agent.checkpoint import CheckpointStore
    from agent.config import AgentConfig
    from agent.llm.config import LLMConfig
    from agent.memory_context import MemoryProvider
    from agent.service import Agent
    from agent.speech.engines import SpeechEngines
    from tools.context import ToolContext

log = logging.getLogger(__name__)

_UNSET = object()


class AgentFactory:
    def __init__(
        self,
        tool_ctx: ToolContext,
        llm: LLMConfig,
        config: AgentConfig,
        *,
        checkpoints: Callable[[], CheckpointStore] | None = None,
        memory: MemoryProvider | None = None,
        speech: SpeechEngines | None = None,
    ) -> None:
        """``checkpoints`` builds the conversation store on first use (None: conversations live only in the agent);
        ``memory`` gives the connection memory (verified examples, glossary) to every agent that uses it."""
        self.tool_ctx = tool_ctx
        self.llm = llm
        self.config = config
        self._checkpoints_factory = checkpoints
        self._checkpoints: CheckpointStore | None = None
        self.memory = memory
        self.speech = speech
        self._default: object = _UNSET
        self._default_lock = threading.Lock()
        self._shared: dict[tuple[str | None, bool], Agent] = {}
        self._shared_locks: dict[tuple[str | None, bool], threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def default_model(self) -> str | None:
        """``"provider/model"`` configured or detected (first call may probe local servers), or None."""
        if self._default is _UNSET:
            with self._default_lock:
                if self._default is _UNSET:
                    from agent.llm.registry import default_model_spec

                    self._default = default_model_spec(self.llm)
        return self._default  # type: ignore[return-value]  # _UNSET replaced above

    def checkpoints(self) -> CheckpointStore | None:
        """The process's one conversation store (every agent built here shares it)."""
        if self._checkpoints is None and self._checkpoints_factory is not None:
            with self._default_lock:
                if self._checkpoints is None:
                    self._checkpoints = self._checkpoints_factory()
        return self._checkpoints

    def build(
        self,
        model: str | None = None,
        *,
        speech: bool = True,
        checkpointer: BaseCheckpointSaver | CheckpointStore | None = None,
        tool_ctx: ToolContext | None = None,
        use_memory: bool = True,
    ) -> Agent:
        """A new agent on ``model`` ("provider/model") or the default model (None → the agent explains how to
        configure one). Conversations go to ``checkpointer``, else the shared store (``checkpoints()``), else stay in
        the agent. ``use_memory=False`` leaves out the connection memory (evals: remembered gold SQL would leak).
        With ``speech`` (and speech engines), audio turns are transcribed and answers can be spoken.
        Raises ``agent.llm.base.LLMError`` subclasses for a bad model spec."""
        from agent.llm.registry import load_chat_model
        from agent.service import Agent

        spec = model or self.default_model()
        llm = load_chat_model(spec, self.llm) if spec else None
        engines = self.speech if speech else None
        saver: BaseCheckpointSaver | CheckpointStore | None = (
            checkpointer if checkpointer is not None else self.checkpoints()
        )
        return Agent(
            tool_ctx or self.tool_ctx,
            llm,
            checkpointer=saver,
            transcriber=engines.as_transcriber() if engines is not None else None,
            synthesizer_factory=engines.synthesizer if engines is not None else None,
            config=self.config,
            model_spec=spec,
            memory=self.memory if use_memory else None,
        )

    def shared(self, model: str | None = None, *, speech: bool = True) -> Agent:
        """The process's agent for ``model`` (default model when None), built on first use."""
        key = (model or self.default_model(), speech)
        agent = self._shared.get(key)
        if agent is not None:
            return agent
        with self._locks_guard:
            lock = self._shared_locks.setdefault(key, threading.Lock())
        with lock:
            agent = self._shared.get(key)
            if agent is None:
                log.info("building agent for model %s", key[0])
                agent = self.build(key[0], speech=speech)
                self._shared[key] = agent
            return agent
