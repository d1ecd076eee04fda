"""`vozbd eval run --voice` with the real speech engines (Kokoro TTS → whisper STT → agent) on 3 questions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from vozbd.cli.app import app

pytestmark = pytest.mark.slow

SUITE = {
    "name": "voz",
    "db": "demo",
    "cases": [
        {"id": "v1", "question": "Quantos clientes temos cadastrados?", "gold_sql": "SELECT COUNT(*) FROM clientes",
         "tags": ["easy"]},
        {"id": "v2", "question": "Quantos pedidos foram cancelados?",
         "gold_sql": "SELECT COUNT(*) FROM pedidos WHERE status = 'cancelado'", "tags": ["easy"]},
        {"id": "v3", "question": "Quantas entregas foram extraviadas?",
         "gold_sql": "SELECT COUNT(*) FROM entregas WHERE status = 'extraviada'", "tags": ["easy"]},
    ],
}  # fmt: skip
SCRIPT = {
    "rules": [
        {"match": rule, "responses": [{"tool_calls": [{"name": "run_query", "args": {"sql": sql}}]}, {"content": "ok"}]}
        for rule, sql in (
            ("client", "SELECT COUNT(*) FROM clientes"),
            ("cancel", "SELECT COUNT(*) FROM pedidos WHERE status = 'cancelado'"),
            ("extravi", "SELECT COUNT(*) FROM entregas WHERE status = 'extraviada'"),
        )
    ],
    "default": [{"content": "Não entendi."}],
}


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from agent.speech import models

    directory = tmp_path_factory.mktemp("models")
    missing = [r for r in models.install(directory) if r.action == "unavailable"]
    if missing:
        reason = f"speech models not installed ({missing[0].relpath}); run `vozbd models install`"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return directory


def test_voice_eval_reports_text_vs_voice_and_wer(
    models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOZBD_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("VOZBD_TTS_ENGINE", "kokoro")
    monkeypatch.setenv("VOZBD_STT_THREADS", "2")
    suite = tmp_path / "voz.yaml"
    suite.write_text(yaml.safe_dump(SUITE, allow_unicode=True), encoding="utf-8")
    script = tmp_path / "script.yaml"
    script.write_text(yaml.safe_dump(SCRIPT, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "run"

    args = ["eval", "run", str(suite), "--model", f"scripted/{script}", "--out", str(out), "--voice"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output

    records = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((r["id"], r["mode"]) for r in records) == [
        (i, m) for i in ("v1", "v2", "v3") for m in ("text", "voice")
    ]
    voice = [r for r in records if r["mode"] == "voice"]
    for record in voice:
        assert record["transcript"], record
        assert record["wer"] is not None and record["wer"] <= 0.5, (record["question"], record["transcript"])
        assert record["tts_ms"] > 0 and record["stt_ms"] > 0
        assert record["sent_question"].startswith(record["transcript"])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["text_vs_voice"]["text_ex"] == 1.0
    assert summary["text_vs_voice"]["voice_ex"] >= 2 / 3
    assert summary["voice"]["wer_mean"] == pytest.approx(sum(r["wer"] for r in voice) / 3, abs=1e-3)
    assert "Entrada por voz" in (out / "report.html").read_text(encoding="utf-8")
