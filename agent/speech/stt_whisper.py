"""Speech-to-text with faster-whisper (CTranslate2, int8, CPU), pt-BR.

Each ``WhisperTranscriber`` loads its model once, lazily (``agent.speech.engines`` keeps one per process):
CTranslate2 models accept concurrent ``transcribe`` calls from several threads (requests queue inside the
model's workers).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.speech.audio import STT_RATE, AudioLimits, read_audio, read_pcm16
from agent.speech.base import ModelMissingError, NoSpeechError, RecognitionAbandoned, Segment, Transcript
from agent.speech.nonspeech import heard_no_speech, is_non_speech_text
from agent.speech.vocabulary import SpeechVocabulary, correct_transcript

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

NO_SPEECH = "Não ouvi nada. Fale um pouco mais perto do microfone e tente de novo."
_SILENCE_PEAK = 1e-3  # below this peak amplitude there is nothing to transcribe

_SHORT_MAX_S = 14.0  # utterances up to this long get a short encoder window when prefiltered
_SHORT_MIN_FRAMES = 400  # 4 s: shorter windows hurt accuracy
_MAX_HOTWORD_TOKENS = 200  # faster-whisper's own bound: half the decoder's 448-token context
# The short window's repetition penalty keeps Whisper out of decoding loops (without it, WER on the voice eval set's
# Kokoro clips rose from 0.092 to 0.160 on the demo database, 0.101 to 0.124 on the held-out one), but it also
# penalizes words a question legitimately says twice, and the decoder may then stop early: "Quantos pedidos foram
# feitos em maio na cidade de Campinas? E quantos pedidos foram feitos em maio?" (7.2 s, with a pause and a cough)
# came out as its first half. A transcript this sparse for its audio is re-decoded without the penalty and the
# longer reading kept when it goes on from the first. Continuous speech in the eval set (280 clips, five voices,
# speeds 0.85-1.1) runs at 10.0-17 characters per second of audio (p50 13.0), so it never pays for this.
_CUT_MIN_S = 3.0
_CUT_CHARS_PER_S = 9.0
_REPETITION_PENALTY = 1.2


def resolve_model(stt_model: str, models_dir: Path) -> str:
    """A directory (as given, or under ``models_dir``) → its path. Anything else is a hub name (needs internet)."""
    for candidate in (Path(stt_model).expanduser(), models_dir / stt_model):
        if candidate.is_dir():
            if not (candidate / "model.bin").is_file():
                raise ModelMissingError(
                    f"Pasta do modelo de voz sem model.bin: {candidate}. Rode: vozbd models install"
                )
            return str(candidate)
    if stt_model == "whisper-base" or "/" in stt_model or stt_model.startswith("."):
        raise ModelMissingError(
            f"Modelo de transcrição '{stt_model}' não encontrado em {models_dir}. Rode: vozbd models install"
        )
    log.warning("STT model %r is not a directory: faster-whisper will try to download it from the hub", stt_model)
    return stt_model


def load_model(path: str, threads: int = 0, workers: int = 1) -> WhisperModel:
    """Load the CTranslate2 model at ``path`` (slow: callers keep it)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as error:
        raise ModelMissingError("faster-whisper não está instalado. Rode: pip install 'vozbd[speech]'") from error
    started = time.perf_counter()
    try:
        model = WhisperModel(
            path,
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            num_workers=workers,
            local_files_only=False,
        )
    except (OSError, RuntimeError, ValueError) as error:
        log.error("Could not load STT model %s: %s", path, error)
        raise ModelMissingError(
            f"Não consegui carregar o modelo de transcrição '{path}'. Rode: vozbd models install"
        ) from error
    log.info("Loaded STT model %s in %.2f s", path, time.perf_counter() - started)
    return model


def confidence_of(segments: Iterable[Segment]) -> float:
    """exp of the duration-weighted mean of the segments' avg_logprob, in [0, 1]."""
    weights = [(max(s.end - s.start, 0.01), s.avg_logprob) for s in segments]
    total = sum(w for w, _ in weights)
    if not total:
        return 0.0
    return float(min(1.0, math.exp(sum(w * lp for w, lp in weights) / total)))


