"""Download a bigger CTranslate2 Whisper model from the model hub (``vozbd models install --stt NAME``).

The one path that needs internet: ``huggingface_hub.snapshot_download`` fetches the model's files (with its own
progress bars) into ``MODELS_DIR/whisper-NAME``; every file is then checked against the hub's listing (size,
and the sha256 the hub records for large files), the folder is completed with the shipped multilingual tokenizer
when the repository has none (so faster-whisper never goes back to the hub at load time), and a manifest
``vozbd-model.json`` records where it came from. The hub address comes from ``HF_ENDPOINT`` (huggingface_hub's
own setting), so a mirror or a local imitation of the hub works the same way.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.speech.base import ModelMissingError, SpeechError
from agent.speech.models import ChecksumError, sha256_of

log = logging.getLogger(__name__)

MANIFEST = "vozbd-model.json"
SHIPPED_TOKENIZER = "whisper-base/tokenizer.json"
ALLOW_PATTERNS = ("config.json", "preprocessor_config.json", "model.bin", "tokenizer.json", "vocabulary.*")


@dataclass(frozen=True)
class HubModel:
    name: str
    repo_id: str
    size: str  # approximate download size, shown before downloading
    note: str


STT_MODELS: dict[str, HubModel] = {
    m.name: m
    for m in (
        HubModel("small", "Systran/faster-whisper-small", "~480 MB", "multilíngue; ~2x o tempo do base"),
        HubModel("medium", "Systran/faster-whisper-medium", "~1,5 GB", "multilíngue; ~5x o tempo do base"),
        HubModel(
            "large-v3-turbo",
            "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
            "~1,6 GB",
            "multilíngue; o mais preciso, lento em CPU",
        ),
        HubModel(
            "medium-pt",
            "dwhoelz/whisper-medium-pt-ct2",
            "~1,5 GB",
            "whisper-medium ajustado para português (float16)",
        ),
    )
}


class ModelDownloadError(SpeechError):
    """The model could not be downloaded; ``code`` says why (network, not found)."""

    code = "download_failed"


def model_dir_name(name: str) -> str:
    return f"whisper-{name}"


def _hub() -> Any:
    try:
        import huggingface_hub
    except ImportError as error:
        raise ModelMissingError("huggingface_hub não está instalado. Rode: pip install 'vozbd[speech]'") from error
    return huggingface_hub


def _disk_error(error: OSError, target: Path) -> ModelDownloadError:
    return ModelDownloadError(
        f"Não consegui gravar o modelo em {target}: {error.strerror or error}. Verifique o espaço livre e a "
        "permissão de escrita (ou escolha outra pasta com VOZBD_MODELS_DIR); o modelo atual continua em uso.",
        code="disk_error",
    )


def _translate(error: Exception, model: HubModel, target: Path) -> SpeechError:
    """huggingface_hub's (and its HTTP client's) errors → one pt-BR message per cause; anything else re-raised."""
    from huggingface_hub import errors

    offline = (errors.LocalEntryNotFoundError, errors.OfflineModeIsEnabled, ConnectionError, TimeoutError)
    # huggingface_hub's HTTP client (httpx2 today) raises its own TransportError for refused connections and
    # timeouts; matched by name so that the client library is not a dependency of ours.
    names = {cls.__name__ for cls in type(error).__mro__}
    if names & {"RemoteProtocolError", "ReadError", "ChunkedEncodingError", "IncompleteRead"}:
        return ModelDownloadError(
            "O download foi interrompido (a conexão caiu no meio de um arquivo). Rode o comando de novo: ele "
            "continua de onde parou; o modelo atual continua em uso.",
            code="download_interrupted",
        )
    transport = bool(names & {"TransportError", "ConnectError"})
    if isinstance(error, offline) or transport:
        return ModelDownloadError(
            "Sem acesso ao hub de modelos (sem internet, hub fora do ar ou HF_HUB_OFFLINE=1). "
            "Verifique a conexão (ou HF_ENDPOINT) e tente de novo; o modelo atual continua em uso.",
            code="network_error",
        )
    if isinstance(error, errors.RepositoryNotFoundError):
        return ModelDownloadError(
            f"O repositório '{model.repo_id}' não existe no hub (ou exige login).", code="model_not_found"
        )
    not_found = isinstance(error, errors.HfHubHTTPError) and getattr(error.response, "status_code", None) == 404
    if isinstance(error, errors.RevisionNotFoundError | errors.EntryNotFoundError) or not_found:
        return ModelDownloadError(
            f"Arquivos do modelo '{model.repo_id}' não encontrados no hub.", code="model_not_found"
        )
    if isinstance(error, errors.HfHubHTTPError):
        return ModelDownloadError(f"O hub de modelos respondeu com erro: {error}", code="download_failed")
    if isinstance(error, OSError):  # the models folder: not writable, disk full, a file where a folder should be
        return _disk_error(error, target)
    raise error


def _expected_files(hub: Any, model: HubModel, revision: str) -> dict[str, tuple[int, str | None]]:
    """path → (size, sha256 of large files or None), as the hub lists them at ``revision``."""
    listing = hub.HfApi().list_repo_tree(model.repo_id, revision=revision, recursive=True)
    expected: dict[str, tuple[int, str | None]] = {}
    for entry in listing:
        if isinstance(entry, hub.hf_api.RepoFile):
            sha = entry.lfs.sha256 if entry.lfs is not None else None
            expected[entry.path] = (entry.lfs.size if entry.lfs is not None else entry.size, sha)
    return expected


def verify_download(target: Path, expected: dict[str, tuple[int, str | None]], wanted: list[str]) -> dict[str, str]:
    """Check every downloaded file's size and (for large files) sha256; return path → sha256."""
    checked: dict[str, str] = {}
    for relpath in wanted:
        path = target / relpath
        size, sha = expected[relpath]
        if not path.is_file():
            raise ModelMissingError(f"Download incompleto: falta {relpath}. Rode o comando de novo.")
        if path.stat().st_size != size:
            raise ChecksumError(
                f"Arquivo baixado com tamanho errado: {relpath} ({path.stat().st_size} bytes, esperado {size}). "
                "Rode o comando de novo."
            )
        actual = sha256_of(path)
        if sha is not None and actual != sha:
            path.unlink()
            raise ChecksumError(
                f"Arquivo baixado corrompido: {relpath} (sha256 {actual[:12]}…, esperado {sha[:12]}…). "
                "Ele foi apagado; rode o comando de novo."
            )
        checked[relpath] = actual
    return checked


