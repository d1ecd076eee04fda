"""The stack's own floor for ``POST /api/v1/ask``: what FastAPI + uvicorn + LangGraph + LangChain cost per
request when vozbd's own work (auth, rate limits, schema prompt, safe-query, audit and log rows, metrics,
memory on disk) is taken out.

The app below answers ``POST /api/v1/ask`` the way vozbd's turn is shaped, and nothing more: a LangGraph
``StateGraph`` with the same loop (``agent`` → ``tools`` → ``agent`` → end, four steps counting the input,
in-memory checkpointer, ``durability="exit"``), a LangChain chat model streaming a tool call and then a
three-chunk answer (the minimal ``BaseChatModel``: no template, no script), a tool node that answers with a
constant, and a pydantic response. It runs under the same uvicorn settings as ``vozbd serve`` (uvloop and
httptools when installed, one process) and the same garbage-collector policy (``vozbd.gc_tuning``, the default
``VOZBD_GC_THRESHOLDS``). ``bench/load.py --floor`` loads it with the same client, at the same
concurrency, in the same run as vozbd, and prints both: the gap is vozbd's own work, the floor is what no change
inside vozbd can remove on this machine.

    .venv/bin/python bench/stack_floor.py --port 8765   # serve it (bench/load.py starts it by itself)
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, TypedDict

from fastapi import FastAPI
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph, add_messages
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repo's packages

ANSWER = ("Temos ", "42 ", "clientes.")


class MinimalModel(BaseChatModel):
    """A tool call when the last message is the question, an answer in three chunks after the tool's result."""

    @property
    def _llm_type(self) -> str:
        return "floor"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **_: Any) -> ChatResult:
        raise NotImplementedError("streaming only")

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **_: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        if isinstance(messages[-1], HumanMessage):
            call = tool_call_chunk(name="run_query", args='{"sql": "SELECT 42"}', id="call_1", index=0)
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[call]))
            return
        for text in ANSWER:
            yield ChatGenerationChunk(message=AIMessageChunk(content=text))


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    answer: str


def build_graph() -> Any:
    model = MinimalModel()

    async def agent(state: State) -> dict[str, Any]:
        chunks = [chunk async for chunk in model.astream(state["messages"])]
        message = chunks[0]
        for chunk in chunks[1:]:
            message += chunk
        reply = AIMessage(content=message.content, tool_calls=message.tool_calls)
        return {"messages": [reply], "answer": reply.text}

    async def tools(state: State) -> dict[str, Any]:
        call = state["messages"][-1].tool_calls[0]  # type: ignore[union-attr]  # the agent's AIMessage
        return {"messages": [ToolMessage(content="42", tool_call_id=call["id"])]}

    def route(state: State) -> str:
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else END

    graph = StateGraph(State)
    graph.add_node("agent", agent)
    graph.add_node("tools", tools)
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", route, ["tools", END])
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=InMemorySaver())


class Ask(BaseModel):
    question: str
    conversation_id: str | None = None


class Answer(BaseModel):
    answer: str
    conversation_id: str


def create_app() -> FastAPI:
    app = FastAPI()
    graph = build_graph()
    counter = itertools.count()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/ask")
    async def ask(body: Ask) -> Answer:
        conversation = body.conversation_id or f"floor-{next(counter)}"
        config = {"configurable": {"thread_id": conversation}}
        state: dict[str, Any] = {}
        inputs = {"messages": [HumanMessage(body.question)]}
        async for values in graph.astream(inputs, config, stream_mode="values", durability="exit"):
            state = values
        return Answer(answer=state.get("answer", ""), conversation_id=conversation)

    return app


def main() -> None:
    import importlib.util

    import uvicorn

    from vozbd.gc_tuning import tuned_gc
    from vozbd.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    app = create_app()
    with tuned_gc(Settings.model_fields["gc_thresholds"].default):
        uvicorn.run(app, host="127.0.0.1", port=args.port, loop=loop, http=http, log_level="warning")


if __name__ == "__main__":
    main()
