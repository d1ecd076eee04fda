"""Telemetry and tracing of dependencies are off once an entry point loads its settings."""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

import pytest

from vozbd.telemetry import DEFAULT_OFF, FORCED_OFF, telemetry_off
from vozbd.wiring import load_settings


@pytest.fixture(autouse=True)
def _restored_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every switch is removed here, so monkeypatch puts the process environment back after each test."""
    for name in (*FORCED_OFF, *DEFAULT_OFF):
        monkeypatch.delenv(name, raising=False)


def test_tracers_are_forced_off_and_usage_stats_default_off(caplog: pytest.LogCaptureFixture) -> None:
    env = {"LANGSMITH_TRACING": "true", "LANGCHAIN_TRACING_V2": "true", "DO_NOT_TRACK": "0", "LANGSMITH_API_KEY": "k"}
    with caplog.at_level(logging.WARNING, logger="vozbd.telemetry"):
        overridden = telemetry_off(env)
    assert overridden == {"LANGSMITH_TRACING": "true", "LANGCHAIN_TRACING_V2": "true"}
    assert all(env[name] == value for name, value in FORCED_OFF.items())
    assert env["DO_NOT_TRACK"] == "0", "an explicit opt-in to usage statistics is the operator's choice"
    assert env["HF_HUB_DISABLE_TELEMETRY"] == "1" and env["OTEL_SDK_DISABLED"] == "true"
    assert "LANGSMITH_TRACING=true" in caplog.text and "k" not in caplog.text.split("ignored", 1)[1].split("=")[0]


def test_load_settings_turns_telemetry_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LANGCHAIN_TRACING_V2", "true")
    load_settings(data_dir=tmp_path)
    assert os.environ["LANGCHAIN_TRACING_V2"] == "false" and os.environ["HF_HUB_DISABLE_TELEMETRY"] == "1"


def test_langsmith_sees_tracing_off() -> None:
    from langsmith.utils import tracing_is_enabled

    telemetry_off()
    assert not tracing_is_enabled()


def test_huggingface_hub_sees_telemetry_off() -> None:
    telemetry_off()
    import huggingface_hub.constants as constants

    assert importlib.reload(constants).HF_HUB_DISABLE_TELEMETRY is True
