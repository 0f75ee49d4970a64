"""The stable Python surface of restorekit.

```python
import restorekit
model = restorekit.build_model("hinet-0.5x")          # untrained, any registered name
model = restorekit.load_model("HINet-SIDD-1x.pth")    # official HINet weights, eval mode
model = restorekit.load_model("my_run.safetensors", device="cuda")
out = model(x).image                                  # x: float32 (N, C, H, W) in [0, 1]
```
"""

from restorekit.models import build_model, list_models
from restorekit.weights import load_model, read_metadata, save_model

__all__ = ["build_model", "list_models", "load_model", "read_metadata", "save_model"]
