"""What reaches the language model, told plainly (pt-BR): where its prompts go and, for one connection's policy,
which data is in them. Shown by the chat (welcome, ``/diagnostico``) and ``vozbd models list``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.llm.destination import Destination, destination
from tools.policy import ConnectionPolicy, model_rows_cap
from tools.safe_query.result import MAX_WINDOW

if TYPE_CHECKING:
    from agent.llm.config import LLMConfig


def model_destination(spec: str | None, config: LLMConfig) -> Destination | None:
    """The destination of ``spec`` (None when no model is configured or the provider is unknown)."""
    from agent.llm.base import UnknownProviderError

    if not spec:
        return None
    try:
        return destination(spec, config)
    except UnknownProviderError:
        return None


def model_receives(policy: ConnectionPolicy) -> list[str]:
    """What the model's prompts carry for a connection with ``policy`` (pt-BR bullet texts)."""
    lines = [
        "sua pergunta em texto (o áudio é transcrito neste computador e não sai dele)",
        "nomes de tabelas e colunas, tipos e chaves (sem as tabelas e colunas que a política esconde)",
    ]
    if policy.samples:
        lines.append("alguns valores de exemplo de colunas de texto e valores que a pergunta cita")
    else:
        lines.append("nenhum valor de exemplo (esta conexão proíbe); exemplos da memória vão sem literais")
    cap = model_rows_cap(policy, MAX_WINDOW)
    masked = ", ".join(policy.masked_columns)
    rows = f"até {cap} linhas de cada resultado de consulta"
    lines.append(rows + (f", com as colunas {masked} trocadas por •••" if masked else ""))
    lines.append("perguntas e SQL verificados da memória desta conexão, e o histórico da conversa")
    return lines


def egress_lines(dest: Destination | None, policy: ConnectionPolicy, *, speech_url: str | None = None) -> list[str]:
    """The "para onde vão os dados" section: Markdown bullet lines."""
    lines: list[str] = []
    if dest is None:
        lines.append("- modelo de linguagem: nenhum configurado — nada é enviado a um modelo")
    else:
        lines.append(f"- modelo de linguagem: {dest.describe()}")
        if dest.reach != "process":
            lines.append(f"- {'⚠ ' if dest.reach == 'internet' else ''}o modelo recebe:")
            lines += [f"  - {item}" for item in model_receives(policy)]
    if speech_url:
        lines.append(f"- voz: o áudio vai para o serviço de fala em {speech_url}")
    else:
        lines.append("- voz: transcrição e síntese neste computador (o áudio não sai dele)")
    lines.append("- resultados completos (até o limite de linhas) aparecem só para você, nesta tela")
    return lines


AUTO_PICK = {"ollama": "yes, first, when it answers", "openai-compatible": "yes, when it answers (after Ollama)"}
REACH_EN = {"process": "inside vozbd", "machine": "this machine", "network": "your network", "internet": "the internet"}
EGRESS_POLICY_KEYS = ("samples", "masked_columns", "denied_columns", "allowed_tables", "denied_tables", "model_rows")


def egress_markdown() -> str:
    """The README's "what leaves this machine" tables, derived from the provider registry and the policy model
    (a test keeps the README equal to this)."""
    from agent.llm.config import LLMConfig
    from agent.llm.registry import PROVIDERS

    lines = [
        "| Provider | Default endpoint | Runs on | Picked without `VOZBD_MODEL` | Settings |",
        "|---|---|---|---|---|",
    ]
    for name, cls in PROVIDERS.items():
        where = destination(f"{name}/", LLMConfig())
        picked = AUTO_PICK.get(name, "never (hosted: only when named)" if cls.hosted else "no (tests only)")
        settings = ", ".join(f"`{s}`" for s in cls.env_settings) or "—"
        endpoint = f"`{where.endpoint}`" if where.endpoint else "—"
        lines.append(f"| `{name}` | {endpoint} | {REACH_EN[where.reach]} | {picked} | {settings} |")
    lines += ["", "| Policy key | What it keeps from the model |", "|---|---|"]
    fields = ConnectionPolicy.model_fields
    lines += [f"| `{key}` | {fields[key].description} |" for key in EGRESS_POLICY_KEYS]
    return "\n".join(lines)