def _verified_copy(target: Path, model: HubModel) -> bool:
    """Whether ``target`` holds a complete earlier download of ``model``: its manifest's files, each with the
    sha256 recorded when it was verified against the hub."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"] if manifest.get("repo_id") == model.repo_id else {}
        if not files or not (target / "tokenizer.json").is_file():
            return False
        return all((target / name).is_file() and sha256_of(target / name) == sha for name, sha in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def install_stt_model(
    name: str,
    models_dir: Path,
    *,
    revision: str = "main",
    tqdm_class: type | None = None,
    announce: Callable[[str], None] | None = None,
) -> Path:
    """Download, verify and complete the model ``name`` (a key of ``STT_MODELS``); return its folder."""
    model = STT_MODELS.get(name)
    if model is None:
        raise ModelDownloadError(
            f"Modelo '{name}' desconhecido. Opções: {', '.join(STT_MODELS)}.", code="unknown_model"
        )
    hub = _hub()
    target = models_dir / model_dir_name(name)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _disk_error(error, target) from error
    if announce:
        announce(f"Baixando {model.repo_id} ({model.size}) para {target}")
    try:
        commit = hub.HfApi().repo_info(model.repo_id, revision=revision).sha
        expected = _expected_files(hub, model, commit)
        wanted = sorted(p for p in expected if any(Path(p).match(pattern) for pattern in ALLOW_PATTERNS))
        if "model.bin" not in wanted or "config.json" not in wanted:
            raise ModelDownloadError(
                f"'{model.repo_id}' não parece um modelo Whisper no formato CTranslate2 (sem model.bin/config.json).",
                code="model_not_found",
            )
        hub.snapshot_download(
            model.repo_id, revision=commit, local_dir=target, allow_patterns=list(ALLOW_PATTERNS), tqdm_class=tqdm_class
        )
    except SpeechError:
        raise
    except Exception as error:  # huggingface_hub's and httpx's errors, translated (anything else re-raised)
        log.warning("download of %s failed: %s: %s", model.repo_id, type(error).__name__, error)
        translated = _translate(error, model, target)
        if translated.code == "network_error" and _verified_copy(target, model):
            if announce:  # offline, but this model is already here and verified: use it (e.g. to select it again)
                announce(f"Sem acesso ao hub: usando a cópia já baixada e verificada de {model.repo_id}.")
            return target
        raise translated from error
    checked = verify_download(target, expected, wanted)
    if not (target / "tokenizer.json").is_file():
        shipped = models_dir / SHIPPED_TOKENIZER
        if not shipped.is_file():
            raise ModelMissingError(
                f"'{model.repo_id}' não traz tokenizer.json e o do whisper-base não está instalado. "
                "Rode antes: vozbd models install"
            )
        try:
            shutil.copyfile(shipped, target / "tokenizer.json")  # the multilingual Whisper tokenizer is shared
        except OSError as error:
            raise _disk_error(error, target) from error
    manifest = {"repo_id": model.repo_id, "revision": commit, "files": checked}
    try:
        (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise _disk_error(error, target) from error
    return target
