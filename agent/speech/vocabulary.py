"""Schema-aware recognition: the words of one database that speech recognition must get right.

A ``SpeechVocabulary`` holds a connection's names worth hearing exactly — low-cardinality values (cities,
product, customer and supplier names, statuses) and table/column names turned into words — and biases a
transcript towards them in two ways:

- ``correct(text)``: after recognition, a span of 1-6 transcript words that sounds like a stored value is
  replaced by the value as stored. Spans and values are compared joined, without spaces or accents (rapidfuzz
  similarity), on the folded spelling, on a rough pt-BR phonetic key (``sound_key``) and, for long spans, on the
  same key with reduced vowels (``coarse_key``): "Chique Chique" → "Xique-Xique", "deu classe fortado" →
  "Deoclécio Furtado". It also returns the values other spans came close to (``Correction.near``). ~15 ms per
  utterance with 900 values, so it is always on when a vocabulary is given.
- near misses: ``WhisperTranscriber`` decodes an utterance with near misses a second time, prompted (hotwords)
  with just those values; a prompt slows the decoder down, so it is never built from the whole vocabulary
  (``prompt(...)`` builds a bounded one for ``bench/stt_bias.py --prompt``).

Built by ``build_vocabulary(tables, values)`` from what the schema inspector and the value index already read
(``agent.speech.db_vocabulary`` caches it per connection and refreshes it with the schema cache).
"""

from __future__ import annotations

import dataclasses
import math
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


_REDUCED = str.maketrans("eo", "iu")


def coarse_key(sound: str) -> str:
    """``sound`` with every e/o heard as i/u: unstressed vowels reduce in pt-BR speech and Whisper spells them
    either way ("impórioje kitiba" ~ "Empório Jequitibá", "deu classe" ~ "Deoclécio")."""
    return _DOUBLE.sub(r"\1", sound.translate(_REDUCED))


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
    coarse: str = ""  # phonetic key with reduced vowels (``coarse_key``)
    name: bool = True  # starts with a capital or has several words: a name, not a common word


@dataclass(frozen=True)
class VocabularyLimits:
    max_terms: int = 20_000
    """Values kept per connection (the longest and most name-like first)."""
    max_words: int = 6
    max_chars: int = 48
    min_chars: int = 4
    """Shorter values ("SP", "app") are never corrected: they collide with ordinary words."""
    min_ratio: float = 84.0
    """rapidfuzz similarity (0-100) a transcript span of up to ``short_key`` letters needs to be replaced by a
    value; from there it falls linearly to ``long_ratio`` at ``long_key`` letters (see ``threshold``)."""
    long_ratio: float = 76.0
    short_key: int = 10
    long_key: int = 18
    edge_penalty: float = 6.0
    """Taken off a span per edge function word the value does not have ("de", "que", "o"), so the span without
    it wins when both match."""
    coarse_penalty: float = 3.0
    """Taken off a similarity measured on reduced vowels (``coarse_key``), a looser comparison."""
    near_ratio: float = 62.0
    """Lowest similarity ever considered (the floor of near misses)."""
    near_margin: float = 18.0
    """A value whose similarity is within this margin under the threshold is a near miss (a prompt candidate),
    in a vocabulary of up to ``small_vocabulary`` values. Wider: more utterances decoded twice (measured with
    ``bench/stt_bias.py`` on the foreign set: 12 → second pass on 19% of the clips, 18 → 30%, all but a few of
    them useful)."""
    near_margin_large: float = 10.0
    """The margin in a vocabulary of ``large_vocabulary`` values or more: chance resemblances grow with the number
    of values (the demo's 873 values made ordinary words like "chamados" near misses of "Calçados"). Between the
    two sizes the margin falls linearly with the logarithm of the size."""
    small_vocabulary: int = 100
    large_vocabulary: int = 1000
    prompt_tokens: int = 48
    """Upper bound of a Whisper prompt built from the vocabulary (tokens ≈ characters / 3)."""
    prompt_values: int = 5
    """Near misses given to Whisper as a prompt for a second decoding of the utterance (0: no second pass)."""


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
    near: tuple[str, ...] = ()
    """Values a span of the text came close to without reaching the threshold, best first: the candidates of a
    second, prompted decoding (``WhisperTranscriber``)."""


