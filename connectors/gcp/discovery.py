"""Projects under an organisation or folder: the optional ``parent`` setting.

Resource manager lists only direct children, so folders are walked
breadth-first. Only ACTIVE projects are scanned (``list_projects`` leaves out
projects pending deletion unless asked).
"""

from __future__ import annotations

from google.cloud.resourcemanager_v3 import ListFoldersRequest, ListProjectsRequest

from partner_nhi.connectors.gcp.clients import GcpClients


def discover_projects(clients: GcpClients, parent: str) -> list[str]:
    """The ids of every active project under ``parent`` (``organizations/N`` or ``folders/N``)."""
    projects: list[str] = []
    pending = [parent]
    while pending:
        node = pending.pop(0)
        for project in clients.projects.list_projects(
            request=ListProjectsRequest(parent=node), retry=clients.retry, timeout=clients.timeout
        ):
            projects.append(project.project_id)
        for folder in clients.folders.list_folders(
            request=ListFoldersRequest(parent=node), retry=clients.retry, timeout=clients.timeout
        ):
            pending.append(folder.name)
    return projects
