"""Speech fixtures: the real models, installed once per session into a tmp models dir from the real packages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.speech import models
from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines
from agent.speech.textprep import prepare_for_speech
from agent.speech.tts_espeak import EspeakSynthesizer, espeak_binary
from tests.conftest import unavailable

# pt-BR sentences the round-trip tests speak and transcribe back (numbers, places, product names).
SENTENCES = (
    "Encontrei 32 pedidos em São Paulo no mês passado.",
    "O faturamento de junho foi de R$ 1.234,56, um aumento de 12% em relação a maio.",
    "O produto mais vendido foi a cafeteira elétrica, com 87 unidades.",
    "A entrega para Belo Horizonte atrasou três dias.",
)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("models")
    results = models.install(directory)
    unavailable = [r for r in results if r.action == "unavailable"]
    if unavailable:
        pytest.fail(f"speech models unavailable: {unavailable}")
    return directory


@pytest.fixture(scope="session")
def speech_config(models_dir: Path) -> SpeechConfig:
    return SpeechConfig(models_dir=models_dir, stt_threads=2, beam_size=5)


@pytest.fixture(scope="session")
def speech_engines(speech_config: SpeechConfig) -> SpeechEngines:
    """One engine cache for the session, as the composition root keeps one per process."""
    return SpeechEngines(speech_config)


@pytest.fixture(scope="session")
def transcriber(speech_engines: SpeechEngines):  # -> WhisperTranscriber
    return speech_engines.transcriber()


@pytest.fixture(scope="session")
def kokoro(speech_engines: SpeechEngines):  # -> KokoroSynthesizer
    synthesizer = speech_engines.synthesizer("kokoro")
    assert synthesizer.name == "kokoro"
    return synthesizer


@pytest.fixture(scope="session")
def kokoro_clips(kokoro) -> list[tuple[str, np.ndarray, int]]:
    """(reference sentence, samples, rate) for each of SENTENCES spoken by Kokoro (pf_dora)."""
    clips = []
    for sentence in SENTENCES:
        chunks = list(kokoro.synthesize(prepare_for_speech(sentence)))
        clips.append((sentence, np.concatenate([c.samples for c in chunks]), chunks[0].sample_rate))
    return clips


@pytest.fixture(scope="session")
def espeak() -> EspeakSynthesizer:
    """The espeak-ng engine; a missing binary is a clear skip locally and a failure under CI=true, not an error
    from deep inside the engine."""
    if espeak_binary() is None:
        unavailable("espeak-ng not installed (apt-get install espeak-ng; .ci/run installs it)")
    return EspeakSynthesizer()
