"""SpeechEngines: one instance per engine, builds of different engines in parallel, typed warm-up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.speech import registry
from agent.speech.base import Voice
from agent.speech.config import SpeechConfig
from agent.speech.engines import SpeechEngines


class _Recorder:
    name = "fake"

    def __init__(self) -> None:
        self.warmed: list[str | None] = []

    def voices(self) -> list[Voice]:
        return [Voice("v", "V")]

    def synthesize(self, text: str, *, voice: str | None = None, speed: float | None = None) -> Iterator[object]:
        return iter(())

    def warm_up(self, voice: str | None = None) -> None:
        self.warmed.append(voice)


def test_each_engine_is_built_once_even_when_asked_concurrently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[str] = []

    def slow(config: SpeechConfig) -> _Recorder:
        builds.append("slow")
        threading.Event().wait(0.05)
        return _Recorder()

    monkeypatch.setitem(registry.ENGINES, "espeak", slow)
    engines = SpeechEngines(SpeechConfig(models_dir=tmp_path, tts_engine="espeak"))
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(engines.synthesizer("espeak"))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == ["slow"] and len({id(engine) for engine in got}) == 1
    assert engines.loaded() == {"tts:espeak": "fake"}  # the name users know, not the class name


def test_a_slow_engine_build_does_not_block_another_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With one global lock, building kokoro would block espeak (and the STT) until it finished."""
    release = threading.Event()

    def blocked(config: SpeechConfig) -> _Recorder:
        assert release.wait(10), "the other engine was never built while this one was loading"
        return _Recorder()

    def quick(config: SpeechConfig) -> _Recorder:
        release.set()
        return _Recorder()

    monkeypatch.setitem(registry.ENGINES, "kokoro", blocked)
    monkeypatch.setitem(registry.ENGINES, "espeak", quick)
    engines = SpeechEngines(SpeechConfig(models_dir=tmp_path))
    loading = threading.Thread(target=engines.synthesizer, args=("kokoro",))
    loading.start()
    threading.Event().wait(0.05)  # kokoro's build is now holding its lock
    engines.synthesizer("espeak")
    loading.join(10)
    assert not loading.is_alive()
    assert set(engines.loaded()) == {"tts:kokoro", "tts:espeak"}


def test_warm_up_goes_through_the_engine_interface(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder()
    monkeypatch.setitem(registry.ENGINES, "espeak", lambda config: recorder)
    engines = SpeechEngines(SpeechConfig(models_dir=tmp_path, tts_engine="espeak"))
    engines.warm_up(stt=False, voice="v")
    assert recorder.warmed == ["v"]


def test_missing_stt_model_is_a_typed_error_and_nothing_is_cached(tmp_path: Path) -> None:
    from agent.speech.base import ModelMissingError

    engines = SpeechEngines(SpeechConfig(models_dir=tmp_path))
    with pytest.raises(ModelMissingError, match="vozbd models install"):
        engines.transcriber()
    deferred = engines.as_transcriber()  # an agent can hold it without models installed
    with pytest.raises(ModelMissingError):
        deferred.transcribe(b"")
    assert engines.loaded() == {}
