"""The ``connectors.m365`` section of the configuration: ``tenant_id`` and ``graph_endpoint``
(SPEC §6), Microsoft's own tenants, and optionally the subscriptions whose Azure role
assignments third-party apps hold (read through ARM: needs ``partner-nhi[azure]``)."""

from __future__ import annotations

from partner_nhi.connectors.microsoft.settings import MicrosoftSettings


class M365Settings(MicrosoftSettings):
    """Same keys as the shared section; ``subscriptions`` is optional here (default none)."""
