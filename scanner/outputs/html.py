"""HTML and Markdown documents (the audit report, the offboarding sweep) from Jinja2 templates.

The templates ship in the package (``templates/``). Every value reaches the page through
the template engine, which escapes it: HTML with autoescape, so a name such as
``<img src=x onerror=…>`` is text; Markdown through :func:`markdown_text` on every
expression, so a name cannot open a link, an image, a table cell or raw HTML. The HTML is
one self-contained file: inline CSS and SVG, nothing fetched.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, TextIO

from jinja2 import Environment, PackageLoader, StrictUndefined

from partner_nhi import __version__
from partner_nhi.outputs.charts import SEVERITY_COLOURS

# CommonMark backslash-escapes any ASCII punctuation; these can start markup inside a line.
# "://" and "www." are escaped too, or GitHub's renderer turns a URL into a link.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&!#])|(?<=[A-Za-z]):(?=//)|(?<=www)\.", re.IGNORECASE)


class MarkdownBlock(str):
    """Markdown this module built on purpose (a fenced command): written as it is."""


def markdown_text(value: Any) -> Any:
    """Every expression of a Markdown template: text on one line, never markup."""
    if value is None or isinstance(value, MarkdownBlock) or not isinstance(value, str):
        return "" if value is None else value
    flat = " ".join(value.splitlines())
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), flat)


def fenced(command: str, language: str = "sh") -> MarkdownBlock:
    """A code block whose fence is longer than any run of backticks inside it (CommonMark),
    so a quoted name with backticks cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", command)), default=0)
    fence = "`" * max(3, longest + 1)
    return MarkdownBlock(f"{fence}{language}\n{command}\n{fence}")


@cache
def _environment(markdown: bool) -> Environment:
    environment = Environment(
        loader=PackageLoader("partner_nhi.outputs", "templates"),
        autoescape=not markdown,  # noqa: S701 - Markdown is escaped by markdown_text, on every expression
        finalize=markdown_text if markdown else None,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.globals.update(version=__version__, severity_colours=SEVERITY_COLOURS)
    environment.filters["fenced"] = fenced
    environment.filters["when"] = _when
    environment.filters["days"] = duration_text
    return environment


def render(template: str, stream: TextIO, **values: Any) -> None:
    """Render ``template`` (``name.html.jinja`` or ``name.md.jinja``) onto ``stream``."""
    environment = _environment(template.endswith(".md.jinja"))
    for part in environment.get_template(template).generate(**values):
        stream.write(part)


def _when(value: str | None) -> str:
    """An ISO time as a person reads it, to the minute, in UTC."""
    if not value:
        return "-"
    return value[:16].replace("T", " ") + " UTC"


def duration_text(seconds: float | None) -> str:
    """A duration as a person says it: seconds, minutes, hours or days."""
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