@dataclass(frozen=True)
class _Span:
    start: int  # first token
    size: int  # tokens
    key: str
    sound: str
    coarse: str


@dataclass
class SpeechVocabulary:
    """The names of one connection, with the lookups correction needs (build with ``build_vocabulary``)."""

    name: str
    terms: tuple[Term, ...]
    schema_words: tuple[str, ...] = ()
    limits: VocabularyLimits = field(default_factory=VocabularyLimits)

    def __post_init__(self) -> None:
        self._coarse = [t.coarse for t in self.terms]
        self._by_key = {t.key: t for t in self.terms}
        limits = self.limits
        size = min(max(len(self.terms), limits.small_vocabulary), limits.large_vocabulary)
        share = math.log(size / limits.small_vocabulary) / math.log(limits.large_vocabulary / limits.small_vocabulary)
        self._near_margin = limits.near_margin - share * (limits.near_margin - limits.near_margin_large)

    def __len__(self) -> int:
        return len(self.terms)

    def _spans(self, tokens: Sequence[re.Match[str]]) -> list[_Span]:
        spans = []
        words = [_key(t.group()) for t in tokens]
        for start in range(len(tokens)):
            for size in range(1, min(self.limits.max_words, len(tokens) - start) + 1):
                key = " ".join(words[start : start + size])
                if key:
                    sound = sound_key(key)
                    spans.append(_Span(start, size, key, sound, coarse_key(sound)))
        return spans

    def threshold(self, length: int) -> float:
        """Similarity a span of ``length`` key letters needs to be replaced: long names tolerate more mistakes
        (a chance resemblance over many letters is rare), short ones need ``min_ratio``."""
        limits = self.limits
        if length <= limits.short_key:
            return limits.min_ratio
        if length >= limits.long_key:
            return limits.long_ratio
        share = (length - limits.short_key) / (limits.long_key - limits.short_key)
        return limits.min_ratio - share * (limits.min_ratio - limits.long_ratio)

    def _candidates(self, spans: Iterable[_Span], cutoff: float) -> list[tuple[float, _Span, Term, bool]]:
        """(similarity, span, value, whether the span may be replaced by the value) for every span close to a
        value; a span that merely extends a value (or the reverse) is a near miss at best."""
        found = []
        for span in spans:
            if len(span.sound) < self.limits.min_chars:
                continue
            exact = self._by_key.get(span.key)
            if exact is not None:
                # Same words: restore a name's capitals and accents, but leave a code's spelling to the user
                # ("média" stays, though a column stores "media").
                # A common word found as stored still takes its words, so no longer span swallows it.
                found.append((100.0, span, exact, True))
                continue
            hits: set[int] = set()
            # One lookup on the coarsest key finds the values close on every key (scored precisely below).
            for _, _, position in process.extract(
                span.coarse, self._coarse, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5
            ):
                hits.add(position)
            for position in hits:
                term = self.terms[position]
                if abs(term.words - span.size) > 3 or len(term.sound) < self.limits.min_chars:
                    continue
                heard = span.key.split()
                if not _plausible(heard, term):
                    continue
                loose = _loose_edges(heard, term)
                if loose and (not term.name or loose == len(heard)):
                    continue
                # reduced vowels make short words collide ("maio" ~ "Maceió"): only long spans use them
                coarse = fuzz.ratio(span.coarse, term.coarse) if len(span.coarse) >= self.limits.short_key else 0.0
                score = max(
                    fuzz.ratio(span.sound, term.sound),
                    coarse - self.limits.coarse_penalty,
                    fuzz.ratio(span.key.replace(" ", ""), term.key.replace(" ", "")),
                )
                penalty = 0.5 * abs(term.words - span.size) + loose * self.limits.edge_penalty
                found.append((score - penalty, span, term, not _extends(span.sound, term.sound)))
        return found

    def correct(self, text: str) -> Correction:
        """``text`` with every span that sounds like a stored value replaced by the value as stored, and the
        values other spans came close to (``Correction.near``)."""
        if not self.terms or not text.strip():
            return Correction(text)
        tokens = list(_TOKEN.finditer(text))
        spans = self._spans(tokens)
        chosen: list[tuple[float, _Span, Term]] = []
        close: list[tuple[float, _Span, Term]] = []
        taken: set[int] = set()
        ranked = sorted(self._candidates(spans, self.limits.near_ratio), key=lambda c: (-c[0], -c[1].size))
        for score, span, term, replaceable in ranked:
            needed = self.threshold(max(len(span.coarse), len(term.coarse)))
            if score < needed or not replaceable:
                if score >= needed - self._near_margin:
                    close.append((score, span, term))
                continue
            positions = set(range(span.start, span.start + span.size))
            if positions & taken:
                continue
            taken |= positions
            chosen.append((score, span, term))
        found = {term.text for _, _, term in chosen}
        near: dict[str, None] = {}
        for _, span, term in close:  # best first; spans already matched to a value are not near misses
            if term.text not in found and not set(range(span.start, span.start + span.size)) & taken:
                near.setdefault(term.text, None)
        replacements = []
        out, cursor = [], 0
        for score, span, term in sorted(chosen, key=lambda c: c[1].start):
            begin, end = tokens[span.start].start(), tokens[span.start + span.size - 1].end()
            heard = text[begin:end]
            if heard == term.text or (not term.name and span.key == term.key):
                continue
            out.append(text[cursor:begin] + term.text)
            cursor = end
            replacements.append(Replacement(begin, end, heard, term.text, round(score, 1)))
        out.append(text[cursor:])
        return Correction("".join(out), tuple(replacements), tuple(near))

    def near_misses(self, text: str, limit: int = 5) -> list[str]:
        """Values ``text`` came close to without naming them (``Correction.near``), at most ``limit``."""
        return list(self.correct(text).near[:limit])

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


