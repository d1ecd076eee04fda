"""Few-shot selection (DAIL-SQL style, without a model): question similarity plus SQL skeleton diversity.

DAIL-SQL ranks stored pairs by the similarity of *masked* questions (domain words hidden, so the shape of the
question counts) and of predicted SQL skeletons. Without a model to predict SQL we compare, for each stored
question, its masked form, its structural cues (counting, grouping, top-N, averages, negation, dates,
comparisons...) and its content words; then we vote per skeleton — the scores of the stored pairs sharing a
skeleton add up — and take the best pair of each of the top skeletons, so the examples cover different likely
query shapes instead of repeating one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from tools.memory.store import Example, GlossaryTerm, text_key
from tools.schema_inspect.text import STOPWORDS, stem

# Structural cue -> regexes on the folded, single-spaced question (padded with spaces).
_CUES: dict[str, tuple[str, ...]] = {
    "count": (r" quant[oa]s ", r" quantidade ", r" numero de ", r" contar ", r" conta "),
    "group": (r" por (?!favor)\w+", r" cada ", r" dividem ", r" distribui", r" separad"),
    "top": (r" (?:\d+|dois|duas|tres|cinco|dez) (?:\w+ )?(?:mais|maiores|menores|melhores|piores|primeir)", r" top "),
    "most": (r" mais (?!de )\w+", r" menos (?!de )\w+", r" maior ", r" menor ", r" melhor ", r" pior "),
    "avg": (r" media ", r" medio ", r" em media "),
    "sum": (r" total ", r" soma", r" faturamento ", r" receita ", r" gast", r" somad"),
    "max": (r" maximo ", r" mais car", r" mais alt", r" mais recente", r" ultim"),
    "min": (r" minimo ", r" mais barat", r" mais antig", r" primeir"),
    "neg": (r" nunca ", r" sem ", r" nenhum", r" nao "),
    "date": (r" hoje ", r" ontem ", r" ano ", r" mes ", r" semana ", r" dias ", r" desde ", r" ultimos ", r" passad"),
    "threshold": (r" mais de \d", r" menos de \d", r" acima de ", r" abaixo de ", r" pelo menos ", r" superior"),
    "between": (r" entre ",),
    "ratio": (r" percent", r" porcent", r" proporc", r" taxa ", r" % "),
    "list": (r"^ quais ", r" liste ", r" lista ", r" mostr", r" quem "),
    "distinct": (r" diferentes ", r" distint", r" quais \w+ "),
    "each_join": (r" de cada ", r" por cliente", r" por produto", r" por transportadora", r" por atendente"),
}
_COMPILED = {name: tuple(re.compile(p) for p in patterns) for name, patterns in _CUES.items()}

CUE_WEIGHT = 0.55
CONTENT_WEIGHT = 0.25
TEXT_WEIGHT = 0.20
MASKED_WEIGHT = 0.35
"""Share of the score from the masked questions' edit similarity (the rest from cues, content and text)."""

# Words kept when a question is masked (DAIL-SQL): function words and words that shape the SQL; every other
# word is a domain word and becomes "_" (runs of them one "_"), numbers become "N".
_SHAPE_TEXT = """
por cada media medio total soma maior menor maiores menores mais menos nunca sem nenhum nenhuma entre
acima abaixo ultimos ultimas passado passada ano mes semana hoje ontem percentual porcentagem top
primeiros primeiras diferentes
"""
_SHAPE_WORDS = frozenset(_SHAPE_TEXT.split())


@dataclass(frozen=True)
class ScoredExample:
    example: Example
    score: float


_NAMED = re.compile(r"(?<=\s)[A-ZÀ-Ý][\wÀ-ÿ]+|\"[^\"]+\"|'[^']+'")
_ID = re.compile(r"\b(?:cliente|pedido|produto|chamado|nota|numero|n[ºo°]|id|codigo)\s+\d+", re.IGNORECASE)


