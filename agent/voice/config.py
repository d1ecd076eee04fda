"""The voice loop's knobs as plain dataclasses (no numpy, no models), so the composition root can build them
without importing the audio stack (the light ``[mcp]`` install must not need it)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TurnConfig:
    threshold: float = 0.5  # speech when the probability is at least this
    neg_threshold: float = 0.35  # silence when below this (in between keeps the current state)
    start_ms: int = 96  # speech needed to open an utterance (ignores clicks)
    pause_ms: int = 32  # silence that triggers speculative recognition (one 32 ms VAD window)
    silence_ms: int = 600  # silence that ends the utterance
    min_speech_ms: int = 250  # shorter utterances are dropped (coughs, clicks)
    max_utterance_s: float = 20.0  # an utterance is cut here even without silence
    preroll_ms: int = 200
    tail_ms: int = 200  # silence kept after the last speech, for the recognizer


@dataclass(frozen=True)
class VoiceLoopConfig:
    turns: TurnConfig = field(default_factory=TurnConfig)
    hands_free: bool = True  # False: push-to-talk, the utterance ends only at ``end_of_input()``
    speculative: bool = True
    speculative_answer: bool = True  # also start the answer (agent + first clause) on the speculative transcript
    # Start speculative recognition as soon as 10 ms of audio fall this many dB below the speaker's recent loudest
    # 10 ms (``agent.voice.cue``), before the VAD notices the pause; 0 turns this cue off (the VAD alone starts them).
    quiet_cue_db: float = 36.0
    barge_in: bool = True
    barge_in_ms: int = 300  # speech over a playing answer needed to interrupt it
    half_duplex: bool = False  # ignore the microphone while the answer plays (no echo cancellation)
    echo_tail_ms: int = 300  # playback may still be in the room this long after its estimated end
    # An utterance over (or just after) our answer whose acoustic similarity to the audio we played reaches this is
    # our own echo, and so is speech that would barge in at the second threshold (judged on its first ~0.5 s, where
    # a user speaking over the echo scores higher than over a whole utterance): agent.voice.echo_acoustic,
    # calibrated by bench/echo_guard.py; 0 turns the acoustic check off.
    echo_similarity: float = 0.6
    echo_barge_in_similarity: float = 0.75
    out_rate: int = 24_000  # PCM rate of AnswerAudio (Chainlit's player runs at its audio sample_rate)
    first_clause_chars: int = 24  # short first clause (words before a number, else ~3 words): its audio comes sooner
