"""The allow policies a project inherits: those of every folder above it and of its
organisation. A partner bound on a folder holds its roles in every project below.

``projects.get`` names the project's parent, ``folders.get`` each folder's, up to the
organisation (a project outside any organisation has no parent and inherits nothing).
Each folder's and the organisation's parent and policy are read once per run and shared
by every project under them.
"""

from __future__ import annotations

from functools import partial

from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.coverage import INHERITED_POLICIES
from partner_nhi.connectors.gcp.iam_policy import ReadPolicy, get_iam_policy
from partner_nhi.connectors.gcp.shared import SharedReads
from partner_nhi.contract import MalformedRecord


def inherited_policies(clients: GcpClients, project: str, shared: SharedReads) -> list[ReadPolicy]:
    """The policies above ``project``, nearest first; raises if any cannot be read."""
    found = []
    resource = clients.projects.get_project(
        name=f"projects/{project}", retry=clients.retry, timeout=clients.timeout
    ).parent
    while resource:
        payload = shared.get(f"policy of {resource}", partial(get_iam_policy, clients, resource))
        found.append(ReadPolicy(resource, INHERITED_POLICIES, payload))
        resource = shared.get(f"parent of {resource}", partial(_folder_parent, clients, resource))
    return found


def _folder_parent(clients: GcpClients, resource: str) -> str:
    """A folder's parent (a folder or the organisation); an organisation has none."""
    if not resource.startswith("folders/"):
        return ""
    folder = clients.folders.get_folder(name=resource, retry=clients.retry, timeout=clients.timeout)
    if not folder.parent:  # every folder has one: without it the organisation's policy would be missed
        raise MalformedRecord("parent", f"missing in folder record {resource}")
    parent: str = folder.parent
    return parent
