"""History across runs: sqlmodel tables on SQLite (default) or PostgreSQL."""

from scanner.store.database import Store
from scanner.store.tables import FindingEventRow, FindingRow, IdentityRow, RunRow, UnitRow

__all__ = ["FindingEventRow", "FindingRow", "IdentityRow", "RunRow", "Store", "UnitRow"]
