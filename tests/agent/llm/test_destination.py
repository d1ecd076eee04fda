"""Where a model's prompts go (this process, this machine, the local network, the internet) and what the chat
says the model receives under a connection's policy."""

from __future__ import annotations

import pytest

from agent.egress import egress_lines, model_destination, model_receives
from agent.llm.config import LLMConfig
from agent.llm.destination import destination, reach_of
from agent.llm.registry import PROVIDERS
from tools.policy import ConnectionPolicy


@pytest.mark.parametrize(
    ("url", "reach"),
    [
        (None, "process"),
        ("http://127.0.0.1:11434", "machine"),
        ("http://localhost:8080/v1", "machine"),
        ("http://[::1]:8080/v1", "machine"),
        ("http://192.168.0.10:11434", "network"),
        ("http://10.1.2.3/v1", "network"),
        ("http://gpu-box:11434", "network"),
        ("http://ollama.lan:11434", "network"),
        ("https://api.openai.com/v1", "internet"),
        ("https://8.8.8.8/v1", "internet"),
    ],
)
def test_reach_of(url: str | None, reach: str) -> None:
    assert reach_of(url) == reach


def test_hosted_providers_go_to_the_internet_and_local_ones_stay_here() -> None:
    config = LLMConfig()
    hosted = {name for name, cls in PROVIDERS.items() if cls.hosted}
    assert hosted == {"openai", "gemini", "openrouter"}
    for name in hosted:
        assert destination(f"{name}/x", config).reach == "internet"
    assert destination("ollama/qwen2.5:7b", config).reach == "machine"
    assert destination("openai-compatible/m", config).reach == "machine"
    assert destination("scripted/x.yaml", config).reach == "process"
    # The reach follows the endpoint actually configured: OpenAI's protocol pointed at a local server stays here.
    assert destination("openai/m", LLMConfig(openai_base_url="http://127.0.0.1:9/v1")).reach == "machine"
    assert destination("ollama/m", LLMConfig(ollama_base_url="http://10.0.0.5:11434")).reach == "network"


def test_every_provider_has_a_pt_br_label() -> None:
    assert all(cls.label for cls in PROVIDERS.values())


def test_model_receives_follows_the_policy() -> None:
    open_text = " ".join(model_receives(ConnectionPolicy()))
    assert "valores de exemplo" in open_text and "até 200 linhas" in open_text
    strict = " ".join(model_receives(ConnectionPolicy(samples=False, model_rows=5, masked_columns=["*.email"])))
    assert "nenhum valor de exemplo" in strict
    assert "até 5 linhas" in strict and "*.email" in strict and "•••" in strict


def test_egress_lines_warn_for_the_internet_and_name_the_speech_service() -> None:
    hosted = model_destination("openai/gpt-4.1-mini", LLMConfig())
    lines = egress_lines(hosted, ConnectionPolicy())
    assert "OpenAI (serviço hospedado), fora da sua rede" in lines[0] and "https://api.openai.com/v1" in lines[0]
    assert lines[1].startswith("- ⚠ o modelo recebe")
    assert any("áudio não sai" in line for line in lines)
    remote = egress_lines(None, ConnectionPolicy(), speech_url="http://10.0.0.2:8001")
    assert "nenhum configurado" in remote[0] and any("10.0.0.2:8001" in line for line in remote)
    assert model_destination("acme/x", LLMConfig()) is None and model_destination(None, LLMConfig()) is None


def test_readme_egress_tables_match_the_registry_and_the_policy_model() -> None:
    from pathlib import Path

    from agent.egress import egress_markdown

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- egress-table:start -->\n", 1)[1].split("\n<!-- egress-table:end -->", 1)[0]
    expected = egress_markdown()
    assert block == expected, f"README's egress tables are stale; paste agent.egress.egress_markdown():\n{expected}"
