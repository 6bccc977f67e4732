"""The ``connectors.gcp`` section of the config file.

Anonymous mode (no credentials, plain-text gRPC) exists for local emulators only,
so it is refused unless every endpoint is provably a loopback address as its client
reads it (:mod:`partner_nhi.endpoints`): a typo, or a URL that one parser reads as
loopback and the client as another host, must never send unauthenticated,
unencrypted traffic away from this machine. Every endpoint is read that way, in
any mode: its origin is the only one the REST clients send to.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from partner_nhi.contract import address_host, address_loopback_refusal, loopback_refusal, origin


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

    @field_validator("iam_endpoint")
    @classmethod
    def _grpc_target(cls, target: str) -> str:
        address_host(target)
        return target

    @field_validator("iam_rest_endpoint", "resourcemanager_endpoint", "policyanalyzer_endpoint")
    @classmethod
    def _http_url(cls, url: str) -> str:
        origin(url)
        return url

    @model_validator(mode="after")
    def _check(self) -> GcpSettings:
        if not self.projects and not self.parent:
            raise ValueError("give at least one project in 'projects' or a 'parent' to discover")
        if self.anonymous:
            refusals = self._loopback_refusals()
            if refusals:
                raise ValueError(
                    "anonymous mode is for local emulators only; non-loopback endpoint(s): " + "; ".join(refusals)
                )
        return self

    def _loopback_refusals(self) -> list[str]:
        """Each endpoint whose client might connect elsewhere than this machine, and why."""
        rest = (self.iam_rest_endpoint, self.resourcemanager_endpoint, self.policyanalyzer_endpoint)
        found = [(self.iam_endpoint, address_loopback_refusal(self.iam_endpoint))]
        found += [(url, loopback_refusal(url)) for url in rest]
        return [f"{value!r} ({reason})" for value, reason in found if reason is not None]
