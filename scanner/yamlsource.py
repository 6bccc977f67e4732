"""YAML loading that remembers where every value came from, so errors name file and line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from partner_nhi.errors import ConfigError

Location = tuple[str | int, ...]


class YamlDocument:
    """A parsed YAML file plus the line of every key and list item in it."""

    def __init__(self, path: Path, data: Any, lines: dict[Location, int]) -> None:
        self.path = path
        self.data = data
        self._lines = lines

    @classmethod
    def load(cls, path: Path) -> YamlDocument:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            problem = getattr(exc, "problem", None) or str(exc)
            raise ConfigError(f"{where}: not valid YAML: {problem}") from None
        lines: dict[Location, int] = {}
        if node is not None:
            _index(node, (), lines)
        return cls(path, data, lines)

    def where(self, location: Sequence[str | int]) -> str:
        """``file:line`` of the deepest part of ``location`` that exists in the file."""
        loc = tuple(location)
        while loc and loc not in self._lines:
            loc = loc[:-1]
        line = self._lines.get(loc, 1)
        return f"{self.path}:{line}"

    def error(self, location: Sequence[str | int], message: str) -> str:
        return f"{self.where(location)}: {dotted(location)}: {message}"

    def validation_errors(self, exc: ValidationError) -> list[str]:
        return [self.error(_clean(e["loc"]), e["msg"]) for e in exc.errors()]


def dotted(location: Sequence[str | int]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _clean(loc: Sequence[Any]) -> Location:
    """Drop pydantic's internal tags (e.g. union branch names) from a location."""
    return tuple(p for p in loc if isinstance(p, int) or not str(p).startswith(("function-", "tagged")))


def _index(node: yaml.Node, location: Location, lines: dict[Location, int]) -> None:
    lines.setdefault(location, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*location, str(key.value))
            lines[child] = key.start_mark.line + 1
            _index(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            child = (*location, position)
            lines[child] = item.start_mark.line + 1
            _index(item, child, lines)