@lru_cache(maxsize=8192)
def cues(question: str) -> frozenset[str]:
    """Structural cues of a question: what kind of SQL it asks for, whatever it is about."""
    padded = f" {text_key(question)} "
    found = {name for name, patterns in _COMPILED.items() if any(p.search(padded) for p in patterns)}
    if _NAMED.search(question.strip()):
        found.add("named_value")  # a proper name or quoted text mid-sentence: a WHERE column = 'value'
    if _ID.search(question):
        found.add("by_id")
    return frozenset(found)


@lru_cache(maxsize=8192)
def _content(question: str) -> frozenset[str]:
    return frozenset(stem(w) for w in text_key(question).split() if w not in STOPWORDS and not w.isdigit())


@lru_cache(maxsize=8192)
def masked(question: str) -> str:
    """``"Quantos clientes de SP a gente tem?"`` -> ``"quantos _ de _ a gente tem"``: the question's shape."""
    out: list[str] = []
    for word in text_key(question).split():
        token = word if word in STOPWORDS or word in _SHAPE_WORDS else ("N" if word.isdigit() else "_")
        if not (token == "_" and out and out[-1] == "_"):
            out.append(token)
    return " ".join(out)


@lru_cache(maxsize=8192)
def _key(question: str) -> str:
    return text_key(question)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def similarity(question: str, other: str) -> float:
    """0..1: how alike two questions are in shape (cues) and in words."""
    shape = _jaccard(cues(question), cues(other))
    content = _jaccard(_content(question), _content(other))
    text = fuzz.token_set_ratio(text_key(question), text_key(other)) / 100
    return CUE_WEIGHT * shape + CONTENT_WEIGHT * content + TEXT_WEIGHT * text


def select_examples(question: str, examples: Sequence[Example], k: int = 3) -> list[ScoredExample]:
    """Up to ``k`` examples for ``question``: the best example of each of the ``k`` best-voted skeletons."""
    if not examples or k <= 0:
        return []
    wanted_cues, wanted_content, wanted_key = cues(question), _content(question), text_key(question)
    wanted_mask = masked(question)
    scored: list[ScoredExample] = []
    for example in examples:
        shape = _jaccard(wanted_cues, cues(example.question))
        content = _jaccard(wanted_content, _content(example.question))
        text = fuzz.token_set_ratio(wanted_key, _key(example.question)) / 100
        words = CUE_WEIGHT * shape + CONTENT_WEIGHT * content + TEXT_WEIGHT * text
        form = fuzz.ratio(wanted_mask, masked(example.question)) / 100
        scored.append(ScoredExample(example, (1 - MASKED_WEIGHT) * words + MASKED_WEIGHT * form))
    scored.sort(key=lambda s: -s.score)
    pool = scored[: max(10 * k, 20)]
    votes: dict[str, float] = {}
    best: dict[str, ScoredExample] = {}
    for rank, item in enumerate(pool):
        skeleton = item.example.skeleton
        votes[skeleton] = votes.get(skeleton, 0.0) + item.score / (1 + 0.15 * rank)
        best.setdefault(skeleton, item)
    top = sorted(votes, key=lambda s: -votes[s])[:k]
    return sorted((best[s] for s in top), key=lambda s: -s.score)


def select_terms(question: str, terms: Sequence[GlossaryTerm], limit: int = 8) -> list[GlossaryTerm]:
    """Glossary terms the question uses (all their words present, by stem or near spelling)."""
    words = [w for w in text_key(question).split() if w not in STOPWORDS]
    stems = {stem(w) for w in words}
    found: list[tuple[float, GlossaryTerm]] = []
    for term in terms:
        term_words = [w for w in text_key(term.term).split() if w not in STOPWORDS] or text_key(term.term).split()
        scores = []
        for word in term_words:
            if stem(word) in stems:
                scores.append(1.0)
            else:
                best = max((fuzz.ratio(stem(word), s) for s in stems), default=0.0)
                scores.append(best / 100 if best >= 85 else 0.0)
        if scores and min(scores) > 0:
            found.append((sum(scores) / len(scores), term))
    found.sort(key=lambda item: -item[0])
    return [term for _, term in found[:limit]]
