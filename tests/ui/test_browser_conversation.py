"""Hands-free conversation in a real browser: the fake microphone plays a WAV with questions and silences;
the server hears each end of utterance, answers aloud (streamed PCM), and a question over an answer interrupts it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.ui.conftest import (
    DESKTOP,
    MIC,
    PHONE,
    UiServer,
    browser_page,
    fake_mic_flags,
    fits,
    open_chat,
    open_warm_chat,
    real_models_dir,
    require_browser_and_models,
    shot,
    start_scripted_server,
    stop_server,
)

pytestmark = pytest.mark.slow

RATE = 24_000


@pytest.fixture(scope="module")
def hands_free_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    require_browser_and_models()
    server = start_scripted_server(tmp_path_factory.mktemp("ui-hands-free"), {"VOZBD_UI_HANDS_FREE": "true"})
    yield server
    stop_server(server)


def _speech(text: str) -> np.ndarray:
    from agent.speech.registry import build_synthesizer
    from agent.speech.speak import SpeakOptions, speak
    from vozbd.wiring import load_settings, speech_config

    kokoro = build_synthesizer(speech_config(load_settings(models_dir=real_models_dir())), "kokoro")
    return np.concatenate([c.samples for c in speak(kokoro, text, SpeakOptions(voice="pf_dora", sample_rate=RATE))])


def fake_mic(path: Path, parts: list[str | float]) -> float:
    """A 24 kHz WAV of spoken questions (str) and silences (float seconds); returns its length in seconds."""
    from agent.speech.audio import to_wav_bytes

    audio = np.concatenate([np.zeros(int(p * RATE), np.float32) if isinstance(p, float) else _speech(p) for p in parts])
    path.write_bytes(to_wav_bytes(audio, RATE))
    return audio.size / RATE


def test_two_questions_two_answers_without_a_second_click(hands_free_server, playwright_instance, tmp_path) -> None:
    wav = tmp_path / "duas-perguntas.wav"
    fake_mic(wav, [0.5, "Quantos clientes temos?", 3.0, "Qual é o ticket médio dos pedidos?", 30.0])
    with browser_page(playwright_instance, tmp_path, DESKTOP, fake_mic_flags(wav, loop=False)) as page:
        log_start = open_warm_chat(page, hands_free_server, timeout=120)
        page.locator(MIC).first.click()  # the only click: the microphone stays open
        hands_free_server.wait_for_log("hands-free conversation started", start=log_start)
        page.get_by_text("clientes cadastrados").first.wait_for(timeout=120_000)
        page.get_by_text("O ticket médio é de").first.wait_for(timeout=120_000)
        assert page.get_by_text(re.compile(r"quantos clientes", re.I)).first.is_visible()  # transcripts shown
        assert page.get_by_text(re.compile(r"ticket m[eé]dio", re.I)).first.is_visible()
        log = hands_free_server.wait_for_log("turn timings:", start=log_start)
        assert "Traceback" not in log
        shot(page, "desktop-hands-free")
        # Both turns done before the next test starts: a conversation still answering in the background would log
        # "answer audio started" lines into that test's part of the shared server log.
        _wait_for_count(hands_free_server, "turn timings:", 2, start=log_start)


# A microphone the test controls: getUserMedia returns a WebAudio stream into which ``window.__vozbdMic.say``
# plays PCM16 when the test decides (Chromium's fake-mic WAV cannot be re-timed), silence otherwise.
PAGE_MIC = """
(() => {
  let context = null;
  let destination = null;
  const open = async () => {
    if (context === null) {
      context = new AudioContext({ sampleRate: __RATE__ });
      destination = context.createMediaStreamDestination();
    }
    await context.resume();
    return context;
  };
  window.__vozbdMic = {
    async say(base64) {
      const ctx = await open();
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const pcm = new Int16Array(bytes.buffer);
      const buffer = ctx.createBuffer(1, pcm.length, __RATE__);
      const data = buffer.getChannelData(0);
      for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
      const source = ctx.createBufferSource();
      source.buffer = buffer;
      source.connect(destination);
      await new Promise((resolve) => { source.onended = resolve; source.start(); });
      return pcm.length / __RATE__;
    },
  };
  navigator.mediaDevices.getUserMedia = async () => {
    await open();
    return new MediaStream(destination.stream.getAudioTracks().map((track) => track.clone()));
  };
})();
""".replace("__RATE__", str(RATE))


def _pcm16_base64(text: str) -> str:
    import base64

    from agent.speech.audio import pcm16_bytes

    return base64.b64encode(pcm16_bytes(_speech(text))).decode("ascii")


def _wait_for_count(server: UiServer, needle: str, count: int, *, start: int, timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = server.log()[start:]
        if text.count(needle) >= count:
            return text
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} not {count} times in app log:\n{server.log()[-3000:]}")


def test_speaking_over_the_answer_interrupts_it(hands_free_server, playwright_instance, tmp_path) -> None:
    """Event-driven, not timed: the second question is spoken only once the server has started sending *this*
    conversation's first answer (turn 1 after this test's "conversation started" line: a line of the previous
    test's conversation, still answering in the background, once let the question be spoken right after the first
    one, so both were heard as one utterance and nothing was interrupted), and that answer is long (~30 s of
    speech), so it is still playing on a fast or a slow machine. The first question is one Whisper base hears
    the same way at any level and offset ("Conte tudo sobre o banco." came out as "concitudo sobre o banco." for
    some of them, which got the short default answer instead)."""
    long_question = _pcm16_base64("Me conte tudo sobre o banco de dados.")
    new_question = _pcm16_base64("Quantos clientes temos?")
    with browser_page(playwright_instance, tmp_path, DESKTOP, fake_mic_flags(), init_script=PAGE_MIC) as page:
        log_start = open_warm_chat(page, hands_free_server, timeout=120)
        page.locator(MIC).first.click()
        text = hands_free_server.wait_for_log("hands-free conversation started", start=log_start)
        mine = log_start + text.rindex("hands-free conversation started")  # this conversation's lines come after
        page.evaluate("(audio) => window.__vozbdMic.say(audio)", long_question)
        page.get_by_text("O banco de demonstração tem clientes").first.wait_for(timeout=120_000)  # the long answer
        hands_free_server.wait_for_log("hands-free turn 1: answer audio started", timeout=120, start=mine)
        assert "barge-in" not in hands_free_server.log()[mine:]
        page.evaluate("(audio) => window.__vozbdMic.say(audio)", new_question)  # over the answer being played
        page.get_by_text("(interrompida)").first.wait_for(timeout=120_000)
        page.get_by_text("clientes cadastrados").first.wait_for(timeout=120_000)
        log = hands_free_server.wait_for_log("barge-in: interrupting turn 1", start=mine)
        assert "Traceback" not in log
        shot(page, "desktop-barge-in")


def test_phone_viewport_hands_free(hands_free_server, playwright_instance, tmp_path) -> None:
    wav = tmp_path / "celular.wav"
    fake_mic(wav, [0.5, "Quantos clientes temos?", 30.0])
    with browser_page(playwright_instance, tmp_path, PHONE, fake_mic_flags(wav, loop=False)) as page:
        open_chat(page, hands_free_server.url)
        mic = page.locator(MIC).first
        assert fits(mic.bounding_box(), 390, 844), mic.bounding_box()
        mic.click()
        page.get_by_text("clientes cadastrados").first.wait_for(timeout=120_000)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 391
        shot(page, "phone-hands-free")
