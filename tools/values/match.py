"""Find the indexed values a question names: exact, accent/case-folded, then edit-similar (rapidfuzz).

A value matches when every one of its words appears in the question (exactly or, for words of 4+ letters, with
a rapidfuzz ratio >= ``FUZZY_MIN_RATIO``: "Ribeirao Peto" still finds "Ribeirão Preto"; or, for words of 6+
letters, as another inflection of the same stem: "extraviou" finds "extraviada"). Short values (one or
two letters, like "SP") only match a question token written the same way, case included. Numbers alone never
match (they are ids, quantities and years far more often than names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from tools.schema_inspect.lexicon import STATES
from tools.schema_inspect.text import STOPWORDS, fold
from tools.values.index import IndexedValue, ValueIndex

FUZZY_MIN_RATIO = 85.0
PREFIX_SCORE = 0.85
_PREFIX = 6
_MIN_FUZZY_WORD = 4
_MAX_CANDIDATES = 2000
_TOKEN = re.compile(r"\w+")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class ValueMatch:
    table: str
    column: str
    value: str
    score: float
    """1.0 = the value is in the question as written; lower = folded or fuzzy match."""
    kind: str
    """``exact``, ``folded`` or ``fuzzy``."""

    @property
    def hint(self) -> str:
        escaped = self.value.replace("'", "''")
        return f"{self.table}.{self.column} = '{escaped}'"


def _shared_prefix(a: str, b: str) -> int:
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return size


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w not in STOPWORDS and not w.isdigit()]


_NEIGHBOURS_CACHE = 4096  # words per index; the cache starts over when full


def _neighbours(index: ValueIndex, word: str) -> tuple[tuple[str, float], ...]:
    """Up to 5 indexed words with a rapidfuzz ratio >= ``FUZZY_MIN_RATIO`` to ``word`` (ratio as 0..1), remembered
    on the index: the index does not change once built (``ValueIndex.add`` forgets them), questions repeat words."""
    cache = index.fuzzy_neighbours
    found = cache.get(word)
    if found is None:
        vocabulary = index.by_word.keys()
        extracted = process.extract(word, vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_RATIO, limit=5)
        found = tuple((match, ratio / 100) for match, ratio, _ in extracted)
        if len(cache) >= _NEIGHBOURS_CACHE:
            cache.clear()
        cache[word] = found
    return found


def match_values(index: ValueIndex, question: str, limit: int = 8) -> list[ValueMatch]:
    """The best ``limit`` values of ``index`` named by ``question`` (longest and most exact first)."""
    folded_question = fold(question)
    question_words = _WORD.findall(folded_question)
    content = set(_content(question_words))
    if not content:
        return []
    raw_tokens = set(_TOKEN.findall(question))
    padded_question = f" {' '.join(question_words)} "
    # A Brazilian state named in full also names its UF code ("São Paulo" -> a column holding "SP").
    named_states = [name for name, _ in STATES if f" {name} " in padded_question]
    # "mato grosso do sul" also contains "mato grosso": keep the longest names only
    longest = [n for n in named_states if not any(n != other and n in other for other in named_states)]
    states = [uf for name, uf in STATES if name in longest]
    raw_tokens |= {uf.upper() for uf in states}
    # Word of the index -> similarity to the closest question word (1.0 = same word).
    similar: dict[str, float] = {w: 1.0 for w in (*content, *states) if w in index.by_word}
    for word in content:
        if len(word) < _MIN_FUZZY_WORD:
            continue
        for found, ratio in _neighbours(index, word):
            similar[found] = max(similar.get(found, 0.0), ratio)
        if len(word) >= _PREFIX:
            # Same stem, other inflection: "extraviou" ~ "extraviada", "cancelados" ~ "cancelado".
            for found in index.by_prefix.get(word[:_PREFIX], ()):
                if _shared_prefix(word, found) >= 0.7 * min(len(word), len(found)):
                    similar[found] = max(similar.get(found, 0.0), PREFIX_SCORE)
    candidates: dict[int, None] = {}
    for word in similar:
        for position in index.by_word.get(word, ())[:_MAX_CANDIDATES]:
            candidates[position] = None
    padded = f" {' '.join(question_words)} "
    matches: dict[tuple[str, str, str], ValueMatch] = {}
    for position in candidates:
        entry = index.values[position]
        scored = _score(entry, similar, padded, raw_tokens, question)
        if scored is None:
            continue
        key = (entry.table, entry.column, entry.value)
        if key not in matches or matches[key].score < scored.score:
            matches[key] = scored
    ranked = sorted(matches.values(), key=lambda m: (-m.score, -len(m.value), m.table, m.column))
    return _dedupe(ranked, limit)


def _score(
    entry: IndexedValue, similar: dict[str, float], padded: str, raw_tokens: set[str], question: str
) -> ValueMatch | None:
    words = entry.folded.split()
    content = _content(words)
    if not content:
        return None
    if len(entry.folded) <= 2:
        if entry.value in raw_tokens:
            return ValueMatch(entry.table, entry.column, entry.value, 0.9, "exact")
        return None
    if f" {entry.folded} " in padded:
        kind = "exact" if entry.value in question else "folded"
        return ValueMatch(entry.table, entry.column, entry.value, 1.0 if kind == "exact" else 0.95, kind)
    ratios = [similar.get(w, 0.0) for w in content]
    if min(ratios) == 0.0:
        return None
    score = sum(ratios) / len(ratios) * 0.9
    return ValueMatch(entry.table, entry.column, entry.value, round(score, 3), "fuzzy")


def _dedupe(ranked: list[ValueMatch], limit: int) -> list[ValueMatch]:
    """At most ``limit`` matches; a value also found in more columns keeps its best three places."""
    kept: list[ValueMatch] = []
    per_value: dict[str, int] = {}
    for match in ranked:
        key = fold(match.value)
        if per_value.get(key, 0) >= 3:
            continue
        per_value[key] = per_value.get(key, 0) + 1
        kept.append(match)
        if len(kept) >= limit:
            break
    return kept
