"""The ``connectors.gcp`` section of the config file.

Anonymous mode (no credentials, plain-text gRPC) exists for local emulators only,
so it is refused unless every endpoint is a loopback address: a typo must never
send unauthenticated, unencrypted traffic to a real Google endpoint.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_LOOPBACK_NAMES = {"localhost"}


class RetrySettings(BaseModel):
    """Backoff for throttled and transient API errors (api-core ``Retry`` and the
    Policy Analyzer transport share it)."""

    model_config = ConfigDict(extra="forbid")

    initial: float = Field(default=1.0, gt=0)
    maximum: float = Field(default=30.0, gt=0)
    deadline: float = Field(default=120.0, gt=0)  # seconds for one call, retries included
    attempts: int = Field(default=5, ge=1)  # HTTP attempts per Policy Analyzer request


class GcpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    projects: list[str] = Field(default_factory=list)
    # organizations/N or folders/N: also scan every active project under it
    parent: str | None = Field(default=None, pattern=r"^(organizations|folders)/\d+$")
    organization_domains: list[str] = Field(default_factory=list)
    # the customer's projects that are not scanned: their service accounts are internal
    internal_projects: list[str] = Field(default_factory=list)
    # read the allow policies of the folders and organisation above each project (a partner
    # bound there holds its roles in the project); false: say so, and read only the project's
    inherited_policies: bool = True
    iam_endpoint: str = "iam.googleapis.com:443"
    iam_rest_endpoint: str = "https://iam.googleapis.com"  # workload identity pools: REST only
    resourcemanager_endpoint: str = "https://cloudresourcemanager.googleapis.com"
    policyanalyzer_endpoint: str = "https://policyanalyzer.googleapis.com"
    anonymous: bool = False
    page_size: int = Field(default=100, ge=1, le=1000)
    timeout: float = Field(default=60.0, gt=0)  # seconds per request
    retry: RetrySettings = Field(default_factory=RetrySettings)

    @field_validator("organization_domains")
    @classmethod
    def _lower(cls, domains: list[str]) -> list[str]:
        return [d.lower() for d in domains]

    @model_validator(mode="after")
    def _check(self) -> GcpSettings:
        if not self.projects and not self.parent:
            raise ValueError("give at least one project in 'projects' or a 'parent' to discover")
        if self.anonymous:
            remote = [e for e in self.endpoints() if not is_loopback(e)]
            if remote:
                raise ValueError(
                    "anonymous mode is for local emulators only; non-loopback endpoint(s): " + ", ".join(remote)
                )
        return self

    def endpoints(self) -> list[str]:
        return [self.iam_endpoint, self.iam_rest_endpoint, self.resourcemanager_endpoint, self.policyanalyzer_endpoint]


def is_loopback(endpoint: str) -> bool:
    """True for ``127.0.0.1:50051``, ``http://localhost:8080``, ``[::1]:443``."""
    host = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}").hostname
    if host is None:
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
