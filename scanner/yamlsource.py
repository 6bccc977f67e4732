"""YAML loading that remembers where every value came from, so errors name file and line,
and that a hostile file cannot turn against the machine.

The registry, the configuration and the accepted risks are read by a loader that refuses,
naming file and line, before building anything: a file over a size limit (default 4 MiB,
``PARTNER_NHI_MAX_YAML_BYTES``), bytes that are not UTF-8, any alias (``*name``: no document
of ours needs one, and aliases are how a 400-byte "billion laughs" file asks for gigabytes),
nesting deeper than 64 levels, and a key given twice in one mapping (YAML would keep the last
one silently). Dates stay strings until the models parse them, so a bad date is a field error,
not a crash.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from partner_nhi.errors import ConfigError

Location = tuple[str | int, ...]
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64


class _Refused(Exception):
    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that composes without aliases, past a depth, or with duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
        if self.check_event(yaml.AliasEvent):
            raise _Refused(line, "aliases (*name) are not accepted")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(line, f"nested deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:  # (the stubs misname anchor's type)
        node: yaml.MappingNode = super().compose_mapping_node(anchor)
        seen: dict[object, int] = {}
        for key, _value in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                if key.value in seen:
                    raise _Refused(line, f"key {key.value!r} given twice (first on line {seen[key.value]})")
                seen[key.value] = line
        return node


# Dates stay strings: the models parse them and report a bad one as a field error.
_GuardedLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def max_bytes() -> int:
    value = os.environ.get("PARTNER_NHI_MAX_YAML_BYTES", "")
    return int(value) if value.isdigit() else DEFAULT_MAX_BYTES


class YamlDocument:
    """A parsed YAML file plus the line of every key and list item in it."""

    def __init__(self, path: Path, data: Any, lines: dict[Location, int]) -> None:
        self.path = path
        self.data = data
        self._lines = lines

    @classmethod
    def load(cls, path: Path) -> YamlDocument:
        limit = max_bytes()
        try:
            with path.open("rb") as stream:
                raw = stream.read(limit + 1)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if len(raw) > limit:
            raise ConfigError(f"{path}: larger than {limit} bytes (PARTNER_NHI_MAX_YAML_BYTES raises the limit)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None
        loader = _GuardedLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        except _Refused as exc:
            raise ConfigError(f"{path}:{exc.line}: {exc.problem}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            problem = getattr(exc, "problem", None) or str(exc)
            raise ConfigError(f"{where}: not valid YAML: {problem}") from None
        finally:
            loader.dispose()
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


def json_schema_of(model: type[BaseModel], title: str) -> dict[str, object]:
    """The JSON Schema shipped for editors of one of our YAML files."""
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema


def write_json_schema(schema: dict[str, object], path: Path) -> None:
    path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")


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
