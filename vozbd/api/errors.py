"""One JSON error shape for every HTTP answer that is not a success: ``{"code", "message", "detail"}``.

``message`` is pt-BR for the end user; ``code`` is stable for programs; ``detail`` carries structured context
(validation errors without the submitted values, limits, retry delays) or ``null``. Typed errors (tools, LLM,
speech) are mapped to statuses here, once; FastAPI's own 404/405/422 answers are rewritten to the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tools.errors import (
    CodedError,
    ConnectionFailedError,
    DatabaseError,
    DriverMissingError,
    InvalidInputError,
    PdfReadError,
    QueryTimeoutError,
    UnknownConnectionError,
    UnsafeQueryError,
)

log = logging.getLogger(__name__)


class ApiError(CodedError):
    """An error raised by the API layer itself, with its HTTP status and optional headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        detail: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message, code=code, detail=detail)
        self.status = status
        self.headers = headers or {}


# Most specific first. Speech and LLM errors are matched by code (agent/ is imported lazily).
_STATUS_BY_TYPE: tuple[tuple[type[CodedError], int], ...] = (
    (UnsafeQueryError, 403),
    (QueryTimeoutError, 504),
    (ConnectionFailedError, 503),
    (DatabaseError, 422),  # the database refused the SQL: the caller should fix it
    (DriverMissingError, 501),
    (UnknownConnectionError, 404),
    (InvalidInputError, 422),
    (PdfReadError, 422),
)
_STATUS_BY_CODE = {
    "pdf_not_found": 404,
    "pdf_forbidden": 403,
    "pdf_too_large": 413,
    "audio_invalid": 415,
    "audio_too_large": 413,
    "no_speech": 422,
    "model_missing": 503,
    "speech_error": 503,
    "model_not_configured": 503,
    "provider_unreachable": 503,
    "unknown_provider": 400,
    "llm_error": 502,
    "connection_exists": 409,
    "app_db_unavailable": 503,
    "registry_error": 503,  # the saved connections' store (file or app database) cannot be opened
    "memory_unavailable": 503,
    "speech_unavailable": 503,
    "app_db_config": 503,
    "audio_too_big": 413,
    "audio_too_long": 413,
    "audio_empty": 422,
    "unknown_voice": 422,
    "unknown_engine": 422,
}

_HTTP_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Requisição inválida."),
    401: ("unauthorized", "Credenciais ausentes ou inválidas."),
    403: ("forbidden", "Acesso negado."),
    404: ("not_found", "Recurso não encontrado."),
    405: ("method_not_allowed", "Método HTTP não permitido neste endereço."),
    406: ("not_acceptable", "Formato de resposta não suportado."),
    413: ("payload_too_large", "Corpo da requisição grande demais."),
    415: ("unsupported_media_type", "Tipo de conteúdo não suportado."),
    422: ("invalid_request", "Dados da requisição inválidos."),
    429: ("rate_limited", "Muitas requisições. Aguarde e tente de novo."),
    500: ("internal_error", "Erro interno. Tente novamente; se persistir, avise o administrador."),
    503: ("unavailable", "Serviço indisponível no momento. Tente novamente em instantes."),
    504: ("timeout", "A operação demorou demais e foi interrompida."),
}


UNREADABLE_BODY = "Corpo da requisição ilegível: envie JSON válido em UTF-8, sem aninhamento excessivo."
UNREADABLE_FORM = "Formulário multipart ilegível: confira o boundary do Content-Type e as partes enviadas."


def status_for(error: CodedError) -> int:
    if isinstance(error, ApiError):
        return error.status
    if error.code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[error.code]
    for error_type, status in _STATUS_BY_TYPE:
        if isinstance(error, error_type):
            return status
    return 400


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "detail": detail}


