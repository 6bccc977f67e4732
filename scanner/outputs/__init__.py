"""Renderings of a run, streamed from the store: the JSON document (the contract), CSV,
OCSF JSON Lines and a terminal table."""

from partner_nhi.outputs.render import FORMATS, write_report

__all__ = ["FORMATS", "write_report"]
