"""Errors the user can act on. Each names the place: file, line, field.

- :class:`PartnerNhiError`  base of everything raised on purpose
  - :class:`ConfigError`  bad configuration, registry or arguments (exit code 2)
  - :class:`MalformedRecord`  one record a cloud returned cannot be read; it costs that record,
    not the listing: the engine leaves it out and makes its unit partial, naming record and field
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports this module: keep pydantic out of its start-up
    from pydantic import ValidationError


class PartnerNhiError(Exception):
    """Base of the errors partner-nhi raises on purpose."""


class ConfigError(PartnerNhiError):
    """Bad input: the message names the file, line and field."""

    @classmethod
    def from_validation(cls, exc: ValidationError, prefix: str, source: str = "") -> ConfigError:
        problems = []
        for error in exc.errors():
            location = ".".join([prefix, *(str(p) for p in error["loc"])]).strip(".")
            problems.append(f"{source}{location}: {error['msg']}")
        return cls("\n".join(problems))


class MalformedRecord(PartnerNhiError):
    """A field of a record a cloud API returned is missing or unreadable."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"field {field!r}: {problem}")
        self.field = field
        self.problem = problem
