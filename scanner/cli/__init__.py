"""The ``partner-nhi`` command line: one module per group of commands.

Exit codes (documented in the README), decided in one place (:mod:`partner_nhi.cli.app`):
0 the scan completed and nothing is at or above ``--fail-on``; 1 findings at or above
``--fail-on`` (``sweep``: something the partner holds is still active); 2 bad input
(config, registry, arguments); 3 the scan was partial or failed, or partner-nhi itself
broke; 130 interrupted. When several apply, the highest wins.

Command modules import the engine, store, SDKs and outputs inside the commands that use
them, so ``partner-nhi --help`` loads only typer and rich (a test holds this).
"""

from partner_nhi.cli import (  # noqa: F401 - each registers its commands
    export,
    history,
    registry,
    report,
    scan,
    suppressions,
    sweep,
)
from partner_nhi.cli.app import app, main

__all__ = ["app", "main"]
