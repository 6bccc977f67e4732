"""Renderings of a run, streamed from the store: the JSON document (the contract), CSV, OCSF
JSON Lines, a terminal table, and the audit evidence (HTML, Markdown). Import the module you
need (``render``, ``audit``, ``sweep``...): this package itself loads nothing, so the command
line can name a column layout without loading the writers."""
