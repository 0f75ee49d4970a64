"""Small building blocks shared by restorekit models (one concept per file).

Only torch is imported here; model files import these helpers, never each other.
"""

from restorekit.models.layers.padding import pad_to_multiple, pad_to_size, round_up

__all__ = ["pad_to_multiple", "pad_to_size", "round_up"]
