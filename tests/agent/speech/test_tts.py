from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from agent.speech.base import AudioChunk, ModelMissingError, SpeechError, Synthesizer
from agent.speech.cache import PhraseCache
from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines
from agent.speech.registry import available_engines
from agent.speech.textprep import prepare_for_speech
from agent.speech.tts_espeak import EspeakSynthesizer

ANSWER = prepare_for_speech(
    "Encontrei 32 pedidos em São Paulo no mês passado, a maioria de eletrônicos. O ticket médio foi R$ 250,00."
)


def _audible(chunk: AudioChunk) -> None:
    assert chunk.samples.dtype == np.float32 and chunk.samples.ndim == 1
    assert chunk.samples.size > chunk.sample_rate * 0.2
    assert 0.01 < float(np.max(np.abs(chunk.samples))) <= 1.0


def test_espeak_streams_clause_by_clause(espeak: EspeakSynthesizer) -> None:
    assert isinstance(espeak, Synthesizer)
    chunks = list(espeak.synthesize(ANSWER))
    assert chunks[0].text == "Encontrei trinta e dois pedidos em São Paulo"
    assert " ".join(c.text for c in chunks) == ANSWER
    for chunk in chunks:
        assert chunk.sample_rate == 22_050
        _audible(chunk)


def test_espeak_voices_and_kokoro_aliases(espeak: EspeakSynthesizer) -> None:
    ids = [v.id for v in espeak.voices()]
    assert ids == ["pt-br", "pt-br+f3"]
    female = next(iter(espeak.synthesize("Olá, tudo bem?", voice="pf_dora")))
    _audible(female)


def test_speed_changes_duration(espeak: EspeakSynthesizer) -> None:
    slow = sum(c.samples.size for c in espeak.synthesize(ANSWER, speed=0.7))
    fast = sum(c.samples.size for c in espeak.synthesize(ANSWER, speed=1.6))
    assert fast < slow * 0.7


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"text": ANSWER, "voice": "nao-existe"}, "unknown_voice"),
        ({"text": ANSWER, "speed": 3.0}, "invalid_speed"),
        ({"text": ANSWER, "speed": 0.1}, "invalid_speed"),
        ({"text": "   ...  "}, "empty_text"),
    ],
)
def test_bad_tts_input_is_a_typed_error(espeak: EspeakSynthesizer, kwargs: dict, code: str) -> None:
    with pytest.raises(SpeechError) as caught:
        espeak.synthesize(**kwargs)  # raised at call time, before any audio
    assert caught.value.code == code
    assert caught.value.message


def test_text_starting_with_dash_is_spoken_not_parsed(espeak: EspeakSynthesizer) -> None:
    _audible(next(iter(espeak.synthesize("--help e -v en são só palavras."))))


def test_cache_hit_skips_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synthesizer = EspeakSynthesizer(cache=PhraseCache(tmp_path, 10))
    calls: list[str] = []
    real = synthesizer._render
    monkeypatch.setattr(
        synthesizer, "_render", lambda text, voice, speed: calls.append(text) or real(text, voice, speed)
    )
    first = list(synthesizer.synthesize(ANSWER))
    rendered = len(calls)
    assert rendered == len(first) and len(list(tmp_path.glob("*.npy"))) == rendered
    second = list(synthesizer.synthesize(ANSWER))
    assert len(calls) == rendered  # all from the cache
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(first, second, strict=True))
    list(synthesizer.synthesize(ANSWER, speed=1.2))  # speed is part of the key
    assert len(calls) == 2 * rendered


def test_cache_evicts_least_recently_used(tmp_path: Path) -> None:
    cache = PhraseCache(tmp_path, max_mb=0.12)  # ~125 KB: three entries fit
    block = np.zeros(10_000, dtype=np.float32)  # ~40 KB per entry
    keys = [PhraseCache.key("e", "v", 1.0, f"frase {i}") for i in range(4)]
    for index, key in enumerate(keys[:2]):
        cache.put(key, block, 16_000)
        path = next(tmp_path.glob(f"{key}-*.npy"))
        stamp = time.time() - 100 + index
        os.utime(path, (stamp, stamp))
    assert cache.get(keys[0]) is not None  # touch: keys[0] is now the most recent
    cache.put(keys[2], block, 16_000)
    assert len(list(tmp_path.glob("*.npy"))) == 3
    cache.put(keys[3], block, 16_000)
    assert len(list(tmp_path.glob("*.npy"))) == 3
    assert cache.size_bytes() <= cache.max_bytes
    assert cache.get(keys[1]) is None  # the least recently used went first
    assert cache.get(keys[3]) is not None
    assert cache.get(keys[0]) is not None


def test_cache_disabled_and_corrupt_entries(tmp_path: Path) -> None:
    off = PhraseCache(tmp_path / "off", 0)
    off.put("k", np.zeros(10, dtype=np.float32), 16_000)
    assert off.get("k") is None and not (tmp_path / "off").exists()
    cache = PhraseCache(tmp_path, 1)
    (tmp_path / "bad-16000.npy").write_bytes(b"garbage")
    assert cache.get("bad") is None
    assert not (tmp_path / "bad-16000.npy").exists()


def test_engines_fall_back_to_espeak_without_kokoro(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = SpeechConfig(models_dir=tmp_path)
    engines = SpeechEngines(config)
    synthesizer = engines.synthesizer()
    assert synthesizer.name == "espeak"
    assert "falling back" in caplog.text
    assert engines.synthesizer() is synthesizer  # one instance per engine cache
    assert engines.synthesizer("espeak") is synthesizer
    with pytest.raises(ModelMissingError, match="vozbd models install"):
        engines.synthesizer("kokoro")  # asked explicitly: no silent fallback
    with pytest.raises(SpeechError) as caught:
        engines.synthesizer("festival")
    assert caught.value.code == "unknown_engine"
    engines = available_engines(config)
    assert engines["espeak"] is None and engines["kokoro"] and set(engines) == {"kokoro", "espeak", "coqui"}


@pytest.mark.slow
def test_kokoro_speaks_every_voice(kokoro, speech_config: SpeechConfig) -> None:
    assert available_engines(speech_config)["kokoro"] is None
    assert [v.id for v in kokoro.voices()] == ["pf_dora", "pm_alex", "pm_santa"]
    for voice in ("pf_dora", "pm_alex", "pm_santa"):
        chunks = list(kokoro.synthesize("Bom dia, São Paulo.", voice=voice))
        assert chunks[0].sample_rate == 24_000
        _audible(chunks[0])


@pytest.mark.slow
def test_kokoro_streams_first_clause_first(kokoro) -> None:
    stream = kokoro.synthesize(ANSWER)
    first = next(stream)
    assert first.text == "Encontrei trinta e dois pedidos em São Paulo"
    rest = list(stream)
    assert len(rest) >= 1 and " ".join([first.text, *[c.text for c in rest]]) == ANSWER
