"""History across runs: sqlmodel tables on SQLite (default) or PostgreSQL."""

from partner_nhi.store.database import Store
from partner_nhi.store.tables import FindingEventRow, FindingRow, IdentityRow, RunRow, UnitRow

__all__ = ["FindingEventRow", "FindingRow", "IdentityRow", "RunRow", "Store", "UnitRow"]
