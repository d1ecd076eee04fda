"""A scripted tool-calling chat model for tests, the UI browser test and the evals: ``scripted/<script.yaml>``.

Script format (YAML or JSON)::

    rules:                         # first rule whose regex matches the last user message wins
      - match: "quantos clientes"  # re.search on the lower-cased, accent-folded message
        responses:                 # successive AI turns within one question (the last one repeats)
          - tool_calls: [{name: run_query, args: {sql: "SELECT COUNT(*) FROM clientes"}}]
          - content: "Temos {last_result_first_value} clientes. Consulta: {last_sql}"
    default:                       # used when no rule matches
      - content: "Desculpe, não sei responder."

Response ``content`` may use ``{question}``, ``{previous_question}`` (the user's message before it, from
memory), ``{last_tool_text}``, ``{last_tool_name}``,
``{last_result_first_value}``, ``{last_row_count}``, ``{last_sql}`` and ``{last_error_code}``.
Named groups of the rule's regex (``(?P<lugar>[a-z ]+)``) fill ``{lugar}`` in the content and in the
tool-call arguments, so one rule answers "quantos clientes em São Paulo / na Bahia / em Campinas".
Which response is used is the number of AI messages since the last user message, so a script is
stateless and works with memory (checkpoints) and concurrent conversations.

In Python, ``ScriptedChatModel(responses=[...])`` (or ``.enqueue([...])``) plays a fixed queue instead,
like simonw/llm's mock model. Token usage is reported (estimated at ~4 characters per token).
"""

from __future__ import annotations

import json
import re
import string
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field, PrivateAttr

from agent.llm.base import ModelNotConfiguredError, Provider, ProviderStatus
from agent.llm.config import LLMConfig
from tools.schema_inspect.text import fold  # lower-case + strip accents, the same folding as schema relevance

Response = dict[str, Any]  # {"content": str} and/or {"tool_calls": [{"name": str, "args": dict}]}


def question_key(text: str) -> str:
    """The words of a message, folded and single-spaced: the key of a rule's exact ``question``."""
    return " ".join(re.findall(r"\w+", fold(text)))


class ScriptRule(BaseModel):
    match: str
    responses: list[Response] = Field(min_length=1)
    question: str | None = None
    """Optional exact question (compared word by word, folded): a message equal to it picks this rule before
    any regex is tried, so a pattern written loosely for another question cannot steal it."""


class Script(BaseModel):
    rules: list[ScriptRule] = Field(default_factory=list)
    default: list[Response] = Field(default_factory=lambda: [{"content": "Desculpe, não sei responder isso."}])

    _compiled: list[tuple[re.Pattern[str], ScriptRule]] | None = PrivateAttr(default=None)
    _exact: dict[str, ScriptRule] = PrivateAttr(default_factory=dict)

    def rule_for(self, message: str) -> ScriptRule | None:
        """The rule whose ``question`` equals the message, else the first whose regex matches the folded message.

        Patterns are compiled once per script (a suite oracle has hundreds of rules)."""
        return self.match(message)[0]

    def _compile(self) -> None:
        if self._compiled is None:
            self._compiled = [(re.compile(rule.match), rule) for rule in self.rules]
            for rule in reversed(self.rules):
                if rule.question:
                    self._exact[question_key(rule.question)] = rule

    def match(self, message: str) -> tuple[ScriptRule | None, dict[str, str]]:
        """Like :meth:`rule_for`, plus the named groups the rule's regex captured (``(?P<lugar>...)``)."""
        self._compile()
        rule = self._exact.get(question_key(message))
        if rule is not None:
            return rule, {}
        folded = fold(message)
        for pattern, candidate in self._compiled or []:
            found = pattern.search(folded)
            if found:
                return candidate, {k: v for k, v in found.groupdict().items() if v is not None}
        return None, {}


def load_script(path: str | Path) -> Script:
    file = Path(path).expanduser()
    if not file.is_file():
        raise ModelNotConfiguredError(f"Roteiro do modelo 'scripted' não encontrado: {file}")
    import yaml

    try:
        text = file.read_text(encoding="utf-8")
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
        return Script.model_validate(data or {})
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:  # ValidationError is a ValueError
        raise ModelNotConfiguredError(
            f"Roteiro do modelo 'scripted' inválido: {file} não é um roteiro YAML/JSON (regras e respostas).",
            detail={"reason": f"{type(error).__name__}: {str(error)[:300]}"},
        ) from None


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _template_values(messages: Sequence[BaseMessage]) -> dict[str, Any]:
    values: dict[str, Any] = _Blank()
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            if "question" not in values:
                values["question"] = message.text
            elif "previous_question" not in values:
                values["previous_question"] = message.text  # from the conversation's memory
        if isinstance(message, ToolMessage) and "last_tool_text" not in values:
            values["last_tool_text"] = message.text
            values["last_tool_name"] = message.name or ""
            artifact = message.artifact if isinstance(message.artifact, dict) else {}
            values["last_result_first_value"] = artifact.get("first_value", "")
            values["last_row_count"] = artifact.get("row_count", "")
            values["last_sql"] = artifact.get("sql", "")
            values["last_error_code"] = artifact.get("error_code", "")
    return values


