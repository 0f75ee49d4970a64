"""Evaluation: named benchmark protocols, baselines side by side, reports and DND export.

```python
from restorekit.eval import GaussianProtocol, build_method, evaluate
report = evaluate([GaussianProtocol("Set12", 25)], [build_method("noisy"), build_method("bm3d")],
                  "out/")
print(report.markdown_table())
```
"""

from restorekit.eval.dnd import box_with_margin, export_dnd
from restorekit.eval.methods import (
    BM3DMethod,
    FFDNetMethod,
    FunctionMethod,
    Method,
    ModelMethod,
    NoisyMethod,
    SigmaMethod,
    build_method,
    estimate_noise_sigma,
)
from restorekit.eval.metric_spec import (
    SIDD_CLAMP01,
    SIDD_HINET_FLOAT,
    MetricSpec,
    Score,
    uint8_metric,
)
from restorekit.eval.protocols import (
    DeblurProtocol,
    DerainProtocol,
    GaussianProtocol,
    PairsProtocol,
    Protocol,
    Sample,
    SiddValProtocol,
    gaussian_noise,
)
from restorekit.eval.report import EvalReport, ImageRecord
from restorekit.eval.runner import EvalSpec, evaluate, run_eval

__all__ = [
    "SIDD_CLAMP01",
    "SIDD_HINET_FLOAT",
    "BM3DMethod",
    "DeblurProtocol",
    "DerainProtocol",
    "EvalReport",
    "EvalSpec",
    "FFDNetMethod",
    "FunctionMethod",
    "GaussianProtocol",
    "ImageRecord",
    "Method",
    "MetricSpec",
    "ModelMethod",
    "NoisyMethod",
    "PairsProtocol",
    "Protocol",
    "Sample",
    "Score",
    "SiddValProtocol",
    "SigmaMethod",
    "box_with_margin",
    "build_method",
    "estimate_noise_sigma",
    "evaluate",
    "export_dnd",
    "gaussian_noise",
    "run_eval",
    "uint8_metric",
]
