"""Per-connection index of the text values stored in the database, so prompts can name them exactly.

Public API: ``question_values(ctx, conn, tables, question)`` -> ``[ValueMatch]`` (hints like
``clientes.cidade = 'Ribeirão Preto'``), ``ensure_index``, ``clear_value_index``, ``build_index`` and
``match_values`` (pure, for tests and benchmarks).
"""

from tools.values.index import IndexedValue, ValueIndex, build_index
from tools.values.match import ValueMatch, match_values
from tools.values.service import clear_value_index, ensure_index, question_values

__all__ = [
    "IndexedValue",
    "ValueIndex",
    "ValueMatch",
    "build_index",
    "clear_value_index",
    "ensure_index",
    "match_values",
    "question_values",
]
