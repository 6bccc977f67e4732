"""Connectors: one package per cloud, each registered in the ``nhi_scan.connectors``
entry-point group of ``pyproject.toml``. They import :mod:`scanner`, never the reverse."""
