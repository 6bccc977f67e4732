"""Microsoft's own tenants: a service principal whose owning tenant (``appOwnerOrganizationId``)
is one of these is Microsoft's first-party app, part of the platform, never a partner's.

The list is a default; both connectors take ``microsoft_tenant_ids`` to change it.

- ``f8cdef31-a31e-4b4a-93e4-5f571e91255a`` Microsoft Services: most Microsoft 365 and Entra
  service principals (Microsoft Graph, Exchange Online, SharePoint Online, Teams).
- ``72f988bf-86f1-41af-91ab-2d7cd011db47`` Microsoft's corporate tenant (some developer tools).
- ``cdc5aeea-15c5-4db6-b079-fcadd2505dc2`` not named in Microsoft's reference documentation;
  public tools report it as Microsoft's own tenant ("Torus") owning, among others, Microsoft
  Graph Command Line Tools and Graph Explorer (EntraOps' first-party test, the M365-Assess
  allowlist, community lists of Microsoft apps). Remove it from ``microsoft_tenant_ids`` to
  have its apps reported as third-party.
"""

from __future__ import annotations

MICROSOFT_TENANT_IDS = (
    "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "cdc5aeea-15c5-4db6-b079-fcadd2505dc2",
)
