"""Writing a report to ``--output``: checked before the work, never half-written.

A report holds a map of the estate, and the command may run as root: a new file is
created 0600 and an existing one keeps its mode; a regular file (or a new path) is replaced
atomically (a temporary file in the same folder, fsync, rename), so a reader or a full
disk never leaves half a report in place of the last one; a device, a pipe or a symlink is
written in place and never replaced by a regular file. ``-`` is standard output.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from partner_nhi.errors import ConfigError, PartnerNhiError

STDOUT = Path("-")


def check_output(path: Path) -> None:
    """Refuse, before anything runs, a path a report cannot be written to (exit 2)."""
    if path == STDOUT:
        return
    if path.is_dir():
        raise ConfigError(f"--output: {path} is a folder")
    folder = path.parent
    if not folder.is_dir():
        raise ConfigError(f"--output: no folder {folder}")
    writable = os.access(path, os.W_OK) if path.exists() else os.access(folder, os.W_OK | os.X_OK)
    if not writable:
        raise ConfigError(f"--output: {path} is not writable")


@contextlib.contextmanager
def output_stream(path: Path) -> Iterator[TextIO]:
    """A text stream onto ``path``, committed only when the block completes."""
    if path == STDOUT:
        yield sys.stdout
        return
    try:
        if path.is_symlink() or (path.exists() and not path.is_file()):
            with path.open("w", encoding="utf-8") as stream:
                yield stream
            return
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o600
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise PartnerNhiError(f"--output: cannot write {path}: {exc.strerror or exc}") from None
