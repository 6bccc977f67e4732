"""The shared moto server fixtures (the demo estate seeds moto's in-process backends: reset them first)."""

from helpers.moto_fixtures import moto, moto_session

__all__ = ["moto", "moto_session"]
