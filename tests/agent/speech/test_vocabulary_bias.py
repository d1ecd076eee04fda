"""The voice eval set, end to end on a small subset: a database's vocabulary makes Whisper get its names right.

Spoken questions about the foreign eval database (bench/data/voice_eval_foreign.sql) are synthesized with Kokoro
and transcribed by the real whisper-base, with and without the connection's vocabulary (read from the database
through the product's path). ``bench/stt_bias.py`` runs the whole set and prints the numbers and the time ratio.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.speech.engines import SpeechEngines
from agent.speech.metrics import corpus_wer, entity_accuracy
from bench.stt_bias import eval_vocabulary, load_eval_set, run
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
