"""Connectors: one package per cloud, each registered in the ``partner_nhi.connectors``
entry-point group of ``pyproject.toml``. They import :mod:`partner_nhi.contract`, never the reverse."""