def _plausible(heard: list[str], value: Term) -> bool:
    """Whether a span may stand for a value: a common word (a lower-case value such as a category) is only
    respelled, never turned into another word or another inflection of itself ("doce" ≠ "doces", "atrasou" ≠
    "atraso"); names may be misheard freely (their similarity decides)."""
    words = value.key.split()
    if value.name:
        return True
    if len(heard) == 1 == len(words):
        return stem(heard[0]) != stem(words[0]) and sound_key(heard[0]) == value.sound
    return True


def _extends(heard: str, value: str, rest: int = 3) -> bool:
    """Whether one phonetic key is the other plus a few more letters at either end: another word built on the
    name ("Curitibanos" is not "Curitiba"), or a longer name than was said ("Tangará" is not "Tangará da Serra")."""
    short, long = sorted((heard, value), key=len)
    return len(long) - len(short) >= rest and (long.startswith(short) or long.endswith(short))


def _loose_edges(heard: list[str], value: Term) -> int:
    """How many of the span's two edge words are function words the value does not start or end with ("de",
    "que"): such a span usually swallowed a word next to the name, but sometimes the word is part of the name
    as misheard ("que cheiraram o bem" for "Quixeramobim", "o Berlândia" for "Uberlândia")."""
    words = value.key.split()
    edges = {0, len(heard) - 1}
    return sum(1 for edge in edges if heard[edge] in STOPWORDS and heard[edge] != words[0 if edge == 0 else -1])


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
            sound = sound_key(key)
            words = len(key.split())
            terms[key] = Term(value, key, sound, words, coarse_key(sound), value[:1].isupper() or words > 1)
        if len(terms) >= limits.max_terms:
            break
    return SpeechVocabulary(name, tuple(terms.values()), schema_words(tables), limits)


def correct_transcript(transcript: Transcript, vocabulary: SpeechVocabulary) -> tuple[Transcript, tuple[str, ...]]:
    """``transcript`` with its text (and each segment's) corrected towards ``vocabulary`` (``heard`` keeps the
    recognised text), and the values its text came close to without naming them (``Correction.near``)."""
    segments = tuple(dataclasses.replace(s, text=vocabulary.correct(s.text).text) for s in transcript.segments)
    correction = vocabulary.correct(transcript.text)
    heard = transcript.heard or transcript.text
    return dataclasses.replace(transcript, text=correction.text, segments=segments, heard=heard), correction.near


def apply_vocabulary(transcript: Transcript, vocabulary: SpeechVocabulary | None) -> Transcript:
    """``transcript`` with its text (and each segment's) corrected towards ``vocabulary``; ``heard`` keeps the
    recognised text. Unchanged when ``vocabulary`` is None."""
    if vocabulary is None:
        return transcript
    return correct_transcript(transcript, vocabulary)[0]
