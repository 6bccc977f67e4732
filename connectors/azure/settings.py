"""The ``connectors.azure`` section of the configuration."""

from __future__ import annotations

from pydantic import Field

from partner_nhi.connectors.microsoft.settings import MicrosoftSettings


class AzureSettings(MicrosoftSettings):
    third_party_apps: bool = Field(
        default=True,
        description="Report other tenants' apps that hold an Azure role here. When the m365 connector "
        "scans the same tenant in the run, it owns them and this is false unless set (docs/m365.md).",
    )
