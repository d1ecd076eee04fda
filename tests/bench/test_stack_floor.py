"""The stack-floor app of ``bench/load.py --floor`` keeps the shape of vozbd's turn (so its figure stays a floor)."""

from __future__ import annotations

import httpx
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from bench.stack_floor import build_graph, create_app


async def test_a_turn_is_a_tool_call_then_an_answer_on_the_conversation_memory() -> None:
    graph = build_graph()
    config = {"configurable": {"thread_id": "t"}}
    for turn in (1, 2):
        steps = [v async for v in graph.astream({"messages": [HumanMessage("oi")]}, config, stream_mode="values")]
        assert len(steps) == 4  # input, agent, tools, agent: the four LangGraph steps of vozbd's turn
        messages = steps[-1]["messages"]
        assert [type(m) for m in messages] == [HumanMessage, AIMessage, ToolMessage, AIMessage] * turn
        assert messages[-3].tool_calls[0]["name"] == "run_query"
        assert steps[-1]["answer"] == "Temos 42 clientes."


async def test_the_app_answers_over_http() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
        response = await client.post("/api/v1/ask", json={"question": "oi", "conversation_id": "c1"})
        assert response.status_code == 200
        assert response.json() == {"answer": "Temos 42 clientes.", "conversation_id": "c1"}
        assert (await client.post("/api/v1/ask", json={})).status_code == 422
