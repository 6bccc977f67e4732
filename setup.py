"""One import root: the folder ``scanner/`` installs as ``partner_nhi`` and ``connectors/`` as
``partner_nhi.connectors``. Everything else is in pyproject.toml; this file only maps the folders,
finding every package in them so that a new one needs no edit here."""

from setuptools import find_packages, setup

FOLDERS = {"partner_nhi": "scanner", "partner_nhi.connectors": "connectors"}

setup(
    package_dir=FOLDERS,
    packages=[
        name for root, folder in FOLDERS.items() for name in (root, *(f"{root}.{sub}" for sub in find_packages(folder)))
    ],
)
