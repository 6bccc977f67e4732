"""What normalizing one project's payloads needs to know about the whole scan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from partner_nhi.connectors.gcp.coverage import IAM_POLICY


@dataclass(frozen=True)
class ProjectContext:
    project: str  # the project being scanned
    internal_projects: frozenset[str]  # configured or declared internal: the customer's, whatever discovery says
    organization_domains: frozenset[str]  # lower-case; their users and groups are internal
    now: datetime  # aware UTC: decides which keys have expired
    # the projects listed under ``parent``; None when that listing failed (then a project
    # outside ``internal_projects`` cannot be told the customer's or not)
    discovered_projects: frozenset[str] | None = frozenset()
    discovery_unit: str | None = None  # the unit that listing is recorded as; None without a parent
    policy_units: tuple[str, ...] = (IAM_POLICY,)  # every unit listing allow policies over the project

    def is_internal_project(self, project: str) -> bool | None:
        """True for the customer's projects, False for others, None when unknowable this run."""
        if project == self.project or project in self.internal_projects:
            return True
        if self.discovered_projects is None:
            return None
        return project in self.discovered_projects

    def units_telling(self, project: str) -> tuple[str, ...]:
        """The units whose data told whether ``project`` is the customer's (beyond the config)."""
        if self.discovery_unit is None or project == self.project or project in self.internal_projects:
            return ()
        return (self.discovery_unit,)

    def is_internal_domain(self, domain: str) -> bool:
        return domain.lower() in self.organization_domains
