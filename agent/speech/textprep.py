"""Turn an agent answer (markdown, numbers, SQL) into text a pt-BR voice can read, and split it for streaming.

``prepare_for_speech(text)``: strips markdown, drops code / SQL / tables (the agent summarises them), and
spells out currency, percentages, dates, times, ordinals, ids and numbers (pt-BR and en formats) with
``num2words(lang="pt_BR")``. ``split_for_speech(text)``: sentences/clauses, the first one short so the first
audio comes out quickly. Hand-written on purpose: no maintained pt-BR text normaliser exists on PyPI.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from num2words import num2words

_MONTHS = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
]
_DIGITS = ["zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove"]
_BIG_UNITS = ("milhão", "milhões", "bilhão", "bilhões", "trilhão", "trilhões")

# --- numbers -----------------------------------------------------------------


def _words(n: int) -> str:
    """Cardinal in pt-BR words without the commas num2words puts between groups (they would split clauses).

    num2words stops below 10**18 (OverflowError); a bigger number (a SUM over a big table, a long decimal part)
    is read digit by digit instead of crashing the synthesis."""
    try:
        return num2words(n, lang="pt_BR").replace(",", "")
    except OverflowError:
        return _digits(str(n))


def _feminine(words: str) -> str:
    """'um'/'dois' → 'uma'/'duas' as the last word group (horas, pessoas): 'vinte e um' → 'vinte e uma'."""
    return re.sub(r"\bum$", "uma", re.sub(r"\bdois$", "duas", words))


def _digits(text: str) -> str:
    return " ".join(_DIGITS[int(c)] for c in text if c.isdigit())


def parse_number(token: str) -> tuple[int, str | None]:
    """Split a numeric token in pt-BR ('1.234,56') or en ('1,234.56') format into (integer, decimals digits)."""
    decimal_sep: str | None
    if "," in token and "." in token:
        decimal_sep = "," if token.rfind(",") > token.rfind(".") else "."
    elif "," in token:
        # pt-BR: the comma is the decimal mark, unless it is clearly an en thousands list (1,234,567).
        decimal_sep = None if re.fullmatch(r"\d{1,3}(,\d{3}){2,}", token) else ","
    elif "." in token:
        # pt-BR thousands (1.234 / 1.234.567); otherwise an en decimal (3.14, 0.5).
        decimal_sep = None if re.fullmatch(r"\d{1,3}(\.\d{3})+", token) else "."
    else:
        decimal_sep = None
    if decimal_sep is None:
        return int(re.sub(r"\D", "", token)), None
    whole, _, frac = token.rpartition(decimal_sep)
    return int(re.sub(r"\D", "", whole) or "0"), frac


def number_words(token: str) -> str:
    whole, frac = parse_number(token)
    words = _words(whole)
    if frac:
        stripped = frac.lstrip("0")
        frac_words = " ".join(["zero"] * (len(frac) - len(stripped)) + ([_words(int(stripped))] if stripped else []))
        words += " vírgula " + frac_words
    return words


def _currency(whole: int, cents: int, singular: str, plural: str, big_suffix: str = "") -> str:
    if big_suffix:  # "R$ 3,5 milhões" was handled by the caller as words
        return f"{big_suffix} de {plural}"
    parts = []
    if whole or not cents:
        unit = singular if whole == 1 else plural
        words = _words(whole)
        joiner = " de " if words.split()[-1] in _BIG_UNITS else " "
        parts.append(words + joiner + unit)
    if cents:
        parts.append(_words(cents) + (" centavo" if cents == 1 else " centavos"))
    return " e ".join(parts)


_NUM = r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_CURRENCIES = {"R$": ("real", "reais"), "US$": ("dólar", "dólares"), "$": ("dólar", "dólares"), "€": ("euro", "euros")}


def _money(match: re.Match[str]) -> str:
    sign = "menos " if match["sign"] or match["sign2"] else ""
    return sign + _amount(match)


def _amount(match: re.Match[str]) -> str:
    singular, plural = _CURRENCIES[match["cur"]]
    token, scale = match["num"], match["scale"]
    if scale:  # R$ 3,5 milhões / R$ 2 mil
        amount = number_words(token)
        return f"{amount} {scale} de {plural}" if scale != "mil" else f"{amount} mil {plural}"
    whole, frac = parse_number(token)
    cents = int((frac or "0").ljust(2, "0")[:2])
    return _currency(whole, cents, singular, plural)


def _date(day: str, month: str, year: str | None) -> str | None:
    d, m = int(day), int(month)
    if not (1 <= d <= 31 and 1 <= m <= 12):
        return None
    spoken = ("primeiro" if d == 1 else _words(d)) + " de " + _MONTHS[m - 1]
    if year:
        y = int(year) if len(year) == 4 else 2000 + int(year)
        spoken += " de " + _words(y)
    return spoken


def _time(hours: str, minutes: str | None) -> str | None:
    h, m = int(hours), int(minutes or 0)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    spoken = _feminine(_words(h)) + (" hora" if h == 1 else " horas")
    if m:
        spoken += " e " + _words(m) + (" minuto" if m == 1 else " minutos")
    return spoken


def _datetime(day: str, month: str, year: str, hours: str, minutes: str) -> str | None:
    date, time = _date(day, month, year), _time(hours, minutes)
    return f"{date} às {time}" if date and time else None


def _temperature(match: re.Match[str]) -> str:
    degrees = _signed(match["num"])
    unit = "grau" if degrees in ("um", "menos um") else "graus"
    return f"{degrees} {unit} {'Celsius' if match['scale'] == 'C' else 'Fahrenheit'}"


# Units after a number, which voices otherwise spell ("500 ml" → "quinhentos eme éle"): (singular, plural).
_UNITS = {
    "km/h": ("quilômetro por hora", "quilômetros por hora"),
    "km²": ("quilômetro quadrado", "quilômetros quadrados"),
    "m²": ("metro quadrado", "metros quadrados"),
    "m³": ("metro cúbico", "metros cúbicos"),
    "km": ("quilômetro", "quilômetros"),
    "cm": ("centímetro", "centímetros"),
    "mm": ("milímetro", "milímetros"),
    "kg": ("quilo", "quilos"),
    "mg": ("miligrama", "miligramas"),
    "ml": ("mililitro", "mililitros"),
    "mL": ("mililitro", "mililitros"),
    "g": ("grama", "gramas"),
    "m": ("metro", "metros"),
    "l": ("litro", "litros"),
    "L": ("litro", "litros"),
}


def _measure(match: re.Match[str]) -> str:
    amount = _signed(match["num"])
    singular, plural = _UNITS[match["unit"]]
    return f"{amount} {singular if amount in ('um', 'menos um') else plural}"


def _range(first: str, last: str) -> str:
    """'18-25' → 'dezoito a vinte e cinco'; a phone number without its area code ('98765-4321', '3456-7890') digit
    by digit. Years ('2020-2024') and round amounts ('5000-6000') stay ranges."""
    years = all(token.isdigit() and 1000 <= int(token) <= 2999 for token in (first, last))
    round_amounts = first.endswith("00") and last.endswith("00")
    mobile = re.fullmatch(r"9\d{4}", first) is not None
    landline = re.fullmatch(r"\d{4}", first) is not None and not years and not round_amounts
    if re.fullmatch(r"\d{4}", last) and (mobile or landline):
        return f"{_digits(first)} {_digits(last)}"
    return f"{number_words(first)} a {number_words(last)}"


def _ordinal(match: re.Match[str]) -> str:
    words = num2words(int(match["n"]), lang="pt_BR", to="ordinal").replace(",", "")
    if match["g"] in "ªa":
        words = " ".join(w[:-1] + "a" if w.endswith("o") else w for w in words.split())
    return words


def _sub_or_keep(pattern: str, fn: Callable[[re.Match[str]], str | None], flags: int = 0) -> Callable[[str], str]:
    compiled = re.compile(pattern, flags)

    def apply(text: str) -> str:
        return compiled.sub(lambda m: fn(m) or m.group(0), text)

    return apply


_NUMBER_RULES: tuple[Callable[[str], str], ...] = (
    # ids read digit by digit: CPF, CNPJ, CEP, phone numbers, long digit runs
    _sub_or_keep(r"\b\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}\b", lambda m: _digits(m.group(0))),
    _sub_or_keep(r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b", lambda m: _digits(m.group(0))),
    _sub_or_keep(r"\b\d{5}-\d{3}\b", lambda m: _digits(m.group(0))),
    _sub_or_keep(r"\(?\b\d{2}\)?\s?9?\d{4}-\d{4}\b", lambda m: _digits(m.group(0))),
    _sub_or_keep(r"\b\d{11,}\b", lambda m: _digits(m.group(0))),
    # dates and times (ISO timestamps as databases print them: 2026-12-05T14:30:00.123+00:00)
    _sub_or_keep(
        r"\b(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?(?![\w:])",
        lambda m: _datetime(m[3], m[2], m[1], m[4], m[5]),
    ),
    _sub_or_keep(r"\b(\d{4})-(\d{2})-(\d{2})\b", lambda m: _date(m[3], m[2], m[1])),
    _sub_or_keep(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b", lambda m: _date(m[1], m[2], m[3])),
    _sub_or_keep(r"\b(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\b", lambda m: _time(m[1], m[2])),
    _sub_or_keep(r"\b(\d{1,2})h(\d{2})?\b", lambda m: _time(m[1], m[2])),
    # money, percentages, ordinals
    _sub_or_keep(
        rf"(?:(?<![\w-])(?P<sign>-)\s?)?(?P<cur>R\$|US\$|\$|€)\s?(?P<sign2>-)?(?P<num>{_NUM})"
        r"(?:\s(?P<scale>mil|milhão|milhões|bilhão|bilhões)\b)?",
        _money,
    ),
    _sub_or_keep(rf"(?P<num>-?(?:{_NUM}))\s?%", lambda m: _signed(m["num"]) + " por cento"),
    _sub_or_keep(rf"(?<![\w-])(?P<num>-?(?:{_NUM}))\s?°\s?(?P<scale>[CF])\b", _temperature),
    _sub_or_keep(rf"(?<![\w-])(?P<num>-?(?:{_NUM}))\s?(?P<unit>{'|'.join(_UNITS)})(?![\w²³/])", _measure),
    _sub_or_keep(r"\b(?P<n>\d+)\s?(?P<g>[ºª°]|\.[oa](?=\s))", _ordinal),
    _sub_or_keep(r"\bn[º°]\s?", lambda m: "número "),
    # a range or a score: "2020-2024", "18-25 anos", "3-2" (voices ran the two numbers together)
    _sub_or_keep(rf"(?<![\w.,-])(?P<a>{_NUM})-(?P<b>{_NUM})(?![\w-])", lambda m: _range(m["a"], m["b"])),
    # any other number (keeps a minus sign only when it is not a hyphen between words)
    _sub_or_keep(rf"(?<![\w-])(?P<num>-?(?:{_NUM}))(?![\w])", lambda m: _signed(m["num"])),
    _sub_or_keep(r"\d+", lambda m: _words(int(m.group(0)))),  # digits glued to letters: "3x", "A4"
)


def _signed(token: str) -> str:
    return ("menos " + number_words(token[1:])) if token.startswith("-") else number_words(token)


def spell_numbers(text: str) -> str:
    for rule in _NUMBER_RULES:
        text = rule(text)
    return text


# --- markdown, code, SQL -------------------------------------------------------

_SQL_SENTENCE = re.compile(
    r"\bselect\b[\s\S]*\bfrom\b|^\s*(with\s+\w+\s+as\s*\(|insert\s+into|update\s+\w+\s+set|delete\s+from|"
    r"(create|drop|alter)\s+(table|view|index))",
    re.IGNORECASE,
)
_SYMBOLS = {"&": " e ", "+": " mais ", "=": " igual a ", "~": " ", "|": " ", "*": " ", "#": " ", "_": " ", "\\": " "}


def strip_markdown(text: str) -> str:
    text = re.sub(r"^\s*(```|~~~).*?^\s*\1[^\n]*$", " ", text, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"^\s*(```|~~~).*\Z", " ", text, flags=re.MULTILINE | re.DOTALL)  # unclosed fence
    text = re.sub(r"(?:^[ \t]*\|.*\|?[ \t]*(?:\n|$)){2,}", "\n", text, flags=re.MULTILINE)  # markdown tables
    text = re.sub(r"`[^`\n]*`", " ", text)  # inline code
    text = re.sub(r"<[^>\n]+>", " ", text)  # html tags
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links → their text
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"^\s*([-*_])(\s*\1){2,}\s*$", "\n", text, flags=re.MULTILINE)  # horizontal rules
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"\1", text)
    lines = []
    for line in text.splitlines():
        line = re.sub(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+•]\s+|\d{1,3}[.)]\s+)", "", line).strip()
        if line:
            lines.append(line if re.search(r"[.!?:;,]$", line) else line + ".")
    return " ".join(lines)


def _split_sentences(text: str) -> list[str]:
    # split after . ! ? (not inside numbers like 1.234 or abbreviations followed by lowercase)
    return [s.strip() for s in re.split(r"(?<=[.!?…])\s+(?=\S)", text) if s.strip()]


def drop_sql(text: str) -> str:
    return " ".join(s for s in _split_sentences(text) if not _SQL_SENTENCE.search(s))


# Emoji and pictographs (with their joiners, variation selectors, skin tones, flags and keycaps): espeak-ng, which
# also phonemizes for Kokoro, reads them by name ("✅" → "marca de seleção branca", "😀" → "rosto sorridente").
_PICTOGRAPHS = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u2190-\u21ff\u25a0-\u25ff"
    "\ufe0e\ufe0f\u200d\u20e3\U000e0020-\U000e007f]"
)


# Scripts a pt-BR voice cannot read: espeak-ng names each character instead ("Москва" → "cirílico M, cirílico
# o, ...", "北京" → "letra chinesa, letra chinesa"; ~14 s of audio for one short clause). A name stored in one of
# them is skipped. Greek stays: espeak-ng reads it ("Δ" → "delta", "π" → "pi").
_UNREADABLE_SCRIPTS = re.compile(
    "[\u0400-\u052f\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u0900-\u0dff\u0e00-\u0e7f\u1100-\u11ff"
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]+"
)


def prepare_for_speech(text: str) -> str:
    """Markdown answer → plain pt-BR sentences with every number spelled out; '' when nothing is speakable."""
    text = _UNREADABLE_SCRIPTS.sub(" ", _PICTOGRAPHS.sub(" ", text))
    text = drop_sql(strip_markdown(text))
    text = re.sub(r"(?<=[^\W\d_])-(?=\d)", " ", text)  # "pedido-123" → "pedido 123"
    text = spell_numbers(text)
    for symbol, spoken in _SYMBOLS.items():
        text = text.replace(symbol, spoken)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    text = re.sub(r"([.,;:!?])\1+", r"\1", text)
    text = re.sub(r"\s{2,}", " ", text).strip()
    return "" if not re.search(r"\w", text) else text


# --- splitting for streaming ----------------------------------------------------


def _split_long(sentence: str, limit: int) -> list[str]:
    """Split at clause marks (, ; :) then at spaces, keeping pieces ≤ limit chars where possible."""
    if len(sentence) <= limit:
        return [sentence]
    pieces, current = [], ""
    for clause in re.split(r"(?<=[,;:])\s+", sentence):
        if current and len(current) + 1 + len(clause) > limit:
            pieces.append(current)
            current = clause
        else:
            current = f"{current} {clause}".strip()
    pieces.append(current)
    out = []
    for piece in pieces:
        while len(piece) > limit:
            cut = piece.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            out.append(piece[:cut].strip())
            piece = piece[cut:].strip()
        if piece:
            out.append(piece)
    return out


# Words a phrase may start with: cutting the first chunk before one of them keeps the prosody natural.
_PHRASE_STARTS = frozenset(
    "em no na nos nas num numa com para pelo pela pelos pelas por que mas porque quando sendo do da dos das de"  # noqa: SIM905
    " entre sobre até desde contra".split()
)


# Spelled-out number words: a cut between two of them ("mil | quatrocentos") would split one number.
_NUMBER_WORDS = frozenset(
    "zero um uma dois duas três quatro cinco seis sete oito nove dez onze doze treze quatorze catorze quinze"  # noqa: SIM905
    " dezesseis dezessete dezoito dezenove vinte trinta quarenta cinquenta sessenta setenta oitenta noventa cem"
    " cento duzentos duzentas trezentos trezentas quatrocentos quatrocentas quinhentos quinhentas seiscentos"
    " seiscentas setecentos setecentas oitocentos oitocentas novecentos novecentas mil milhão milhões bilhão"
    " bilhões trilhão trilhões vírgula".split()
)


# Words a first clause must not end with (articles, prepositions, conjunctions): "de | quarenta" would sound cut.
_FUNCTION_WORDS = frozenset(
    "o a os as um uma uns umas de do da dos das em no na nos nas num numa com por para pelo pela pelos pelas ao aos"  # noqa: SIM905
    " à às e ou que se cerca mais menos quase apenas só".split()
)

SHORT_FIRST_CLAUSE = 30  # a first-clause limit below this asks for a word or two (the voice loop's first audio)


def _before_first_number(sentence: str, limit: int) -> int:
    """In a short first clause, a cut before the first spelled-out number ("Encontrei | quarenta e dois pedidos",
    "Em junho foram | mil e dez pedidos"): the words before it form a phrase (at least 4 characters, not ending
    with an article, a preposition or a conjunction) and the number stays whole in the next clause. 0: none."""
    for match in re.finditer(r"\s(\w+)", sentence):
        start, word = match.start(), match.group(1).lower()
        if start > limit:
            return 0
        if word in _NUMBER_WORDS:
            words = sentence[:start].split()
            last = words[-1].lower() if words else ""
            if start >= 4 and last not in _FUNCTION_WORDS and last not in _NUMBER_WORDS and last[-1:].isalpha():
                return start
            return 0
    return 0


def _first_cut(sentence: str, limit: int) -> int:
    """Where to cut a long first sentence: a clause mark, else a phrase start, else a later clause mark (up to
    twice the limit), else a space that is not inside a spelled-out number ("trinta | e | dois"), the last one
    up to the limit or, when there is none, the first one after it (up to twice the limit).

    A short first clause (limit under ``SHORT_FIRST_CLAUSE``) may be a single word: a clause mark from the 4th
    character on ("Claro,"), else the words before the first number (``_before_first_number``), then as above."""
    short = limit < SHORT_FIRST_CLAUSE
    marks = [m.end() for m in re.finditer(r"[,;:]\s", sentence) if m.end() >= (4 if short else 12)]
    if marks and marks[0] <= limit:
        return max(m for m in marks if m <= limit)
    if short and (cut := _before_first_number(sentence, limit)):
        return cut
    marks = [m for m in marks if m >= 12]
    spaces = [(m.start(), m.group(1).lower()) for m in re.finditer(r"\s(\w+)", sentence) if m.start() >= 12]
    words = [(start, word) for start, word in spaces if start <= limit]
    phrase = [start for start, word in words if word in _PHRASE_STARTS]
    if phrase:
        return phrase[-1]
    if marks and marks[0] <= 2 * limit:
        return marks[0]

    def inside_number(start: int, word: str) -> bool:
        before = sentence[:start].split()
        previous = before[-1].lower() if before else ""
        return word == "e" or previous == "e" or (word in _NUMBER_WORDS and previous in _NUMBER_WORDS)

    plain = [start for start, word in spaces if not inside_number(start, word) and start <= 2 * limit]
    head = [start for start in plain if start <= limit]
    if head:
        return head[-1]
    return plain[0] if plain else 0


FIRST_CLAUSE_CHARS = 45  # the first clause alone is synthesized first: short means its audio starts sooner


def split_for_speech(text: str, *, first_max_chars: int = FIRST_CLAUSE_CHARS, max_chars: int = 220) -> list[str]:
    """Sentences (long ones cut at clauses), the first chunk at most ~``first_max_chars`` for a quick first audio."""
    chunks: list[str] = []
    for sentence in _split_sentences(text):
        chunks.extend(_split_long(sentence, max_chars))
    if chunks and len(chunks[0]) > first_max_chars:
        cut = _first_cut(chunks[0], first_max_chars)
        if cut:
            head, tail = chunks[0][:cut].strip(), chunks[0][cut:].strip()
            chunks[0:1] = [head, tail]
    return [c for c in chunks if re.search(r"\w", c)]


def speech_chunks(text: str) -> list[str]:
    """``split_for_speech(prepare_for_speech(text))``: what a synthesizer should speak, in order."""
    return split_for_speech(prepare_for_speech(text))
