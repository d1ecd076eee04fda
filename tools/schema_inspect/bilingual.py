"""A broad pt<->en word map read from FreeDict dictionaries (dictd format), for cross-language schema linking.

The Debian packages ``dict-freedict-por-eng`` and ``dict-freedict-eng-por`` install
``/usr/share/dictd/freedict-{por-eng,eng-por}.{index,dict.dz}`` (about 26,000 headwords together). Both
directions are merged into one symmetric map between *stems* (``text.stem``), so "voos" finds ``flights`` and
"semestre" finds ``semesters``. Only one-word headwords and one-content-word translations are kept: the map is
for matching identifier words, not for translating sentences.

When no dictionary is found the map is empty and relevance falls back to the built-in lexicon
(``lexicon.py``); ``Dictionary.sources`` says which files were read (shown by diagnostics).
The dictd index and the dictzip data (plain gzip) are read with the standard library: no dictd server.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tools.schema_inspect.text import STOPWORDS, stem, words

log = logging.getLogger(__name__)

DICTIONARIES = ("freedict-por-eng", "freedict-eng-por")
"""Dictionary base names looked up in each folder; the first holds pt headwords, the second en headwords."""

MAX_TRANSLATIONS = 12  # per headword: more senses than this are mostly noise for schema linking
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {ch: i for i, ch in enumerate(_B64)}
_PRONUNCIATION = re.compile(r"/[^/]*/|<[^>]*>")
_SENSE_NUMBER = re.compile(r"^\s*\d+\.\s*")
_EXTRA_STOPWORDS = frozenset({"to", "fazer", "ser", "estar", "ter", "de", "um", "uma"})


def _b64_number(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 64 + _B64_VALUE[ch]
    return value


@dataclass(frozen=True)
class Dictionary:
    """Symmetric stem -> translated stems map (empty when no dictionary files were found)."""

    translations: dict[str, frozenset[str]] = field(default_factory=dict)
    sources: tuple[Path, ...] = ()

    def __len__(self) -> int:
        return len(self.translations)

    def translate(self, word_stem: str) -> frozenset[str]:
        """Stems the dictionary gives as translations of ``word_stem`` (either direction)."""
        return self.translations.get(word_stem, frozenset())


EMPTY = Dictionary()


def _content_stem(phrase: str) -> str | None:
    """The stem of a phrase with exactly one content word ("o cão" -> "cao"), else None."""
    content = [w for w in words(phrase) if w not in STOPWORDS and w not in _EXTRA_STOPWORDS and not w.isdigit()]
    if len(content) != 1 or len(content[0]) < 3:
        return None
    return stem(content[0])


def _entries(index: Path, data: Path) -> Iterator[tuple[str, list[str]]]:
    """(headword, translations) of one dictd dictionary."""
    raw = gzip.decompress(data.read_bytes()) if data.suffix == ".dz" else data.read_bytes()
    for line in index.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or parts[0].startswith("00database"):
            continue
        start, length = _b64_number(parts[1]), _b64_number(parts[2])
        body = raw[start : start + length].decode("utf-8", errors="replace").split("\n")[1:]
        senses: list[str] = []
        for sense_line in body:
            cleaned = _SENSE_NUMBER.sub("", _PRONUNCIATION.sub("", sense_line))
            senses += [s.strip() for s in re.split(r"[,;]", cleaned) if s.strip()]
        yield parts[0], senses


def _files(dirs: Iterable[Path]) -> list[tuple[Path, Path]]:
    found: list[tuple[Path, Path]] = []
    for folder in dirs:
        for name in DICTIONARIES:
            index = folder / f"{name}.index"
            data = next((p for p in (folder / f"{name}.dict.dz", folder / f"{name}.dict") if p.is_file()), None)
            if index.is_file() and data is not None:
                found.append((index, data))
    return found


def _parse(files: list[tuple[Path, Path]]) -> Dictionary:
    pairs: dict[str, set[str]] = {}
    sources: list[Path] = []
    for index, data in files:
        try:
            entries = list(_entries(index, data))
        except (OSError, EOFError, ValueError, KeyError) as error:
            log.warning("dictionary %s unreadable (%s); skipped", index, error)
            continue
        sources.append(index)
        for headword, senses in entries:
            source = _content_stem(headword)
            if source is None:
                continue
            targets = [t for t in (_content_stem(s) for s in senses[:MAX_TRANSLATIONS]) if t and t != source]
            for target in targets:
                pairs.setdefault(source, set()).add(target)
                pairs.setdefault(target, set()).add(source)
    return Dictionary({k: frozenset(v) for k, v in pairs.items()}, tuple(sources))


_CACHE: dict[tuple[Path, ...], Dictionary] = {}
_LOCK = threading.Lock()


def load_dictionary(dirs: Iterable[Path]) -> Dictionary:
    """The merged dictionary of the FreeDict files found in ``dirs`` (read once per process and folder list)."""
    key = tuple(Path(d) for d in dirs)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is None:
            files = _files(key)
            cached = _parse(files) if files else EMPTY
            if not files:
                log.info("no FreeDict pt<->en dictionary in %s; using the built-in lexicon only", list(key))
            _CACHE[key] = cached
        return cached
