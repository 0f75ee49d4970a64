"""restorekit: real-world image denoising and restoration (AINDNet, HINet and friends)."""

__version__ = "0.1.0"
