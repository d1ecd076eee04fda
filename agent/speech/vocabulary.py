"""Schema-aware recognition: the words of one database that speech recognition must get right.

A ``SpeechVocabulary`` holds a connection's names worth hearing exactly — low-cardinality values (cities,
product, customer and supplier names, statuses) and table/column names turned into words — and biases a
transcript towards them in two ways:

- ``correct(text)``: after recognition, a span of the transcript that sounds like a stored value (rapidfuzz
  similarity on accent-folded spelling and on a rough pt-BR phonetic key, so "Chique Chique" → "Xique-Xique" and
  "Pinda Monhangaba" → "Pindamonhangaba") is replaced by the value as stored. It costs well under a millisecond
  per utterance, so it is always on when a vocabulary is given.
- ``prompt(...)``: a bounded Whisper prompt (hotwords) of the schema's words and the values a first transcript
  came close to. A prompt slows the decoder down (every token is decoded again for each beam), so the transcriber
  only uses it for the few values ``near_misses`` finds.

Built by ``build_vocabulary(tables, values)`` from what the schema inspector and the value index already read
(``agent.speech.db_vocabulary`` caches it per connection and refreshes it with the schema cache).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from agent.speech.base import Transcript
from tools.schema_inspect.models import TableInfo
from tools.schema_inspect.text import STOPWORDS, split_identifier, stem

_DOUBLE = re.compile(r"([a-z])\1+")
_FINAL_E = re.compile(r"e(s?)$")
_FINAL_O = re.compile(r"o(s?)$")
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*")
_WORD = re.compile(r"[a-z0-9]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_NOT_A_NAME = re.compile(r"[@/\\?!:;=<>{}\[\]|#$%&*+_]|\d{3,}|https?")

# rough pt-BR spelling → sound rules, applied in order on folded text (ç/c/s/z, ch/x, qu/k, silent h, ...)
_SOUND_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"ph", "f"),
        (r"[cs]h", "x"),
        (r"lh", "li"),
        (r"nh", "ni"),
        (r"th", "t"),
        (r"h", ""),
        (r"sc(?=[ei])", "s"),
        (r"xc(?=[ei])", "s"),
        (r"c(?=[ei])", "s"),
        (r"qu(?=[ei])", "k"),
        (r"qu", "ku"),
        (r"gu(?=[ei])", "g"),
        (r"g(?=[ei])", "j"),
        (r"[ckq]", "k"),
        (r"z", "s"),
        (r"y", "i"),
        (r"w", "v"),
        (r"([a-z])\1+", r"\1"),
        (r"n(?=[^aeiou]|$)", "m"),
        (r"l(?=[^aeiou]|$)", "u"),
    )
)


def fold(text: str) -> str:
    """Lower case without accents (``ç`` → ``s`` first, so it keeps its sound)."""
    text = text.lower().replace("ç", "s")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def sound_key(text: str) -> str:
    """A rough pt-BR phonetic key of ``text``, spaces dropped: "Shiki-shiki" and "Xique-Xique" → "xikixiki"."""
    key = "".join(_sound_of_word(word) for word in _WORD.findall(fold(text)))
    return _DOUBLE.sub(r"\1", key)


def _sound_of_word(word: str) -> str:
    for pattern, replacement in _SOUND_RULES:
        word = pattern.sub(replacement, word)
    return _FINAL_E.sub(r"i\1", _FINAL_O.sub(r"u\1", word))  # unstressed final e/o sound i/u: "Xique" ~ "shiki"


def _key(text: str) -> str:
    return " ".join(_WORD.findall(fold(text)))


@dataclass(frozen=True)
class Term:
    """One value to recognise exactly, with the forms matching compares."""

    text: str
    key: str  # folded words, single-spaced
    sound: str  # phonetic key
    words: int


@dataclass(frozen=True)
class VocabularyLimits:
    max_terms: int = 20_000
    """Values kept per connection (the longest and most name-like first)."""
    max_words: int = 6
    max_chars: int = 48
    min_chars: int = 4
    """Shorter values ("SP", "app") are never corrected: they collide with ordinary words."""
    min_ratio: float = 84.0
    """rapidfuzz similarity (0-100) a transcript span needs to be replaced by a value."""
    near_ratio: float = 62.0
    """Similarity from which a value counts as a near miss (a prompt candidate)."""
    prompt_tokens: int = 48
    """Upper bound of a Whisper prompt built from the vocabulary (tokens ≈ characters / 3)."""


@dataclass(frozen=True)
class Replacement:
    start: int
    end: int
    heard: str
    value: str
    score: float


@dataclass(frozen=True)
class Correction:
    text: str
    replacements: tuple[Replacement, ...] = ()


@dataclass(frozen=True)
class _Span:
    start: int  # first token
    size: int  # tokens
    key: str
    sound: str


@dataclass
class SpeechVocabulary:
    """The names of one connection, with the lookups correction needs (build with ``build_vocabulary``)."""

    name: str
    terms: tuple[Term, ...]
    schema_words: tuple[str, ...] = ()
    limits: VocabularyLimits = field(default_factory=VocabularyLimits)

    def __post_init__(self) -> None:
        self._sounds = [t.sound for t in self.terms]
        self._by_key = {t.key: t for t in self.terms}

    def __len__(self) -> int:
        return len(self.terms)

    def _spans(self, tokens: Sequence[re.Match[str]]) -> list[_Span]:
        spans = []
        words = [_key(t.group()) for t in tokens]
        for start in range(len(tokens)):
            for size in range(1, min(self.limits.max_words, len(tokens) - start) + 1):
                key = " ".join(words[start : start + size])
                if key:
                    spans.append(_Span(start, size, key, sound_key(key)))
        return spans

    def _candidates(self, spans: Iterable[_Span], cutoff: float) -> list[tuple[float, _Span, Term]]:
        found = []
        for span in spans:
            if len(span.sound) < self.limits.min_chars:
                continue
            exact = self._by_key.get(span.key)
            if exact is not None:
                # Same words: restore a name's capitals and accents, but leave a code's spelling to the user
                # ("média" stays, though a column stores "media").
                if exact.text[:1].isupper() or exact.words > 1:
                    found.append((100.0, span, exact))
                continue
            for _, score, position in process.extract(
                span.sound, self._sounds, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
            ):
                term = self.terms[position]
                if abs(term.words - span.size) > 2 or len(term.sound) < self.limits.min_chars:
                    continue
                if not _plausible(span.key.split(), term.key.split()):
                    continue
                spelled = fuzz.ratio(span.key.replace(" ", ""), term.key.replace(" ", ""))
                found.append((max(score, spelled) - 0.5 * abs(term.words - span.size), span, term))
        return found

    def correct(self, text: str) -> Correction:
        """``text`` with every span that sounds like a stored value replaced by the value as stored."""
        if not self.terms or not text.strip():
            return Correction(text)
        tokens = list(_TOKEN.finditer(text))
        chosen: list[tuple[float, _Span, Term]] = []
        taken: set[int] = set()
        ranked = sorted(self._candidates(self._spans(tokens), self.limits.min_ratio), key=lambda c: (-c[0], -c[1].size))
        for score, span, term in ranked:
            if score < self.limits.min_ratio:
                continue
            positions = set(range(span.start, span.start + span.size))
            if positions & taken:
                continue
            taken |= positions
            chosen.append((score, span, term))
        replacements = []
        out, cursor = [], 0
        for score, span, term in sorted(chosen, key=lambda c: c[1].start):
            begin, end = tokens[span.start].start(), tokens[span.start + span.size - 1].end()
            heard = text[begin:end]
            if heard == term.text:
                continue
            out.append(text[cursor:begin] + term.text)
            cursor = end
            replacements.append(Replacement(begin, end, heard, term.text, round(score, 1)))
        out.append(text[cursor:])
        return Correction("".join(out), tuple(replacements))

    def near_misses(self, text: str, limit: int = 6) -> list[str]:
        """Values ``text`` came close to without naming them exactly (candidates for a second, prompted pass)."""
        tokens = list(_TOKEN.finditer(text))
        best: dict[str, float] = {}
        for score, _, term in self._candidates(self._spans(tokens), self.limits.near_ratio):
            if score < 100.0 and term.text not in text:
                best[term.text] = max(best.get(term.text, 0.0), score)
        return [value for value, _ in sorted(best.items(), key=lambda item: -item[1])[:limit]]

    def prompt(self, values: Sequence[str] = ()) -> str:
        """A Whisper prompt (hotwords) of ``values`` then the schema's words, within ``limits.prompt_tokens``."""
        budget = self.limits.prompt_tokens * 3
        picked: list[str] = []
        for phrase in (*values, *self.schema_words):
            if phrase in picked:
                continue
            if sum(len(p) + 2 for p in picked) + len(phrase) > budget:
                break
            picked.append(phrase)
        return ", ".join(picked)


