"""Start-up stays light: ``partner-nhi --help`` loads the command line, not the engine,
the store, pydantic or a cloud SDK (those load when a command runs). Measured in the
benchmark for time; held here by what gets imported, which does not depend on the machine."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "pydantic",
    "sqlalchemy",
    "alembic",
    "sqlmodel",
    "structlog",
    "boto3",
    "botocore",
    "msgraph",
    "google",
    "httpx",
)


def test_help_imports_nothing_heavy() -> None:
    probe = (
        "import sys, json\n"
        "sys.argv = ['partner-nhi', '--help']\n"
        "from partner_nhi.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stderr))
    assert "Usage: partner-nhi" in done.stdout
    assert loaded & set(HEAVY) == set()
