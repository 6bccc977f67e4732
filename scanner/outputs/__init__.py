"""Renderings of a run: the JSON document (the contract), CSV, a terminal table, OCSF."""

from scanner.outputs.document import run_document
from scanner.outputs.render import FORMATS, render

__all__ = ["FORMATS", "render", "run_document"]
