"""`vozbd models install --stt NAME` end to end: the real huggingface_hub download code against a local server that
imitates the model hub (``HF_ENDPOINT``), serving the shipped whisper-base files in the hub's layout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.speech import models
from agent.speech.models import sha256_of
from agent.speech.stt_whisper import load_model
from tests.agent.speech.fake_hub import LFS_MIN, FakeHub, serve_hub
from vozbd.cli.app import app

pytestmark = pytest.mark.slow

VOZBD = [sys.executable, "-c", "from vozbd.cli.app import run; run()"]
CONFIG = """# my settings
tts_engine = "espeak"

[connections.vendas]
url = "sqlite:///vendas.sqlite"
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("stt-models")
    models.install(directory)
    return directory


@pytest.fixture(scope="module")
def hub(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeHub]:
    """Repos in the hub's layout, each with a README the download must skip: "small" serves the shipped
    whisper-base files (a real model, loaded afterwards); the others tiny stand-ins (the error paths and the
    tokenizer completion do not need real weights)."""
    root = tmp_path_factory.mktemp("hub")
    base = installed / "whisper-base"
    tiny = {"model.bin": os.urandom(LFS_MIN + 4096), "config.json": b"{}", "vocabulary.txt": b"a\nb\n"}
    repos = {}
    for repo, files in {
        "Systran/faster-whisper-small": ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"),
        "Systran/faster-whisper-medium": ("model.bin", "config.json", "vocabulary.txt"),
        "dwhoelz/whisper-medium-pt-ct2": ("model.bin", "config.json", "vocabulary.txt"),  # no tokenizer.json
    }.items():
        folder = root / repo
        folder.mkdir(parents=True)
        for name in files:
            if repo.endswith("-small"):
                (folder / name).symlink_to(base / name)
            else:
                (folder / name).write_bytes(tiny[name])
        (folder / "README.md").write_text("# model card\n", encoding="utf-8")
        repos[repo] = folder
    with serve_hub(FakeHub(repos)) as served:
        yield served


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VOZBD, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture
def env(installed: Path, tmp_path: Path, hub: FakeHub) -> dict[str, str]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.toml").write_text(CONFIG, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("VOZBD_", "HF_"))}
    environ.update(
        VOZBD_DATA_DIR=str(data),
        VOZBD_MODELS_DIR=str(installed),
        HF_ENDPOINT=hub.url,
        HF_HOME=str(tmp_path / "hf-home"),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    return environ


def test_downloads_verifies_and_selects(env: dict[str, str], installed: Path, hub: FakeHub, tmp_path: Path) -> None:
    result = _run(["models", "install", "--stt", "small"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    folder = installed / "whisper-small"
    assert sha256_of(folder / "model.bin") == sha256_of(installed / "whisper-base" / "model.bin")
    assert not (folder / "README.md").exists()  # only the model's files
    assert (folder / "vozbd-model.json").is_file()
    config = tomllib.loads((Path(env["VOZBD_DATA_DIR"]) / "config.toml").read_text(encoding="utf-8"))
    assert config["stt_model"] == "whisper-small"
    assert config["tts_engine"] == "espeak" and "vendas" in config["connections"]  # the rest is kept
    assert "whisper-small" in result.stdout

    downloads = len(hub.served)
    again = _run(["models", "install", "--stt", "small"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(hub.served) == downloads  # already there: nothing fetched again

    offline = {**env, "HF_ENDPOINT": "http://127.0.0.1:9"}  # no hub: the verified copy is selected again
    (Path(env["VOZBD_DATA_DIR"]) / "config.toml").write_text(CONFIG, encoding="utf-8")
    again = _run(["models", "install", "--stt", "small"], offline, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Sem acesso ao hub: usando a cópia já baixada" in " ".join(again.stdout.split())
    config = tomllib.loads((Path(env["VOZBD_DATA_DIR"]) / "config.toml").read_text(encoding="utf-8"))
    assert config["stt_model"] == "whisper-small"
    (folder / "model.bin").write_bytes(b"broken")  # a copy that no longer verifies is not used offline
    broken = _run(["models", "install", "--stt", "small"], offline, tmp_path)
    assert broken.returncode == 1 and "Sem acesso ao hub" in broken.stderr
    again = _run(["models", "install", "--stt", "small"], env, tmp_path)  # online again: repaired
    assert again.returncode == 0, again.stdout + again.stderr

    shown = _run(["config", "show", "--json"], env, tmp_path)
    assert json.loads(shown.stdout)["settings"]["stt_model"] == "whisper-small"
    assert load_model(str(folder), threads=1) is not None  # a model faster-whisper loads


def test_a_repo_without_tokenizer_gets_the_shipped_one(
    env: dict[str, str], installed: Path, hub: FakeHub, tmp_path: Path
) -> None:
    result = _run(["models", "install", "--stt", "medium-pt", "--no-select"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    folder = installed / "whisper-medium-pt"
    assert sha256_of(folder / "tokenizer.json") == sha256_of(installed / "whisper-base" / "tokenizer.json")
    served = hub.repos["dwhoelz/whisper-medium-pt-ct2"] / "model.bin"
    assert sha256_of(folder / "model.bin") == sha256_of(served)
    assert "stt_model" not in (Path(env["VOZBD_DATA_DIR"]) / "config.toml").read_text(encoding="utf-8")
    assert "VOZBD_STT_MODEL=whisper-medium-pt" in result.stdout


def test_checksum_mismatch_is_refused_and_the_file_removed(
    env: dict[str, str], installed: Path, hub: FakeHub, tmp_path: Path
) -> None:
    hub.corrupt = True
    try:
        result = _run(["models", "install", "--stt", "medium"], env, tmp_path)
    finally:
        hub.corrupt = False
    assert result.returncode == 1
    assert "corrompido" in result.stderr and "Traceback" not in result.stderr
    assert not (installed / "whisper-medium" / "model.bin").exists()
    assert "stt_model" not in (Path(env["VOZBD_DATA_DIR"]) / "config.toml").read_text(encoding="utf-8")


def test_unknown_repo_and_no_network_say_so(env: dict[str, str], tmp_path: Path) -> None:
    missing = _run(["models", "install", "--stt", "large-v3-turbo"], env, tmp_path)
    assert missing.returncode == 1
    assert "não existe no hub" in missing.stderr and "Traceback" not in missing.stderr
    nothing_yet = {**env, "HF_ENDPOINT": "http://127.0.0.1:9", "VOZBD_MODELS_DIR": str(tmp_path / "vazio")}
    offline = _run(["models", "install", "--stt", "small"], nothing_yet, tmp_path)  # no earlier copy to fall back on
    assert offline.returncode == 1
    assert "Sem acesso ao hub" in offline.stderr and "Traceback" not in offline.stderr


def test_unknown_model_name_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["models", "install", "--stt", "gigante"])
    assert result.exit_code == 2
    assert "small" in result.output


def test_an_unwritable_models_folder_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    """A models folder that cannot be written (here a file stands where the model's folder goes: root ignores
    permission bits) fails with a pt-BR message naming the folder, not a traceback."""
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    (models_dir / "whisper-medium").write_text("not a folder", encoding="utf-8")
    wide = {**env, "COLUMNS": "400"}  # the message on one line, the path unwrapped
    result = _run(["models", "install", "--stt", "medium"], {**wide, "VOZBD_MODELS_DIR": str(models_dir)}, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Erro (disk_error)" in result.stderr and str(models_dir / "whisper-medium") in result.stderr
    parent_is_a_file = tmp_path / "a-file"
    parent_is_a_file.write_text("x", encoding="utf-8")
    result = _run(
        ["models", "install", "--stt", "medium"], {**wide, "VOZBD_MODELS_DIR": str(parent_is_a_file)}, tmp_path
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Erro (disk_error)" in result.stderr


def test_an_interrupted_download_says_so_and_the_next_run_completes_it(
    env: dict[str, str], installed: Path, hub: FakeHub, tmp_path: Path
) -> None:
    models_dir = tmp_path / "models"  # its own folder: the other tests' whisper-medium stays as they left it
    models_dir.mkdir()
    (models_dir / "whisper-base").symlink_to(installed / "whisper-base")  # the shipped tokenizer
    env = {**env, "VOZBD_MODELS_DIR": str(models_dir)}
    hub.truncate = True
    try:
        result = _run(["models", "install", "--stt", "medium", "--no-select"], env, tmp_path)
    finally:
        hub.truncate = False
    assert result.returncode == 1
    assert "Erro (download_interrupted)" in result.stderr and "Traceback" not in result.stderr
    assert not (models_dir / "whisper-medium" / "vozbd-model.json").exists()
    again = _run(["models", "install", "--stt", "medium", "--no-select"], env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    served = hub.repos["Systran/faster-whisper-medium"] / "model.bin"
    assert sha256_of(models_dir / "whisper-medium" / "model.bin") == sha256_of(served)
