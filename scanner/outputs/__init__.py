"""Renderings of a run: the JSON document (the contract), CSV, a terminal table, OCSF."""

from partner_nhi.outputs.document import run_document
from partner_nhi.outputs.render import FORMATS, render

__all__ = ["FORMATS", "render", "run_document"]
