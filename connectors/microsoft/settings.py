"""What the ``connectors.azure`` and ``connectors.m365`` sections share: one tenant, its Graph
and ARM endpoints, the SDK retries, Microsoft's own tenants, and the subscriptions whose role
assignments are read. Each connector's model adds its own keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from partner_nhi.connectors.microsoft.tenants import MICROSOFT_TENANT_IDS
from partner_nhi.contract import origin


class MicrosoftSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str = Field(min_length=1, description="The Entra tenant (the customer's home tenant).")
    subscriptions: list[str] = Field(default_factory=list, description="Subscriptions whose role assignments are read.")
    graph_endpoint: str = Field(
        default="https://graph.microsoft.com", description="Base URL; /v1.0 and /beta are added."
    )
    arm_endpoint: str = "https://management.azure.com"
    max_retries: int = Field(
        default=6, ge=0, le=10, description="SDK retries per request (429, 5xx) before the engine's own."
    )
    microsoft_tenant_ids: list[str] = Field(
        default_factory=lambda: list(MICROSOFT_TENANT_IDS),
        description="Tenants whose apps are Microsoft's first-party apps.",
    )

    @field_validator("subscriptions")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        duplicates = sorted({s for s in value if value.count(s) > 1})
        if duplicates:
            raise ValueError(f"listed more than once: {', '.join(duplicates)}")
        return value

    @field_validator("graph_endpoint", "arm_endpoint")
    @classmethod
    def _http_url(cls, value: str) -> str:
        """A URL every client reads the same way: its origin is where links may be followed."""
        origin(value)
        return value.rstrip("/")
