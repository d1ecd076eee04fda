"""Rank tables by how relevant they are to a pt-BR (or English) question. Deterministic, no ML.

A question and every identifier are reduced to stems (``text.stem``) and to concept ids of the
pt<->en lexicon, so "quantos clientes de SP?" matches ``clientes`` and ``customers`` alike, and
"SP" matches a column whose sample values contain ``SP``. A FreeDict pt<->en dictionary (``bilingual``), when
installed, maps words the lexicon does not know ("voos" -> ``flights``); abbreviations in identifiers (``qtd``,
``dt_``, ``vl``) are expanded; near-misses (typos, transcripts) match by edit similarity (rapidfuzz).
Scores add up per table: table name (strongest), column names, comments and sample values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain

from rapidfuzz import fuzz

from tools.schema_inspect.bilingual import EMPTY, Dictionary
from tools.schema_inspect.lexicon import ABBREVIATIONS, CONCEPTS, EXTRA_CONCEPTS, HINTS, STATES
from tools.schema_inspect.models import TableInfo
from tools.schema_inspect.text import STOPWORDS, split_identifier, stem, words

NAME_WEIGHT = 10.0
COLUMN_WEIGHT = 1.5
COLUMN_CAP = 6.0
COMMENT_WEIGHT = 1.0
COMMENT_CAP = 3.0
SAMPLE_WEIGHT = 3.0
SAMPLE_CAP = 6.0
HINT_WEIGHT = 0.5
DICTIONARY_WEIGHT = 0.9  # a dictionary translation is a little less certain than the curated lexicon
FUZZY_WEIGHT = 0.7
FUZZY_MIN_RATIO = 85.0  # rapidfuzz ratio (0-100) for "almost the same word" (typos, transcripts)
_MIN_PREFIX = 5  # "client" ~ "clientela"; shorter stems must match exactly
_MIN_FUZZY = 6  # shorter stems are too easy to confuse (mes/mesa, dia/dias)


@dataclass(frozen=True)
class _Lexicon:
    words: dict[str, frozenset[int]]
    phrases: dict[tuple[str, ...], frozenset[int]]
    longest: int
    hints: dict[tuple[str, ...], frozenset[int]]


def _stems(text_words: Iterable[str]) -> tuple[str, ...]:
    return tuple(stem(w) for w in text_words if w not in STOPWORDS)


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    word_map: dict[str, set[int]] = {}
    phrase_map: dict[tuple[str, ...], set[int]] = {}
    entries = [line.split(",") for line in (*CONCEPTS, *EXTRA_CONCEPTS)] + [[name, uf] for name, uf in STATES]
    for concept_id, terms in enumerate(entries):
        for term in terms:
            stems = _stems(words(term))
            if len(stems) == 1:
                word_map.setdefault(stems[0], set()).add(concept_id)
            elif stems:
                phrase_map.setdefault(stems, set()).add(concept_id)
    hint_map: dict[tuple[str, ...], set[int]] = {}
    for hint_words, target in HINTS:
        target_stems = _stems(words(target))
        ids = phrase_map.get(target_stems) or word_map.get(target_stems[0], set())
        for hint in hint_words.split(","):
            hint_map.setdefault(_stems(words(hint)), set()).update(ids)
    longest = max((len(p) for p in [*phrase_map, *hint_map]), default=1)
    return _Lexicon(
        {k: frozenset(v) for k, v in word_map.items()},
        {k: frozenset(v) for k, v in phrase_map.items()},
        longest,
        {k: frozenset(v) for k, v in hint_map.items()},
    )


def _hint_concepts(stems: Sequence[str]) -> set[int]:
    lex = _lexicon()
    found: set[int] = set()
    for size in range(1, min(lex.longest, len(stems)) + 1):
        for start in range(len(stems) - size + 1):
            found |= lex.hints.get(tuple(stems[start : start + size]), frozenset())
    return found


def _concepts(stems: Sequence[str]) -> tuple[set[int], list[set[int]]]:
    """All concept ids of a stem sequence, and per position the ids that cover that position."""
    lex = _lexicon()
    per_position: list[set[int]] = [set(lex.words.get(s, ())) for s in stems]
    for size in range(2, min(lex.longest, len(stems)) + 1):
        for start in range(len(stems) - size + 1):
            ids = lex.phrases.get(tuple(stems[start : start + size]))
            if ids:
                for pos in range(start, start + size):
                    per_position[pos] |= ids
    found: set[int] = set().union(*per_position) if per_position else set()
    return found, per_position


@dataclass
class Question:
    """A question reduced to stems and lexicon concepts, with a memo of identifier-word matches."""

    stems: frozenset[str]
    concepts: frozenset[int]
    hints: frozenset[int] = frozenset()
    translations: frozenset[str] = frozenset()
    """Stems the bilingual dictionary gives for the question's words (pt -> en and en -> pt)."""
    _memo: dict[tuple[str, frozenset[int]], float] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, text: str, dictionary: Dictionary = EMPTY) -> Question:
        stems = _stems(words(text))
        concepts, _ = _concepts(stems)
        translated: set[str] = set()
        for word_stem in stems:
            translated |= dictionary.translate(word_stem)
        return cls(
            frozenset(stems),
            frozenset(concepts),
            frozenset(_hint_concepts(stems) - concepts),
            frozenset(translated - set(stems)),
        )

    @property
    def empty(self) -> bool:
        return not self.stems

    def _word_weight(self, word_stem: str, word_concepts: frozenset[int]) -> float:
        """1 = the word is in the question (or a synonym/translation is), 0.5 = only hinted at, 0 = unrelated."""
        key = (word_stem, word_concepts)
        weight = self._memo.get(key)
        if weight is None:
            weight = self._match(word_stem, word_concepts)
            self._memo[key] = weight
        return weight

    def _match(self, word_stem: str, word_concepts: frozenset[int]) -> float:
        if word_concepts & self.concepts or word_stem in self.stems:
            return 1.0
        if len(word_stem) >= _MIN_PREFIX and any(
            len(q) >= _MIN_PREFIX and (q.startswith(word_stem) or word_stem.startswith(q)) for q in self.stems
        ):
            return 1.0
        if word_stem in self.translations:
            return DICTIONARY_WEIGHT
        if len(word_stem) >= _MIN_FUZZY and any(
            len(q) >= _MIN_FUZZY and fuzz.ratio(word_stem, q) >= FUZZY_MIN_RATIO
            for q in chain(self.stems, self.translations)
        ):
            return FUZZY_WEIGHT
        return HINT_WEIGHT if word_concepts & self.hints else 0.0

    def matched_fraction(self, tokens: Sequence[str]) -> float:
        """Weighted share of the (already split, folded) words that match the question, 0..1."""
        analysed = _analyse(tuple(tokens))
        if not analysed:
            return 0.0
        return sum(self._word_weight(s, ids) for s, ids in analysed) / len(analysed)

    def mentions(self, text: str) -> bool:
        """True when a sample value or comment shares a word or concept with the question."""
        return self.matched_fraction(_text_words(text)) > 0