class WhisperTranscriber:
    """``Transcriber`` over faster-whisper; see ``agent.speech.base``."""

    name = "faster-whisper"

    def __init__(
        self,
        model_path: str,
        *,
        threads: int = 0,
        beam_size: int = 5,
        limits: AudioLimits = AudioLimits(),
        short_context: bool = True,
    ) -> None:
        self.short_context = short_context
        # Output cap of the short window, so a decoding loop stops early; names split into many tokens
        # ("Pindamonhangaba" is 6), and 7/s cut one question in three of the voice eval set short.
        self.tokens_per_s = 12.0
        self.model_path = model_path
        self.threads = threads
        self.beam_size = beam_size
        self.limits = limits
        self._model: WhisperModel | None = None
        self._load_lock = threading.Lock()

    @property
    def model(self) -> WhisperModel:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = load_model(self.model_path, self.threads)
        return self._model

    @property
    def is_loaded(self) -> bool:
        """Whether the model is in memory (``warm_up`` or the first transcription loads it)."""
        return self._model is not None

    def warm_up(self) -> None:
        _ = self.model

    def decode(self, audio: bytes | Path | str, *, pcm16_rate: int | None = None) -> np.ndarray:
        if pcm16_rate is not None:
            if not isinstance(audio, bytes | bytearray):
                audio = Path(audio).read_bytes()
            return read_pcm16(bytes(audio), pcm16_rate, self.limits)
        samples, _ = read_audio(audio, self.limits)
        return samples

    def transcribe(
        self,
        audio: bytes | Path | str,
        *,
        pcm16_rate: int | None = None,
        vocabulary: SpeechVocabulary | None = None,
    ) -> Transcript:
        started = time.perf_counter()
        samples = self.decode(audio, pcm16_rate=pcm16_rate)
        return self.transcribe_samples(samples, started=started, vocabulary=vocabulary)

    def transcribe_samples(
        self,
        samples: np.ndarray,
        *,
        started: float | None = None,
        prefiltered: bool = False,
        beam_size: int | None = None,
        vocabulary: SpeechVocabulary | None = None,
        hotwords: str | None = None,
        second_pass: bool = True,
        abandon: Callable[[], bool] | None = None,
    ) -> Transcript:
        """Transcribe mono float32 samples at 16 kHz.

        ``prefiltered``: the audio is one utterance already trimmed by a VAD (the voice loop): no second VAD pass,
        no timestamps, and, when it is short, a short encoder window (see ``_encode_short``).
        ``beam_size``: this call's beam (None: the transcriber's; the voice loop decodes greedily, 1).
        ``vocabulary``: a database's names to recognise exactly: the transcript is corrected towards them
        (``agent.speech.vocabulary``; adds a few milliseconds). When a span of the transcript came close to a few
        stored values without matching one (``Correction.near``) and ``second_pass`` is on, Whisper decodes the
        utterance again, greedily, prompted with just those values (at most ``VocabularyLimits.prompt_values``),
        reusing the encoder's output on the voice loop's path; the second transcript is kept when it names one of
        them. Most utterances have no near miss and pay nothing (``bench/stt_bias.py``: 1.1-1.2x the STT time).
        ``hotwords``: a prompt for Whisper (e.g. ``SpeechVocabulary.prompt()``); a long one slows decoding down
        (measured ~2-3x with 48 tokens of names, see ``bench/stt_bias.py --prompt``), so the surfaces do not use it.
        ``abandon``: checked after the encoder pass of a short prefiltered utterance and before a second pass; when
        it returns true, ``RecognitionAbandoned`` is raised instead of decoding (the voice loop's speculation that
        went stale: the decoder, about two thirds of the time with beam 5, is not spent on a result nobody wants).
        """
        beam = self.beam_size if beam_size is None else max(1, beam_size)
        started = time.perf_counter() if started is None else started
        transcript, again = self._recognize(samples, started, prefiltered, beam, hotwords, abandon)
        if vocabulary is None:
            return transcript
        corrected, near = correct_transcript(transcript, vocabulary)
        near = near[: vocabulary.limits.prompt_values]
        if second_pass and near and not hotwords:
            if abandon is not None and abandon():
                raise RecognitionAbandoned
            try:
                retried, _ = correct_transcript(again(", ".join(near)), vocabulary)
            except NoSpeechError:
                retried = corrected
            named = [value for value in near if value in retried.text and not echoes_prompt(retried.text, near)]
            log.debug("second pass for %s: %r -> %r (%s)", near, corrected.text, retried.text, named or "kept")
            if named:
                corrected = dataclasses.replace(retried, heard=transcript.text)
        return dataclasses.replace(corrected, processing_s=round(time.perf_counter() - started, 3))

    def _recognize(
        self,
        samples: np.ndarray,
        started: float,
        prefiltered: bool,
        beam: int,
        hotwords: str | None = None,
        abandon: Callable[[], bool] | None = None,
    ) -> tuple[Transcript, Callable[[str], Transcript]]:
        """The transcript, and how to decode the same audio again with a prompt (greedily: a second pass must stay
        cheap; reusing the encoder's output when the utterance is short)."""
        duration = samples.size / STT_RATE
        if samples.size == 0 or float(np.max(np.abs(samples))) < _SILENCE_PEAK:
            raise NoSpeechError(NO_SPEECH)
        if prefiltered and self.short_context and duration <= _SHORT_MAX_S:
            encoded = self._encode_short(samples)
            if abandon is not None and abandon():
                raise RecognitionAbandoned
            transcript = self._decode_short(encoded, duration, started, beam, hotwords)
            if duration >= _CUT_MIN_S and len(transcript.text) / duration < _CUT_CHARS_PER_S and not hotwords:
                if abandon is not None and abandon():
                    raise RecognitionAbandoned
                transcript = self._longer_reading(transcript, encoded, duration, started, beam)
            return (transcript, lambda prompt: self._decode_short(encoded, duration, started, 1, prompt))
        return (
            self._transcribe_full(samples, started, prefiltered, beam, hotwords),
            lambda prompt: self._transcribe_full(samples, started, prefiltered, 1, prompt),
        )

    def _transcribe_full(
        self, samples: np.ndarray, started: float, prefiltered: bool, beam: int, hotwords: str | None
    ) -> Transcript:
        raw_segments, _info = self.model.transcribe(
            samples,
            language="pt",
            beam_size=beam,
            vad_filter=not prefiltered,
            without_timestamps=prefiltered,
            condition_on_previous_text=False,
            hotwords=hotwords,
        )
        # faster-whisper already skips windows by its own no-speech rule; subtitle credits and "[Música]" remain
        segments = tuple(_segment(s) for s in raw_segments if s.text.strip() and not is_non_speech_text(s.text))
        text = " ".join(s.text for s in segments).strip()
        if not text:
            raise NoSpeechError(NO_SPEECH)
        return Transcript(
            text=text,
            language="pt",
            confidence=confidence_of(segments),
            segments=segments,
            duration_s=round(samples.size / STT_RATE, 3),
            processing_s=round(time.perf_counter() - started, 3),
        )

    def _encode_short(self, samples: np.ndarray) -> Any:
        """The encoder's output for a short utterance, the encoder seeing ~2x its length instead of a padded
        30 s window (its cost is proportional to the window: ~10x less work for a 3 s question)."""
        import ctranslate2

        model = self.model
        features = model.feature_extractor(samples)
        frames = features.shape[-1]
        window = min(3000, max(_SHORT_MIN_FRAMES, 2 * frames))
        window += window % 2
        padded = np.full((features.shape[0], window), features.min(), dtype=np.float32)
        padded[:, : min(frames, window)] = features[:, :window]
        return model.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(padded[None])))

    def _longer_reading(
        self, transcript: Transcript, encoded: Any, duration: float, started: float, beam: int
    ) -> Transcript:
        """``transcript`` looks cut short for its audio (see ``_CUT_CHARS_PER_S``): decode again without the
        repetition penalty and keep that reading when it starts with the same words and goes on."""
        try:
            again = self._decode_short(encoded, duration, started, beam, repetition_penalty=1.0)
        except NoSpeechError:
            return transcript
        first, second = _plain_words(transcript.text), _plain_words(again.text)
        if len(second) >= len(first) + 2 and second[: len(first)] == first:
            log.debug("re-decoded a transcript cut short: %r -> %r", transcript.text, again.text)
            return again
        return transcript

    def _decode_short(
        self,
        encoded: Any,
        duration: float,
        started: float,
        beam_size: int,
        hotwords: str | None = None,
        *,
        repetition_penalty: float = _REPETITION_PENALTY,
    ) -> Transcript:
        """Decode a short utterance from ``_encode_short``'s output.

        Short windows make Whisper prone to repeating itself, so the output length is capped from the duration,
        a repetition penalty is applied (``repetition_penalty``; see ``_CUT_CHARS_PER_S`` for when it is lifted)
        and a repeated phrase is collapsed (measured on synthesized pt-BR
        questions: WER 0.038 against 0.026 with the full window, at about a fifth of the time — see
        ``bench/voice_loop.py``). A transcript of no speech (noise, a cough, a hum that opened the VAD: see
        ``agent.speech.nonspeech``) raises ``NoSpeechError``.
        """
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        model = self.model
        tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language="pt")
        # Hotwords go where faster-whisper puts them: after <|startofprev|>, before the task tokens.
        hint = [tokenizer.sot_prev, *tokenizer.encode(" " + hotwords.strip())[:_MAX_HOTWORD_TOKENS]] if hotwords else []
        result = model.model.generate(
            encoded,
            [[*hint, *tokenizer.sot_sequence, tokenizer.no_timestamps]],
            beam_size=beam_size,
            max_length=int(duration * self.tokens_per_s) + 10 + len(hint),  # the prompt counts
            repetition_penalty=repetition_penalty,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        )[0]
        text = collapse_repeats(tokenizer.decode(result.sequences_ids[0]).strip())
        tokens = max(1, len(result.sequences_ids[0]))
        logprob = float(result.scores[0]) / tokens if result.scores else 0.0
        if not text or is_non_speech_text(text) or heard_no_speech(float(result.no_speech_prob), logprob):
            log.debug("no speech: %r (no-speech p=%.2f, logprob %.2f)", text, result.no_speech_prob, logprob)
            raise NoSpeechError(NO_SPEECH)
        segment = Segment(0.0, round(duration, 3), text, logprob)
        return Transcript(
            text=text,
            language="pt",
            confidence=confidence_of([segment]),
            segments=(segment,),
            duration_s=round(duration, 3),
            processing_s=round(time.perf_counter() - started, 3),
        )

    def transcribe_many(self, sources: Iterable[bytes | Path | str]) -> list[Transcript]:
        return [self.transcribe(source) for source in sources]


