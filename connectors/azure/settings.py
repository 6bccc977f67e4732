"""The ``connectors.azure`` section of the configuration."""

from __future__ import annotations

from pydantic import Field

from partner_nhi.connectors.microsoft.settings import MicrosoftSettings


class AzureSettings(MicrosoftSettings):
    third_party_apps: bool = Field(
        default=True,
        description="Report other tenants' apps that hold an Azure role here. Set false when the m365 "
        "connector scans this tenant too: it owns third-party apps (docs/m365.md).",
    )
