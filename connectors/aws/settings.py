"""The ``connectors.aws`` section of the configuration."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AwsAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^\d{12}$")
    role_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    external_id: str | None = None
    name: str | None = None


class OrganizationDiscovery(BaseModel):
    """Scan every active account of the AWS Organization, assuming ``role_name`` in each."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    role_name: str = "partner-nhi"


class AwsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accounts: list[AwsAccount] = Field(default_factory=list)
    organization: OrganizationDiscovery = Field(default_factory=OrganizationDiscovery)
    internal_account_ids: list[str] = Field(
        default_factory=list, description="Accounts of the customer's own besides those scanned: never external."
    )
    profile: str | None = None
    region: str = "us-east-1"
    endpoint_url: str | None = Field(default=None, description="Defaults to AWS_ENDPOINT_URL, then AWS.")
    max_attempts: int = Field(
        default=8, ge=1, le=20, description="botocore standard retry: attempts per call, the first included"
    )
    credential_report_timeout: float = Field(default=120.0, gt=0)
    credential_report_poll: float = Field(default=2.0, gt=0)
    per_user_concurrency: int = Field(default=4, ge=1, le=16)
