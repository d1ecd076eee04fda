"""Word handling for relevance: accent folding, identifier splitting and a light pt/en stemmer.

Hand-written on purpose: the job is tiny (singular/plural and gender of table and column
names), must be deterministic and must treat Portuguese and English the same way; a full
stemmer library (Snowball) would stem the two languages differently and add a dependency.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")

_STOPWORDS_TEXT = """
a o as os um uma uns umas de do da dos das no na nos nas em ao aos pelo pela pelos pelas por para pra
com sem sobre entre e ou que qual quais quanto quantos quanta quantas quem onde quando como
me mostre mostra mostrar liste listar lista diga dizer informe ver veja traga quero gostaria
foi foram ser sao esta estao estava tem tinha ter ha houve existe existem
mais menos muito muitos pouco todo todos toda todas cada esse essa esses essas este isso aquele
meu minha seu sua nosso nossa lhe se ja nao sim tambem ainda so apenas ultimo ultima
the an of in on at to for from by with without and or is are was were be been has have had
what which who how many much show list me my all any each per this that these those
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORDS_TEXT.split())
"""Portuguese and English function/question words (accent-folded), ignored by relevance."""


def fold(text: str) -> str:
    """Lower-case and strip accents: ``"Situação"`` -> ``"situacao"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def split_identifier(name: str) -> list[str]:
    """``"orderItems"``, ``"order_items"``, ``"OrderItems"`` -> ``["order", "items"]`` (folded)."""
    spaced = _CAMEL.sub(" ", name)
    return _WORD.findall(fold(spaced))


def words(text: str) -> list[str]:
    """Folded alphanumeric words of free text (questions, comments, sample values)."""
    return _WORD.findall(fold(text))


# Ordered (suffix, replacement, minimum word length) rules; the first match wins.
_PLURAL_RULES: tuple[tuple[str, str, int], ...] = (
    ("oes", "ao", 4),  # cartoes -> cartao, transacoes -> transacao, voos stays (no rule)
    ("aes", "ao", 4),  # paes -> pao, caes -> cao
    ("ais", "al", 5),  # fiscais -> fiscal, canais -> canal
    ("eis", "el", 5),  # niveis -> nivel
    ("ies", "y", 5),  # categories -> category, deliveries -> delivery
    ("res", "r", 5),  # fornecedores -> fornecedor, valores -> valor
    ("zes", "z", 5),  # vezes -> vez
    ("ns", "m", 4),  # itens -> item
    ("sses", "ss", 6),  # addresses -> address
    ("ches", "ch", 6),  # branches -> branch
    ("shes", "sh", 6),
    ("xes", "x", 5),  # taxes -> tax
    ("ss", "ss", 3),  # address stays
    ("us", "us", 3),  # status stays
    ("is", "is", 3),  # analysis stays
    ("s", "", 4),  # clientes -> cliente, orders -> order
)


def singular(word: str) -> str:
    """Best-effort singular of a folded pt or en word."""
    for suffix, replacement, min_len in _PLURAL_RULES:
        if len(word) >= min_len and word.endswith(suffix):
            return word[: len(word) - len(suffix)] + replacement
    return word


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Singular, then drop a final gender/verb vowel: clientes/cliente/client -> ``client``.

    ``atrasados``/``atrasada`` -> ``atrasad``; ``orders``/``order`` -> ``order``.
    Numbers and words of three letters or fewer are returned unchanged.
    """
    word = fold(word)
    if len(word) <= 3 or word.isdigit():
        return word
    word = singular(word)
    if len(word) > 4 and word[-1] in "aeo":
        word = word[:-1]
    return word
