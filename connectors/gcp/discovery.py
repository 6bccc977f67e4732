"""Projects under an organisation or folder: the optional ``parent`` setting.

Resource manager lists only direct children, so folders are walked
breadth-first. Only ACTIVE projects are listed (``list_projects`` leaves out
projects pending deletion unless ``show_deleted`` is set).

A project record without its id cannot be scanned nor told apart, so it fails the
discovery (naming the record and field) rather than dropping one project silently:
the engine then still scans the configured projects and carries the findings of
the discovered ones, with the reason.
"""

from __future__ import annotations

from google.cloud.resourcemanager_v3 import ListFoldersRequest, ListProjectsRequest

from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.contract import MalformedRecord


def discover_projects(clients: GcpClients, parent: str) -> list[str]:
    """The ids of every active project under ``parent`` (``organizations/N`` or ``folders/N``)."""
    projects: list[str] = []
    pending = [parent]
    while pending:
        node = pending.pop(0)
        for project in clients.projects.list_projects(
            request=ListProjectsRequest(parent=node), retry=clients.retry, timeout=clients.timeout
        ):
            if not project.project_id:
                raise MalformedRecord("projectId", f"missing in project record {project.name or '?'!r} under {node}")
            projects.append(project.project_id)
        for folder in clients.folders.list_folders(
            request=ListFoldersRequest(parent=node), retry=clients.retry, timeout=clients.timeout
        ):
            if not folder.name:
                raise MalformedRecord("name", f"missing in a folder record under {node}")
            pending.append(folder.name)
    return projects
