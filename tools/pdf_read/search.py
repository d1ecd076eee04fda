"""Case- and accent-insensitive phrase search with snippets taken from the original text."""

from __future__ import annotations

import re
import unicodedata

SNIPPET_CONTEXT = 80
# Combining marks left by NFKD decomposition (accents, cedilla, tilde...).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WHITESPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, accent-free, whitespace-collapsed form used for matching ("Câmbio" -> "cambio")."""
    return _WHITESPACE.sub(" ", _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold())


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` plus, for each folded character, the index of the original character it came from."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char.isspace():
            if not out or out[-1] != " ":
                out.append(" ")
                origin.append(index)
            continue
        for piece in _COMBINING.sub("", unicodedata.normalize("NFKD", char)):
            for folded in piece.casefold():
                out.append(folded)
                origin.append(index)
    return "".join(out), origin


def find_snippets(text: str, phrase: str, limit: int) -> list[str]:
    """Snippets of ``text`` around each occurrence of ``phrase`` (at most ``limit``)."""
    needle = fold(phrase).strip()
    if not needle or limit <= 0 or needle not in fold(text):  # cheap test first; the index map only on a hit
        return []
    haystack, origin = _fold_with_map(text)
    snippets: list[str] = []
    start = haystack.find(needle)
    while start != -1 and len(snippets) < limit:
        end = start + len(needle) - 1
        first, last = origin[start], origin[end] + 1
        lo, hi = max(0, first - SNIPPET_CONTEXT), min(len(text), last + SNIPPET_CONTEXT)
        snippet = " ".join(text[lo:hi].split())
        snippets.append(("…" if lo > 0 else "") + snippet + ("…" if hi < len(text) else ""))
        start = haystack.find(needle, start + len(needle))
    return snippets
