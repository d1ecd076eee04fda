"""Spoken answers: the first sentence becomes its own clip, the rest follows as one clip (real espeak-ng)."""

from __future__ import annotations

import io
import shutil
import wave

import pytest

from ui import runtime, voice
from ui.prefs import Prefs
from vozbd.settings import Settings
from vozbd.wiring import build_app


@pytest.fixture
def espeak_prefs(tmp_path) -> Prefs:
    if shutil.which("espeak-ng") is None:
        from tests.conftest import unavailable

        unavailable("espeak-ng not installed")
    runtime.configure(build_app(Settings(data_dir=tmp_path, tts_cache_mb=0)).ui)
    return Prefs(tts_engine="espeak", voice="pf_dora", speed=1.2)  # a Kokoro voice: espeak uses its own


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return wav.getnframes() / wav.getframerate()


async def test_first_sentence_is_its_own_clip(espeak_prefs: Prefs) -> None:
    answer = "Temos **600** clientes. A maioria está em SP, seguida de MG e RJ. O resto fica nos demais estados."
    clips = [clip async for clip in voice.speak(answer, espeak_prefs)]
    assert len(clips) == 2
    assert clips[0].text == "Temos seiscentos clientes."
    assert "MG" in clips[1].text or "demais estados" in clips[1].text
    for clip in clips:
        assert abs(_wav_seconds(clip.wav) - clip.seconds) < 0.01 and clip.seconds > 0.3


async def test_nothing_speakable_gives_no_clip(espeak_prefs: Prefs) -> None:
    assert [clip async for clip in voice.speak("```sql\nSELECT 1\n```", espeak_prefs)] == []
