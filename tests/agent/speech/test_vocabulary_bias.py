"""The voice eval set, end to end on a small subset: a database's vocabulary makes Whisper get its names right.

Spoken questions about the foreign eval database (bench/data/voice_eval_foreign.sql) are synthesized with Kokoro
and transcribed by the real whisper-base, with and without the connection's vocabulary (read from the database
through the product's path). ``bench/stt_bias.py`` runs the whole set and prints the numbers and the time ratio.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.speech.engines import SpeechEngines
from agent.speech.metrics import corpus_wer, entity_accuracy, entity_found
from bench.stt_bias import eval_vocabulary, load_eval_set, run, synthesize
from tools.context import ToolContext

pytestmark = pytest.mark.slow

SUBSET = (1, 3, 6, 17)  # Pindamonhangaba, Otoniel Brandão/Mercearia Tupinambá, Xique-Xique, Ubirajara/Atacadão


def test_vocabulary_raises_entity_accuracy_without_hurting_wer(
    speech_engines: SpeechEngines, tool_ctx: ToolContext, tmp_path: Path
) -> None:
    eval_set = load_eval_set()
    questions = [eval_set.questions["foreign"][i] for i in SUBSET]
    voice = next(v for v in eval_set.voices if v.engine == "kokoro")
    vocabulary = eval_vocabulary(tool_ctx, eval_set.sources["foreign"], tmp_path)
    scores = run(speech_engines, speech_engines.transcriber(), vocabulary, questions, [voice])
    base, bias = scores["base"], scores["bias"]
    assert entity_accuracy(bias.cases) > entity_accuracy(base.cases)
    assert entity_accuracy(bias.cases) >= 0.75, bias.cases
    assert corpus_wer(bias.pairs) <= corpus_wer(base.pairs)


def test_second_pass_recovers_a_name_the_first_transcript_only_came_close_to(
    speech_engines: SpeechEngines, tool_ctx: ToolContext, tmp_path: Path
) -> None:
    # whisper-base hears "melde já está evendido" for "Mel de Jataí vendido": too far to correct as text, close
    # enough to be a near miss, so the utterance is decoded again prompted with "Mel de Jataí" alone.
    eval_set = load_eval_set()
    question = eval_set.questions["foreign"][2]
    assert "Mel de Jataí" in question.entities
    voice = next(v for v in eval_set.voices if v.engine == "kokoro")
    vocabulary = eval_vocabulary(tool_ctx, eval_set.sources["foreign"], tmp_path)
    samples = synthesize(speech_engines, voice, question.text)
    transcriber = speech_engines.transcriber()
    once = transcriber.transcribe_samples(samples, prefiltered=True, vocabulary=vocabulary, second_pass=False)
    twice = transcriber.transcribe_samples(samples, prefiltered=True, vocabulary=vocabulary)
    assert "Mel de Jataí" in vocabulary.correct(once.heard or "").near
    assert not entity_found("Mel de Jataí", once.text)
    assert entity_found("Mel de Jataí", twice.text), twice
    assert entity_accuracy([(question.entities, twice.text)]) > entity_accuracy([(question.entities, once.text)])
    assert twice.heard == once.heard  # what Whisper heard first is kept for the logs
