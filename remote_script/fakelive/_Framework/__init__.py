"""The fake _Framework package (see docs/fakelive.md)."""