def echoes_prompt(text: str, values: Iterable[str]) -> bool:
    """Whether ``text`` repeats the prompt instead of transcribing ("o áudio de Jaboticabal, cacau, Licor de
    Jabuticaba"): two prompted values next to each other, as the prompt lists them. Whisper does this on audio
    it cannot make sense of."""
    folded = text.lower()
    values = [v.lower() for v in values]
    return any(f"{a}, {b}" in folded for a in values for b in values if a != b)


_PUNCTUATION = ".,;:!?¿¡…\"'"


def _plain_words(text: str) -> list[str]:
    """Words without case and surrounding punctuation ('Campinas?' and 'campinas' are the same word)."""
    return [w for w in (w.strip(_PUNCTUATION).lower() for w in text.split()) if w]


def collapse_repeats(text: str) -> str:
    """'Qual o total? Qual o total? Qual' → 'Qual o total?' (a decoding loop, not something anyone says). Words are
    compared without case and punctuation: the loop on noisy audio often changes them ('Campinas?' / 'campinas')."""
    words = text.split()
    plain = [w.strip(_PUNCTUATION).lower() for w in words]
    for size in range(2, len(words) // 2 + 1):
        head = plain[:size]
        if plain[size : 2 * size] == head and all(w == head[i % size] for i, w in enumerate(plain[size:], start=0)):
            return " ".join(words[:size])
    return text


def _segment(raw: Any) -> Segment:
    return Segment(
        start=float(raw.start), end=float(raw.end), text=raw.text.strip(), avg_logprob=float(raw.avg_logprob)
    )
