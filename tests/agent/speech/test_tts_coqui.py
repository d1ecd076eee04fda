"""Opt-in: the Coqui engine on a tiny VITS checkpoint with random weights (no hub, no real voice).

Runs only where coqui-tts is importable (a separate venv with torch; see the README, "Optional: Coqui TTS"):
    /work/coqui-venv/bin/python -m pytest -m coqui tests/agent/speech/test_tts_coqui.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.coqui
pytest.importorskip("TTS", reason="coqui-tts not installed (optional extra [coqui])")


@pytest.fixture(scope="module")
def tiny_vits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    import torch
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    torch.manual_seed(0)
    args = VitsArgs(
        hidden_channels=16,
        hidden_channels_ffn_text_encoder=32,
        num_heads_text_encoder=1,
        num_layers_text_encoder=1,
        num_layers_flow=1,
        num_layers_posterior_encoder=1,
        upsample_initial_channel_decoder=16,
        resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3, 5]],
        use_sdp=False,
        init_discriminator=False,
    )
    characters = CharactersConfig(
        characters_class="TTS.tts.utils.text.characters.Graphemes",
        pad="_",
        eos="",
        bos="",
        blank=None,
        characters="abcdefghijklmnopqrstuvwxyzáàâãéêíóôõúç ",
        punctuations=".,!?;:-",
        phonemes="",
    )
    config = VitsConfig(
        model_args=args,
        use_phonemes=False,
        phoneme_language="pt-br",
        text_cleaner="multilingual_cleaners",
        characters=characters,
        add_blank=False,
    )
    config.audio.sample_rate = 16_000
    folder = tmp_path_factory.mktemp("tiny-vits")
    torch.save({"model": Vits(config).state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder / "model.pth", folder / "config.json"


def test_coqui_engine_speaks_through_our_interface(tiny_vits: tuple[Path, Path], tmp_path: Path) -> None:
    from agent.speech.config import SpeechConfig
    from agent.speech.registry import available_engines, build_synthesizer

    model_path, config_path = tiny_vits
    config = SpeechConfig(models_dir=tmp_path, coqui_model_path=model_path, coqui_config_path=config_path)
    assert available_engines(config)["coqui"] is None
    synthesizer = build_synthesizer(config, "coqui")
    assert synthesizer.name == "coqui"
    assert synthesizer.voices()[0].id == "default"
    chunks = list(synthesizer.synthesize("Olá, São Paulo. Encontrei trinta e dois pedidos."))
    assert len(chunks) >= 2
    for chunk in chunks:
        assert chunk.sample_rate == 16_000
        assert chunk.samples.dtype == np.float32 and chunk.samples.size > 1000
        assert np.isfinite(chunk.samples).all()


def test_coqui_missing_checkpoint_is_reported(tmp_path: Path) -> None:
    from agent.speech.base import ModelMissingError
    from agent.speech.config import SpeechConfig
    from agent.speech.registry import available_engines, build_synthesizer

    config = SpeechConfig(models_dir=tmp_path, coqui_model_path=tmp_path / "nope.pth")
    assert "ausente" in (available_engines(config)["coqui"] or "")
    with pytest.raises(ModelMissingError):
        build_synthesizer(config, "coqui")
