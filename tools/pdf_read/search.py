"""Case- and accent-insensitive phrase search with snippets taken from the original text."""

from __future__ import annotations

import unicodedata

SNIPPET_CONTEXT = 80


def fold(text: str) -> str:
    """Lower-case, accent-free, whitespace-collapsed form used for matching."""
    return _fold_with_map(text)[0]


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                origin.append(index)
            continue
        for piece in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(piece):
                continue
            for folded in piece.casefold():
                out.append(folded)
                origin.append(index)
    return "".join(out), origin


def find_snippets(text: str, phrase: str, limit: int) -> list[str]:
    """Snippets of ``text`` around each occurrence of ``phrase`` (at most ``limit``)."""
    needle = fold(phrase).strip()
    if not needle or limit <= 0:
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
