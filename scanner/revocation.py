"""What a human runs to cut a partner's holding off: typed steps, never prose.

partner-nhi itself never changes anything in a cloud. Each connector says, for each kind
of holding, the exact command (an argv, shell-quoted for display so it runs as printed),
where it applies (provider and account/tenant/project as fields, not words in the
command), what it revokes, and whether it can be undone. The sweep lists the steps in
order: deactivate before delete, so a mistake can be reversed while nothing is lost.
"""

from __future__ import annotations

import shlex

from pydantic import BaseModel, ConfigDict, computed_field


class RevocationStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: str  # e.g. "deactivate access key"
    argv: tuple[str, ...]  # the exact command
    provider: str  # aws | azure | gcp | m365
    scope: str  # the account, tenant or project it applies to
    revokes: str  # the credential id, binding, grant or identity it cuts off
    reversible: bool
    document: str | None = None  # e.g. the edited trust policy the command reads (file://trust.json)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def command(self) -> str:
        """The command as one shell line, runnable as printed."""
        return shlex.join(self.argv)
