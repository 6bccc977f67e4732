"""``--format ocsf`` uses the feed's builder: the demo estate's events all validate against
py-ocsf-models (the issue found every one of its 47 rejected), with first-seen times, the
frameworks in ``compliance`` and remediation said of each finding."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from helpers.moto import Moto
from helpers.siem import validate_event
from partner_nhi.cli import app


def test_the_demo_estate_in_ocsf_validates(tmp_path: Path, moto: Moto) -> None:  # moto: its state reset
    out = tmp_path / "demo.ocsf"
    result = CliRunner().invoke(app, ["demo", "--format", "ocsf", "--output", str(out)])  # every cloud
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert {e["cloud"]["provider"] for e in events} == {"AWS", "Azure", "GCP", "Microsoft 365"}
    for event in events:
        validate_event(event)
        assert event["activity_name"] == "Create" and event["finding_info"]["first_seen_time"] > 0
        assert {"OWASP NHI Top 10 (2025)", "NIST CSF 2.0"} == set(event["compliance"]["standards"])
        assert event["resources"][0]["name"] in event["remediation"]["desc"]
    assert len({event["metadata"]["uid"] for event in events}) == len(events)
