"""What normalizing one project's payloads needs to know about the whole scan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ProjectContext:
    project: str  # the project being scanned
    internal_projects: frozenset[str]  # every project of the customer's (scanned or declared)
    organization_domains: frozenset[str]  # lower-case; their users and groups are internal
    now: datetime  # aware UTC: decides which keys have expired

    def is_internal_project(self, project: str) -> bool:
        return project == self.project or project in self.internal_projects

    def is_internal_domain(self, domain: str) -> bool:
        return domain.lower() in self.organization_domains
