"""The stable Python surface of restorekit.

```python
import restorekit
model = restorekit.build_model("hinet-0.5x")          # untrained, any registered name
model = restorekit.load_model("HINet-SIDD-1x.pth")    # official HINet weights, eval mode
model = restorekit.load_model("my_run.safetensors", device="cuda")
out = model(x).image                                  # x: float32 (N, C, H, W) in [0, 1]
y = restorekit.restore(model, x, tile="auto", tta=True)   # tiled, x8 self-ensemble
restorekit.denoise_files(["photos/"], "out/", model="aindnet-real")
restorekit.restore_files(["rainy/"], "out/", task="derain")    # hinet-derain; or "deblur"
model.spec                                            # name, kwargs, channels, tile limit...
restorekit.adapt("my_pairs/", "mycam.safetensors", base="aindnet-sn")   # few-shot transfer
restorekit.adapt_to_camera("d800.safetensors", camera="NIKON D800", iso=3200, clean="low_iso/")
restorekit.calibrate("my_pairs/")                     # fit the camera's noise model
```
"""

from restorekit import __all__ as _public
from restorekit.adapt import adapt, adapt_to_camera, calibrate  # noqa: F401
from restorekit.infer import denoise_files, restore, restore_files  # noqa: F401
from restorekit.models import build_model, list_models  # noqa: F401
from restorekit.weights import load_model, read_metadata, save_model  # noqa: F401

__all__ = [name for name in _public if name != "__version__"]  # one list: restorekit.__all__
