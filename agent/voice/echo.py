"""Word matching for the echo guard: is a recognized word one of the words we just said (allowing for a
misrecognition)?"""

from __future__ import annotations

import difflib
import re
import unicodedata


def heard_as_one_of(word: str, said: set[str]) -> bool:
    """``word`` (a recognized word) is one of the words ``said``, allowing for a misrecognition."""
    if word in said or any(word[:4] == other[:4] for other in said):
        return True
    return any(difflib.SequenceMatcher(None, word, other).ratio() >= 0.75 for other in said)


def plain_words(text: str) -> list[str]:
    """Lower-case words without accents ("Você é" → ["voce", "e"])."""
    folded = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
    return re.findall(r"[a-z0-9]+", folded)
