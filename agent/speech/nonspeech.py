"""What Whisper writes when it hears no speech, so a transcriber can say "no speech" instead (pure logic).

Whisper transcribes whatever it is given: a cough, a door, a fan or a hum that opened the voice loop's VAD comes
back as text ("E aí?", "O que é isso?", "Ah!", "Hmm..." from whisper-base on such sounds) and would reach the
agent as a question. Three signs are checked:

* the model's own no-speech probability (its ``<|nospeech|>`` token after the start of the transcript) together
  with how sure the decoding was: Whisper's rule (``no_speech_threshold`` 0.6 with ``log_prob_threshold`` -1.0)
  is made for 30 s windows; on the voice loop's short encoder window noise decodes more confidently, so the
  thresholds here are ``NO_SPEECH_PROB`` and ``CONFIDENT_LOGPROB``. Measured with whisper-base on pink/white
  noise, hum, clicks, a breath, a slam, a buzz and silence with a DC offset: no-speech probability 0.51-0.90,
  mean token log-probability -0.31 to -1.4; on 24 spoken questions x 5 microphone conditions (clean, 10 dB pink,
  10 dB white with reverb, -32 dBFS with hum and DC, clipped): at most 0.24. A clearly spoken short word can
  score higher ("Tchau!" at 10 dB SNR: 0.61) but is decoded confidently (-0.19), so it is kept;
* subtitle credits learnt from the training data ("Legendas pela comunidade Amara.org", "Inscreva-se no canal"),
  which nobody says to a database;
* text with no words at all once sound annotations ("[Música]", "(tosse)", "♪") are taken out, or only hesitation
  sounds ("Hmm...", "Ahn", "Ééé"): nothing to answer.
"""

from __future__ import annotations

import re
import unicodedata

NO_SPEECH_PROB = 0.5
CONFIDENT_LOGPROB = -0.2

_CREDITS = (
    "comunidade amara",
    "amara org",
    "legendas pela",
    "legenda por",
    "legendas por",
    "legendado por",
    "legendagem",
    "inscreva se",
    "se inscreva",
    "obrigado por assistir",
    "obrigada por assistir",
    "ate o proximo video",
    "ative o sininho",
    "deixe seu like",
)
_ANNOTATION = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|[♪♫]")
# Hesitation sounds, accents folded: ah, ahn, aaa, eh, ehm, eee, hm, hmm, hum, mmm, uh, uhm, oh ("um" is a number).
_FILLER = re.compile(r"a+h+n*|a{2,}|e+h+m*|e{3,}|h+m+|h+u+m+|m{2,}|u+h+m*|o+h+")


def _folded(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def heard_no_speech(no_speech_prob: float, avg_logprob: float) -> bool:
    """The model thinks the audio holds no speech and its transcript is a guess (see the module docstring)."""
    return no_speech_prob >= NO_SPEECH_PROB and avg_logprob < CONFIDENT_LOGPROB


def is_non_speech_text(text: str) -> bool:
    """``text`` is a subtitle credit, only sound annotations, or only hesitation sounds: not something said to us."""
    folded = _folded(text)
    if any(credit in folded for credit in _CREDITS):
        return True
    words = _folded(_ANNOTATION.sub(" ", text)).split()
    return all(_FILLER.fullmatch(word) for word in words)  # True for no words at all