def _render(template: str, values: dict[str, Any]) -> str:
    formatter = string.Formatter()
    try:
        return formatter.vformat(template, (), values)
    except (ValueError, IndexError, KeyError):
        return template


def _render_args(args: dict[str, Any], groups: dict[str, str]) -> dict[str, Any]:
    """Tool-call arguments with ``{group}`` replaced by what the rule's named groups captured (only then: SQL
    in scripts may hold braces of its own)."""
    if not groups:
        return dict(args)
    values = _Blank(groups)
    return {key: _render(value, values) if isinstance(value, str) else value for key, value in args.items()}


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


class ScriptedChatModel(BaseChatModel):
    """Deterministic tool-calling fake model (script rules, or a queue of responses)."""

    script: Script = Field(default_factory=Script)
    responses: list[Response] | None = None
    on_call: Callable[[list[BaseMessage]], None] | None = Field(default=None, exclude=True)
    """Optional hook: receives the messages of every call (tests inspect prompts with it)."""

    _queue: list[Response] = PrivateAttr(default_factory=list)
    bound_tools: list[dict[str, Any]] = Field(default_factory=list)
    """OpenAI-format schemas of the tools last bound (for tests)."""

    def model_post_init(self, __context: Any) -> None:
        if self.responses:
            self._queue = list(self.responses)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def enqueue(self, responses: Sequence[Response | str]) -> None:
        """Append responses played in order; a bare string is a content answer."""
        self._queue.extend({"content": r} if isinstance(r, str) else r for r in responses)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        self.bound_tools = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=self.bound_tools, **kwargs)

    # --- choosing and building the response ---------------------------------------------------------
    def _pick(self, messages: Sequence[BaseMessage]) -> tuple[Response, dict[str, str]]:
        """The response to play and the named groups its rule captured from the question."""
        if self.responses is not None:
            if not self._queue:
                return {"content": "(roteiro esgotado)"}, {}
            return self._queue.pop(0), {}
        last_user = ""
        turns_since = 0
        for message in reversed(messages):
            if isinstance(message, HumanMessage):
                last_user = message.text
                break
            if isinstance(message, AIMessage):
                turns_since += 1
        rule, groups = self.script.match(last_user)
        responses = rule.responses if rule is not None else self.script.default
        return responses[min(turns_since, len(responses) - 1)], groups

    def _message(self, messages: list[BaseMessage]) -> AIMessage:
        if self.on_call is not None:
            self.on_call(messages)
        response, groups = self._pick(messages)
        values = _template_values(messages)
        values.update(groups)
        content = _render(str(response.get("content", "")), values)
        tool_calls = [
            {
                "name": call["name"],
                "args": _render_args(call.get("args") or {}, groups),
                "id": f"call_{uuid.uuid4().hex[:12]}",
            }
            for call in response.get("tool_calls") or []
        ]
        prompt_chars = sum(len(m.text) for m in messages)
        output_tokens = _estimate_tokens(content) + sum(_estimate_tokens(json.dumps(c["args"])) for c in tool_calls)
        input_tokens = _estimate_tokens("x" * prompt_chars)
        return AIMessage(
            content=content,
            tool_calls=tool_calls,
            usage_metadata={
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            },
            response_metadata={"model_name": "scripted"},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._message(messages))])

    @staticmethod
    def _chunks(message: AIMessage) -> Iterator[AIMessageChunk]:
        words = re.findall(r"\S+\s*", message.text)
        for word in words:
            yield AIMessageChunk(content=word)
        yield AIMessageChunk(
            content="",
            tool_call_chunks=[
                {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i, "type": "tool_call_chunk"}
                for i, c in enumerate(message.tool_calls)
            ],
            usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._message(messages)):
            if run_manager and chunk.content:
                run_manager.on_llm_new_token(chunk.text, chunk=ChatGenerationChunk(message=chunk))
            yield ChatGenerationChunk(message=chunk)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._message(messages)):
            if run_manager and chunk.content:
                await run_manager.on_llm_new_token(chunk.text, chunk=ChatGenerationChunk(message=chunk))
            yield ChatGenerationChunk(message=chunk)


class ScriptedProvider(Provider):
    name = "scripted"
    env_settings = ()
    example_model = "tests/agent/scripts/demo.yaml"
    label = "modelo roteirizado (testes; roda dentro do vozbd)"

    def create(self, model: str, config: LLMConfig) -> BaseChatModel:
        if not model:
            raise ModelNotConfiguredError("Use 'scripted/<caminho do roteiro .yaml ou .json>'.")
        return ScriptedChatModel(script=load_script(model))

    def status(self, config: LLMConfig, *, check: bool = True) -> ProviderStatus:
        return ProviderStatus(self.name, True, True, "modelo roteirizado para testes")
