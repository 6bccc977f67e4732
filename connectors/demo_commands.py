"""Demo only: a revocation command read back into its words and options, so that each
connector's simulated estate can carry out the very commands the sweep prints
(:meth:`~partner_nhi.contract.Connector.demo_revoke`), never a paraphrase of them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]  # the program, its command groups, the command and positional arguments
    options: dict[str, str | None]  # ``--name value`` and ``--name=value`` by name; a flag's value is None

    def option(self, name: str) -> str:
        """The value of ``--name``; a command without it is not one the estate can carry out."""
        value = self.options.get(name)
        if value is None:
            raise ValueError(f"{' '.join(self.words)}: no value for --{name}")
        return value


def parse_command(argv: Sequence[str], flags: Collection[str] = ()) -> Command:
    """``argv`` as its CLI reads it: ``--name=value``, ``--name value``, or ``--name`` alone when
    ``name`` is one of ``flags``; any other word is positional."""
    words: list[str] = []
    options: dict[str, str | None] = {}
    tokens = iter(argv)
    for token in tokens:
        if not token.startswith("--"):
            words.append(token)
            continue
        name, equals, value = token[2:].partition("=")
        if equals:
            options[name] = value
        elif name in flags:
            options[name] = None
        else:
            following = next(tokens, None)
            if following is None:
                raise ValueError(f"{' '.join(argv)}: --{name} has no value")
            options[name] = following
    return Command(tuple(words), options)


def route(command: Command, routes: Mapping[tuple[str, ...], T]) -> tuple[T, tuple[str, ...]]:
    """The route of the longest command words that begin ``command``, and the positional
    arguments that follow them (``gcloud iam service-accounts disable EMAIL``: ``(EMAIL,)``)."""
    for length in range(len(command.words), 0, -1):
        found = routes.get(command.words[:length])
        if found is not None:
            return found, command.words[length:]
    raise ValueError(f"the simulated estate knows no command {' '.join(command.words)!r}")
