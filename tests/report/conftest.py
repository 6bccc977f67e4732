"""The reports' tests share one stored history with hostile names (tests/helpers/hostile.py)."""

from helpers.hostile import history

__all__ = ["history"]
