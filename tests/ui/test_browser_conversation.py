"""Hands-free conversation in a real browser: the fake microphone plays a WAV with questions and silences;
the server hears each end of utterance, answers aloud (streamed PCM), and a question over an answer interrupts it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.ui.conftest import (
    DESKTOP,
    PHONE,
    SCRIPT,
    UiServer,
    launch,
    open_chat,
    real_models_dir,
    require_browser_and_models,
    shot,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.slow

MIC = "#message-composer button:not([id])"
RATE = 24_000


@pytest.fixture(scope="module")
def hands_free_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    require_browser_and_models()
    tmp = tmp_path_factory.mktemp("ui-hands-free")
    script = tmp / "script.yaml"
    script.write_text(SCRIPT, encoding="utf-8")
    server = start_server(tmp, model=f"scripted/{script}", extra_env={"VOZBD_UI_HANDS_FREE": "true"})
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


def _browser(playwright_instance, tmp_path: Path, wav: Path, viewport: dict):
    args = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}%noloop",
    ]
    return launch(playwright_instance, tmp_path / "profile", viewport, args)


def test_two_questions_two_answers_without_a_second_click(hands_free_server, playwright_instance, tmp_path) -> None:
    wav = tmp_path / "duas-perguntas.wav"
    fake_mic(wav, [0.5, "Quantos clientes temos?", 3.0, "Qual é o ticket médio dos pedidos?", 30.0])
    context = _browser(playwright_instance, tmp_path, wav, DESKTOP)
    try:
        page = context.new_page()
        log_start = len(hands_free_server.log())
        open_chat(page, hands_free_server.url)
        hands_free_server.wait_for_log("warm-up done", timeout=120, start=log_start)
        page.locator(MIC).first.click()  # the only click: the microphone stays open
        hands_free_server.wait_for_log("hands-free conversation started", start=log_start)
        page.get_by_text("clientes cadastrados").first.wait_for(timeout=120_000)
        page.get_by_text("O ticket médio é de").first.wait_for(timeout=120_000)
        assert page.get_by_text(re.compile(r"quantos clientes", re.I)).first.is_visible()  # transcripts shown
        assert page.get_by_text(re.compile(r"ticket m[eé]dio", re.I)).first.is_visible()
        log = hands_free_server.wait_for_log("turn timings:", start=log_start)
        assert "Traceback" not in log
        shot(page, "desktop-hands-free")
    finally:
        context.close()


@pytest.mark.xfail(
    strict=False,
    reason="known issue: the second question (12 s into the fake mic) can arrive after the answer has finished "
    "playing on a loaded 2-core machine, so no barge-in happens; failed in the lead's last full run — to be "
    "made timing-independent (open in issue #15)",
)
def test_speaking_over_the_answer_interrupts_it(hands_free_server, playwright_instance, tmp_path) -> None:
    wav = tmp_path / "interrupcao.wav"
    # A long answer, then a new question while it is still being spoken.
    fake_mic(wav, [0.5, "Conte tudo sobre o banco.", 12.0, "Quantos clientes temos?", 30.0])
    context = _browser(playwright_instance, tmp_path, wav, DESKTOP)
    try:
        page = context.new_page()
        log_start = len(hands_free_server.log())
        open_chat(page, hands_free_server.url)
        hands_free_server.wait_for_log("warm-up done", timeout=120, start=log_start)
        page.locator(MIC).first.click()
        page.get_by_text("(interrompida)").first.wait_for(timeout=120_000)
        page.get_by_text("clientes cadastrados").first.wait_for(timeout=120_000)
        hands_free_server.wait_for_log("barge-in", start=log_start)
        shot(page, "desktop-barge-in")
    finally:
        context.close()


def test_phone_viewport_hands_free(hands_free_server, playwright_instance, tmp_path) -> None:
    wav = tmp_path / "celular.wav"
    fake_mic(wav, [0.5, "Quantos clientes temos?", 30.0])
    context = _browser(playwright_instance, tmp_path, wav, PHONE)
    try:
        page = context.new_page()
        open_chat(page, hands_free_server.url)
        mic = page.locator(MIC).first
        box = mic.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
        mic.click()
        page.get_by_text("clientes cadastrados").first.wait_for(timeout=120_000)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 391
        shot(page, "phone-hands-free")
    finally:
        context.close()