def _plausible(heard: list[str], value: list[str]) -> bool:
    """Whether a span may stand for a value: its edge words are not function words the value does not start or
    end with ("de", "para"), and a single word is not just another inflection of the value ("doce" ≠ "doces")."""
    for edge in (0, -1):
        if heard[edge] in STOPWORDS and heard[edge] != value[edge]:
            return False
    return not (len(heard) == 1 == len(value) and stem(heard[0]) == stem(value[0]))


def _is_name(value: str, limits: VocabularyLimits) -> bool:
    value = value.strip()
    return (
        limits.min_chars <= len(value) <= limits.max_chars
        and bool(_HAS_LETTER.search(value))
        and not _NOT_A_NAME.search(value)
        and len(value.split()) <= limits.max_words
    )


def schema_words(tables: Iterable[TableInfo]) -> tuple[str, ...]:
    """Table and column names as the words a user says: ``notas_fiscais`` → "notas fiscais"."""
    seen: dict[str, None] = {}
    for table in tables:
        for name in (table.name, *(c.name for c in table.columns)):
            words = [w for w in split_identifier(name) if not w.isdigit() and w not in ("id",)]
            if words:
                seen.setdefault(" ".join(words), None)
    return tuple(seen)


def build_vocabulary(
    name: str, tables: Iterable[TableInfo], values: Iterable[str], limits: VocabularyLimits = VocabularyLimits()
) -> SpeechVocabulary:
    """The vocabulary of connection ``name``: name-like ``values`` (deduplicated) and the words of ``tables``."""
    tables = list(tables)
    terms: dict[str, Term] = {}
    for value in values:
        value = " ".join(value.split())
        if not _is_name(value, limits):
            continue
        key = _key(value)
        if key and key not in terms:
            terms[key] = Term(value, key, sound_key(key), len(key.split()))
        if len(terms) >= limits.max_terms:
            break
    return SpeechVocabulary(name, tuple(terms.values()), schema_words(tables), limits)


def apply_vocabulary(transcript: Transcript, vocabulary: SpeechVocabulary | None) -> Transcript:
    """``transcript`` with its text (and each segment's) corrected towards ``vocabulary``; ``heard`` keeps the
    recognised text. Unchanged when ``vocabulary`` is None."""
    if vocabulary is None:
        return transcript
    segments = tuple(dataclasses.replace(s, text=vocabulary.correct(s.text).text) for s in transcript.segments)
    text = vocabulary.correct(transcript.text).text
    return dataclasses.replace(transcript, text=text, segments=segments, heard=transcript.heard or transcript.text)
