"""The models shipped in restorekit/assets/models: each loads, is small, and has its card."""

from __future__ import annotations

import pytest
import torch

from restorekit.weights import load_model, read_metadata
from restorekit.weights.checkpoint import BUNDLED_DIR

SHIPPED = sorted(BUNDLED_DIR.glob("*.safetensors"))
CARDS = {"aindnet-sn": "aindnet-real"}  # the SN stage is described on aindnet-real's card


def test_the_four_release_models_are_shipped() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"aindnet-real", "aindnet-sn", "gaussian-color", "gaussian-gray"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_bundled_model_loads_runs_and_is_documented(path) -> None:
    assert path.stat().st_size < 25 * 1024**2
    card = BUNDLED_DIR / f"{CARDS.get(path.stem, path.stem)}.md"
    assert card.is_file(), f"no model card for {path.stem}"
    meta = read_metadata(path)
    assert meta["licence"] and meta["source"]
    tile = meta.get("max_tile")
    if tile is None:  # nothing normalised over the image: a whole photo and a tile agree
        assert meta["kwargs"].get("norm") == "none" and "no tile limit" in card.read_text()
    else:
        assert tile in (192, 256)  # chosen per model on validation data (cards)
        assert f"{tile} px" in card.read_text()  # the card says which tiles it uses
    model = load_model(path.stem)
    channels = meta["kwargs"].get("in_channels", 3)
    x = torch.rand(1, channels, 24, 24)
    with torch.no_grad():
        out = model(x)
    assert out.image.shape == x.shape and torch.isfinite(out.image).all()
