"""Local emulators of the Google APIs the GCP connector calls, used by the tests and
``partner-nhi demo``: IAM admin (gRPC), IAM's workload identity pools, resource manager
and Policy Analyzer (HTTP). :func:`running` starts them all on one :class:`Estate`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from partner_nhi.connectors.gcp.emulator.estate import (
    Account,
    Binding,
    Estate,
    Folder,
    Key,
    Organization,
    Pool,
    Project,
    Provider,
    key_id,
)
from partner_nhi.connectors.gcp.emulator.iam import IamEmulator
from partner_nhi.connectors.gcp.emulator.rest import IamRestEmulator, PolicyAnalyzerEmulator, ResourceManagerEmulator

__all__ = [
    "Account",
    "Binding",
    "Emulators",
    "Estate",
    "Folder",
    "IamEmulator",
    "IamRestEmulator",
    "Key",
    "Organization",
    "PolicyAnalyzerEmulator",
    "Pool",
    "Project",
    "Provider",
    "ResourceManagerEmulator",
    "key_id",
    "running",
]


@dataclass(frozen=True)
class Emulators:
    iam: IamEmulator
    iam_rest: IamRestEmulator
    resource_manager: ResourceManagerEmulator
    policy_analyzer: PolicyAnalyzerEmulator

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """A ``connectors.gcp`` config section pointing at these emulators."""
        estate = self.iam.estate
        return {
            "projects": [p.id for p in estate.projects],
            "iam_endpoint": self.iam.target,
            "iam_rest_endpoint": self.iam_rest.url,
            "resourcemanager_endpoint": self.resource_manager.url,
            "policyanalyzer_endpoint": self.policy_analyzer.url,
            "anonymous": True,
            **overrides,
        }


@contextmanager
def running(estate: Estate) -> Iterator[Emulators]:
    """Start the emulators on ``estate``; stop them on exit."""
    emulators = Emulators(
        IamEmulator(estate), IamRestEmulator(estate), ResourceManagerEmulator(estate), PolicyAnalyzerEmulator(estate)
    )
    with ExitStack() as stack:
        for server in (emulators.iam, emulators.iam_rest, emulators.resource_manager, emulators.policy_analyzer):
            stack.enter_context(server)
        yield emulators
