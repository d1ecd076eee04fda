"""Word error rate for pt-BR speech checks (tests and ``bench/stt.py``).

Written by hand (a 20-line Levenshtein) to avoid a dependency; both sides are normalised the same way:
numbers spelled out with our own text prep (whisper writes "32", Kokoro was given "trinta e dois"),
lower case, accents and punctuation removed.
"""

from __future__ import annotations

import re
import unicodedata

from agent.speech.textprep import prepare_for_speech


def normalize_words(text: str) -> list[str]:
    text = prepare_for_speech(text).lower()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return re.findall(r"[a-z]+", text)


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of ``hypothesis`` against ``reference`` after normalisation (can exceed 1.0)."""
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


def corpus_wer(pairs: list[tuple[str, str]]) -> float:
    """Total edits over total reference words for (reference, hypothesis) pairs."""
    edits = sum(edit_distance(normalize_words(r), normalize_words(h)) for r, h in pairs)
    words = sum(len(normalize_words(r)) for r, _ in pairs)
    return edits / words if words else 0.0


def entity_words(text: str) -> list[str]:
    """Lower-case words with their accents (an entity must be recognised as stored, accents included)."""
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).lower())


def entity_found(entity: str, text: str) -> bool:
    """Whether ``entity`` (a stored value) is in ``text`` exactly, case and punctuation aside:
    "Xique-Xique" is found in "de xique xique?", not in "de Chique-Chique" nor "de Xiquexique"."""
    wanted, words = entity_words(entity), entity_words(text)
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


def entity_accuracy(cases: list[tuple[list[str], str]]) -> float:
    """Share of entities found exactly, over (entities of a question, its transcript) pairs."""
    total = sum(len(entities) for entities, _ in cases)
    found = sum(entity_found(e, text) for entities, text in cases for e in entities)
    return found / total if total else 1.0