def error_response(
    status: int, code: str, message: str, detail: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(status_code=status, content=error_body(code, message, detail), headers=headers)


def default_error(status: int) -> tuple[str, str]:
    return _HTTP_DEFAULTS.get(status, ("http_error", "Erro na requisição."))


# pydantic error types → pt-BR (the ``type`` stays in ``detail`` for programs); anything else: "valor inválido".
_VALIDATION_TEXT: dict[str, str] = {
    "missing": "campo obrigatório ausente",
    "extra_forbidden": "campo não permitido",
    "string_too_short": "texto curto demais",
    "string_too_long": "texto longo demais",
    "string_pattern_mismatch": "formato inválido",
    "string_type": "deve ser um texto",
    "int_type": "deve ser um número inteiro",
    "int_parsing": "deve ser um número inteiro",
    "float_type": "deve ser um número",
    "float_parsing": "deve ser um número",
    "bool_type": "deve ser verdadeiro ou falso",
    "bool_parsing": "deve ser verdadeiro ou falso",
    "list_type": "deve ser uma lista",
    "dict_type": "deve ser um objeto",
    "model_attributes_type": "deve ser um objeto JSON",
    "too_short": "itens de menos",
    "too_long": "itens demais",
    "greater_than": "valor pequeno demais",
    "greater_than_equal": "valor pequeno demais",
    "less_than": "valor grande demais",
    "less_than_equal": "valor grande demais",
    "literal_error": "valor fora das opções aceitas",
    "enum": "valor fora das opções aceitas",
    "json_invalid": "JSON malformado",
    "url_parsing": "URL inválida",
}


def _field(loc: list[Any]) -> str:
    """``["body", "filters", 0, "column"]`` → ``filters[0].column`` (the request part is dropped)."""
    parts = loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie", "form") else loc
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text[:80]  # an unknown key is the client's own text: keep it short


MAX_VALIDATION_ERRORS = 20
"""Errors listed in a 422 (and its log line); the rest are counted. 20,000 unknown keys in a 200 KB body made a
1.9 MB answer and a log line as long."""


def _validation_detail(error: RequestValidationError) -> tuple[list[dict[str, Any]], int]:
    """Where and what (in pt-BR, plus pydantic's error ``type``), never the submitted value (it may be a password);
    the first ``MAX_VALIDATION_ERRORS``, and how many more there were."""
    items = error.errors()
    listed = [
        {
            "loc": list(item.get("loc", ())),
            "field": _field(list(item.get("loc", ()))),
            "type": item.get("type"),
            "msg": _VALIDATION_TEXT.get(str(item.get("type")), "valor inválido"),
        }
        for item in items[:MAX_VALIDATION_ERRORS]
    ]
    return listed, max(0, len(items) - MAX_VALIDATION_ERRORS)


def _validation_message(errors: list[dict[str, Any]], unlisted: int = 0) -> str:
    """One pt-BR sentence naming the fields: ``Dados inválidos: question (campo obrigatório ausente).``"""
    if not errors:
        return default_error(422)[1]
    named = [f"{e['field']} ({e['msg']})" if e["field"] else e["msg"] for e in errors[:3]]
    total = len(errors) + unlisted
    more = f" e mais {total - 3}" if total > 3 else ""
    return f"Dados da requisição inválidos: {'; '.join(named)}{more}."


NOT_JSON = "Envie o corpo como JSON, com o cabeçalho Content-Type: application/json."


def _content_type(request: Request) -> str | None:
    value = request.headers.get("content-type")
    return value.split(";", 1)[0].strip().lower()[:100] if value else None


def _body_not_json(request: Request, errors: list[dict[str, Any]]) -> bool:
    """A JSON body route got a body declared as something else (text/plain, a form...): FastAPI leaves it unparsed
    and reports the whole body as "not an object", which is a 415, not the caller's field values."""
    content_type = _content_type(request)
    if content_type is None or content_type == "application/json" or content_type.endswith("+json"):
        return False
    return any(e["loc"] == ["body"] and e["type"] in ("model_attributes_type", "dict_type") for e in errors)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error raised under ``app`` to the one shape."""

    @app.exception_handler(CodedError)
    async def _coded(_: Request, error: CodedError) -> JSONResponse:
        status = status_for(error)
        log.log(logging.WARNING if status >= 500 else logging.INFO, "%s %s: %s", status, error.code, error.message)
        headers = error.headers if isinstance(error, ApiError) else None
        return error_response(status, error.code, error.message, error.detail or None, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors, unlisted = _validation_detail(error)
        if _body_not_json(request, errors):
            log.info(
                "415 %s %s: body sent as %r", request.method, request.url.path, request.headers.get("content-type")
            )
            return error_response(415, "unsupported_media_type", NOT_JSON, {"content_type": _content_type(request)})
        fields = [(e["field"], e["type"]) for e in errors]
        log.info("422 invalid request: %s%s", fields, f" and {unlisted} more" if unlisted else "")
        detail: dict[str, Any] = {"errors": errors} | ({"more": unlisted} if unlisted else {})
        return error_response(422, default_error(422)[0], _validation_message(errors, unlisted), detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if isinstance(error.__cause__, CodedError):  # FastAPI wraps body-reading failures (our 413) in a 400
            return await _coded(request, error.__cause__)
        form = request.headers.get("content-type", "").startswith("multipart/")
        if error.status_code == 400 and (error.__cause__ is not None or form):  # a body that could not be decoded
            # JSON: UnicodeDecodeError, RecursionError (nested too deep)...; multipart: Starlette's parser message.
            reason = type(error.__cause__).__name__ if error.__cause__ is not None else str(error.detail)[:200]
            log.info("400 unreadable body on %s %s: %s", request.method, request.url.path, reason)
            return error_response(400, "invalid_body", UNREADABLE_FORM if form else UNREADABLE_BODY, {"reason": reason})
        code, message = default_error(error.status_code)
        if isinstance(error.detail, str) and error.detail and error.status_code not in _HTTP_DEFAULTS:
            message = error.detail
        return error_response(error.status_code, code, message, None, getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
        code, message = default_error(500)
        return error_response(500, code, message)