@lru_cache(maxsize=65536)
def _analyse(tokens: tuple[str, ...]) -> tuple[tuple[str, frozenset[int]], ...]:
    """Stems of the words with the lexicon concepts covering each (question-independent, so cached)."""
    stems = _stems(tokens)
    _, per_position = _concepts(stems)
    return tuple((s, frozenset(ids)) for s, ids in zip(stems, per_position, strict=True))


@lru_cache(maxsize=65536)
def _text_words(text: str) -> tuple[str, ...]:
    return tuple(words(text))


_KEY_WORDS = frozenset({"id", "fk", "pk", "cod", "tb", "tbl", "vw"})


@lru_cache(maxsize=65536)
def identifier_tokens(name: str) -> tuple[str, ...]:
    """Meaningful words of an identifier: ``"qtd_itens_pedido"`` -> ``("quantidade", "itens", "pedido")``.

    Key prefixes/suffixes (``id``, ``fk``, ``tb``) carry no meaning for relevance and are dropped; common
    abbreviations (``qtd``, ``dt``, ``vl``, ``qty``, ``amt``) are expanded to the words they stand for."""
    tokens: list[str] = []
    for token in split_identifier(name):
        if token in _KEY_WORDS:
            continue
        tokens += ABBREVIATIONS.get(token, (token,))
    return tuple(tokens)


_identifier_tokens = identifier_tokens


def score_table(table: TableInfo, question: Question) -> float:
    """Relevance of one table for the question (0 = unrelated)."""
    if question.empty:
        return 0.0
    score = NAME_WEIGHT * question.matched_fraction(_identifier_tokens(table.name))
    column_score = sample_score = 0.0
    for column in table.columns:
        column_score += COLUMN_WEIGHT * question.matched_fraction(_identifier_tokens(column.name))
        if column.samples and any(question.mentions(v) for v in column.samples):
            sample_score += SAMPLE_WEIGHT
    comment_score = 0.0
    comments = [table.comment or "", *(c.comment or "" for c in table.columns)]
    for comment in comments:
        if comment and question.mentions(comment):
            comment_score += COMMENT_WEIGHT
    return score + min(column_score, COLUMN_CAP) + min(sample_score, SAMPLE_CAP) + min(comment_score, COMMENT_CAP)


def rank_tables(
    tables: Sequence[TableInfo],
    question: str | None,
    dictionary: Dictionary = EMPTY,
    boost: Mapping[str, float] | None = None,
) -> list[tuple[TableInfo, float]]:
    """Tables with their scores, best first; ties keep the input order.

    ``boost`` adds to the score of tables by name (e.g. tables holding a value the question names)."""
    parsed = Question.parse(question or "", dictionary)
    extra = boost or {}
    scored = [(t, score_table(t, parsed) + extra.get(t.name, 0.0)) for t in tables]
    order = sorted(range(len(scored)), key=lambda i: -scored[i][1])
    return [scored[i] for i in order]


def score_column(table: TableInfo, column_index: int, question: Question) -> float:
    """Relevance of one column for the question: its own name, its sample values and comment, plus a share of
    its table's name (``pedidos.status`` ranks above ``chamados.status`` for "status dos pedidos")."""
    if question.empty:
        return 0.0
    column = table.columns[column_index]
    score = NAME_WEIGHT * question.matched_fraction(_identifier_tokens(column.name))
    if column.samples and any(question.mentions(v) for v in column.samples):
        score += SAMPLE_WEIGHT
    if column.comment and question.mentions(column.comment):
        score += COMMENT_WEIGHT
    if score:
        score += 0.3 * NAME_WEIGHT * question.matched_fraction(_identifier_tokens(table.name))
    return score
