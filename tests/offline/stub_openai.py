"""A local HTTP server imitating the OpenAI chat completions API (``POST /v1/chat/completions``, JSON or SSE
streaming, plus ``GET /v1/models``): it plays scripted tool calls and answers and records every request body, so a
test can read exactly what a hosted provider would have received.

Script: ``{substring of the last user message: [response, ...]}``; the n-th assistant turn after that message
plays the n-th response (the last repeats). A response is ``{"content": str}`` or
``{"tool_calls": [{"name": str, "args": dict}]}``. Written by hand: a few dozen lines of ``http.server`` are the
whole protocol surface vozbd's OpenAI client touches, and no maintained package imitates it for tests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Response = dict[str, Any]


class StubOpenAI:
    def __init__(self, script: dict[str, list[Response]], default: str = "Não sei.") -> None:
        self.script = script
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def received_text(self) -> str:
        """Every request body received, as one JSON text (what a leak check searches)."""
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in self.requests)

    def respond(self, body: dict[str, Any]) -> Response:
        messages = body.get("messages", [])
        last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
        question = str(messages[last_user].get("content", "")) if last_user >= 0 else ""
        turns = sum(1 for m in messages[last_user + 1 :] if m.get("role") == "assistant")
        for needle, responses in self.script.items():
            if needle.lower() in question.lower():
                return responses[min(turns, len(responses) - 1)]
        return {"content": self.default}

    @contextmanager
    def running(self) -> Iterator[StubOpenAI]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                models = {"object": "list", "data": [{"id": "gpt-stub", "object": "model"}]}
                self._send(200, json.dumps(models).encode())

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                stub.requests.append(body)
                reply = stub.respond(body)
                if body.get("stream"):
                    self._send(200, b"".join(_sse(body, reply)), "text/event-stream")
                else:
                    self._send(200, json.dumps(_completion(body, reply)).encode())

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def _tool_calls(reply: Response) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call.get("args", {}))},
        }
        for i, call in enumerate(reply.get("tool_calls") or [])
    ]


USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def _completion(body: dict[str, Any], reply: Response) -> dict[str, Any]:
    calls = _tool_calls(reply)
    message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 1,
        "model": body.get("model", "gpt-stub"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": USAGE,
    }


def _sse(body: dict[str, Any], reply: Response) -> Iterator[bytes]:
    base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 1, "model": body.get("model")}

    def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        return f"data: {json.dumps({**base, 'choices': choices, **extra})}\n\n".encode()

    calls = _tool_calls(reply)
    if reply.get("content"):
        yield event([{"index": 0, "delta": {"role": "assistant", "content": reply["content"]}, "finish_reason": None}])
    for index, call in enumerate(calls):
        delta = {"role": "assistant", "tool_calls": [{"index": index, **call}]}
        yield event([{"index": 0, "delta": delta, "finish_reason": None}])
    yield event([{"index": 0, "delta": {}, "finish_reason": "tool_calls" if calls else "stop"}])
    yield event([], usage=USAGE)
    yield b"data: [DONE]\n\n"
