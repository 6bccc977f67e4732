"""The package as users install it: one import root, every folder and data file in the wheel,
the arrows of the design (connectors -> the core's contract, never the reverse), and no
trace of the product's old name."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
FOLDERS = {"scanner": "partner_nhi", "connectors": "partner_nhi/connectors"}
DATA_SUFFIXES = (".json", ".yaml", ".mako", ".jinja", "py.typed")
CLOUD_SDKS = ("boto3", "botocore", "moto", "azure", "msgraph", "kiota_abstractions", "google", "grpc")


def tracked(folder: str) -> list[Path]:
    listing = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / line for line in listing.stdout.splitlines()]


def installed_path(path: Path) -> str:
    relative = path.relative_to(ROOT)
    return "/".join([FOLDERS[relative.parts[0]], *relative.parts[1:]])


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("partner_nhi-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_installs_one_top_level_package(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"partner_nhi"}
    [top_level] = [n for n in wheel.namelist() if n.endswith(".dist-info/top_level.txt")]
    assert wheel.read(top_level).decode().split() == ["partner_nhi"]


def test_every_package_folder_and_data_file_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    files = tracked("scanner") + tracked("connectors")
    packages = [p.parent for p in files if p.name == "__init__.py"]
    assert len(packages) > 10
    missing = [installed_path(p / "__init__.py") for p in packages if installed_path(p / "__init__.py") not in names]
    data = [p for p in files if p.name.endswith(DATA_SUFFIXES)]
    assert {"registry.schema.json", "registry.yaml", "script.py.mako", "report.html.jinja", "py.typed"} <= {
        p.name for p in data
    }
    missing += [installed_path(p) for p in data if installed_path(p) not in names]
    assert missing == []


def test_entry_points_use_the_new_name(wheel: zipfile.ZipFile) -> None:
    [entry_points] = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "partner-nhi = partner_nhi.cli:main" in text
    assert "[partner_nhi.connectors]" in text
    assert "aws = partner_nhi.connectors.aws:AwsConnector" in text


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_connectors_use_only_the_cores_contract() -> None:
    offending = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in tracked("connectors")
        if path.suffix == ".py"
        for module in imports_of(path)
        if module.startswith("partner_nhi")
        and module != "partner_nhi.contract"
        and not module.startswith("partner_nhi.connectors")
    }
    assert offending == set()


def test_the_core_knows_no_cloud() -> None:
    offending = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in tracked("scanner")
        if path.suffix == ".py"
        for module in imports_of(path)
        if module.startswith("partner_nhi.connectors") or module.split(".")[0] in CLOUD_SDKS
    }
    assert offending == set()


def test_nothing_of_the_old_name_remains() -> None:
    old = re.compile(r"nhi[-_ ]?scan", re.IGNORECASE)
    listing = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    hits = []
    for name in listing.stdout.splitlines():
        path = ROOT / name
        if path == Path(__file__) or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if old.search(line.replace("partner-nhi scan", "").replace("partner_nhi scan", "")):
                hits.append(f"{name}:{number}: {line.strip()}")
    assert hits == ["README.md:3: (Formerly nhi-scan: that name belongs to another project on the package index.)"]
