"""The shared moto server fixtures."""

from helpers.moto_fixtures import moto, moto_session

__all__ = ["moto", "moto_session"]
