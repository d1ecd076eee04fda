"""Reuse of earlier speculative recognitions of the same utterance (used by ``agent.voice.loop``).

Every pause of a hands-free utterance starts a recognition of the utterance so far. When the user goes on speaking,
that transcript is not wasted: it covers the head of the utterance, cut in a pause, so the next recognition needs
only the audio after it (a shorter encoder window and fewer tokens to decode), prompted with the head's text as
Whisper's previous text, and the two texts are joined. Both parts must be long enough to be recognized on their
own; otherwise the whole utterance is recognized again. Tails of a word or two are misheard alone even with the
prompt ("em junho" → "ang suño"): on the 24 benchmark questions, reusing heads before tails of ≥ 0.8 s raised the
WER from 0.046 to 0.103; with ≥ 1.5 s it stays 0.046 (the long questions gain, the short ones are recognized
whole). Push-to-talk never speculates, so it always recognizes the whole audio.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from agent.speech.base import Segment, Transcript
from agent.speech.textprep import _FUNCTION_WORDS

RATE = 16_000
MIN_HEAD_S = 1.0  # a head shorter than this is recognized again with the rest
MIN_TAIL_S = 1.5  # a shorter tail (a few words) is recognized with its head: alone, Whisper mishears it

_END = re.compile(r"[.…,;:]+$")


@dataclass(frozen=True)
class Heard:
    """What the utterance of ``turn`` was recognized as, up to its first ``samples`` samples (16 kHz)."""

    turn: int
    samples: int
    transcript: Transcript


def reusable(heard: Heard | None, turn: int, samples: int) -> Heard | None:
    """``heard`` when a recognition of ``samples`` samples of ``turn`` can keep it and recognize only the rest."""
    if heard is None or heard.turn != turn or heard.samples < MIN_HEAD_S * RATE:
        return None
    return heard if samples - heard.samples >= MIN_TAIL_S * RATE else None


def joined(head: Transcript, tail: Transcript) -> Transcript:
    """One transcript for a head and the tail recognized after it.

    A head that ends on a question or exclamation mark keeps it; otherwise its closing mark (the pause made
    Whisper end a sentence) is dropped, and the tail's first word is lower-cased when it is a function word
    ("Quantos pedidos de Porto Alegre" + "E qual o valor?" → "Quantos pedidos de Porto Alegre e qual o valor?").
    Other words keep their case: a name the connection's vocabulary restored must stay as stored.
    """
    first, text = head.text.strip(), tail.text.strip()
    if not first.endswith(("?", "!")):
        first = _END.sub("", first)
        word = text.split(" ", 1)[0]
        if word[:1].isupper() and word.lower().strip(",.") in _FUNCTION_WORDS:
            text = text[:1].lower() + text[1:]
    offset = head.duration_s
    segments = head.segments + tuple(
        Segment(s.start + offset, s.end + offset, s.text, s.avg_logprob) for s in tail.segments
    )
    weight = head.duration_s + tail.duration_s
    confidence = (head.confidence * head.duration_s + tail.confidence * tail.duration_s) / weight if weight else 0.0
    heard = None
    if head.heard is not None or tail.heard is not None:
        heard = f"{head.heard or head.text} {tail.heard or tail.text}".strip()
    return dataclasses.replace(
        tail,
        text=f"{first} {text}".strip(),
        confidence=round(confidence, 4),
        segments=segments,
        duration_s=round(head.duration_s + tail.duration_s, 3),
        heard=heard,
    )
