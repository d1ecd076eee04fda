"""Memory of verified question->SQL pairs and a business glossary, per connection, in the app database.

Public API: ``MemoryStore`` (add/list/remove examples and terms), ``record_verified_example`` (what the chat's
👍 calls), ``select_examples`` (DAIL-SQL-style few-shot selection), ``select_terms``, ``sql_skeleton`` and the
tables' ``metadata`` (for the app's migrations).
"""

from tools.memory.models import glossary_terms, metadata, verified_examples
from tools.memory.retrieval import ScoredExample, select_examples, select_terms, similarity
from tools.memory.skeleton import sql_skeleton
from tools.memory.store import Example, GlossaryTerm, MemoryStore, record_verified_example, text_key

__all__ = [
    "Example",
    "GlossaryTerm",
    "MemoryStore",
    "ScoredExample",
    "glossary_terms",
    "metadata",
    "record_verified_example",
    "select_examples",
    "select_terms",
    "similarity",
    "sql_skeleton",
    "text_key",
    "verified_examples",
]
