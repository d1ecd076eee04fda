"""The agent's own knobs (limits per turn), built by the composition root (``vozbd.wiring.agent_config``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AgentConfig:
    max_sql_attempts: int = 3
    max_steps: int = 12
    history_turns: int = 8
    table_picker_min_tables: int = 0
