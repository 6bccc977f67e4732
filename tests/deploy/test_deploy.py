"""The deployment files are valid as their tools read them: the Dockerfile by hadolint, the
Kubernetes manifests by the API schemas (offline, strict), and the configuration they mount
by partner-nhi itself. (The image is built and the demo run inside it in CI: .ci/container.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from partner_nhi.config import load_settings
from partner_nhi.registry import load_registry

ROOT = Path(__file__).parents[2]
KUBERNETES = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is installed by the test extra"
    return found


def test_the_dockerfile_passes_hadolint() -> None:
    done = subprocess.run([tool("hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_kubernetes_manifests_validate_strictly() -> None:
    assert {path.name for path in KUBERNETES} >= {"cronjob.yaml", "indexed-job.yaml", "configmap.yaml"}
    done = subprocess.run(
        [tool("kubernetes-validate"), "--strict", *map(str, KUBERNETES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("passed") == sum(len(list(yaml.safe_load_all(p.read_text()))) for p in KUBERNETES)


def test_the_mounted_configuration_is_valid_for_partner_nhi(tmp_path: Path) -> None:
    [config_map] = [
        d
        for d in yaml.safe_load_all((ROOT / "deploy/kubernetes/configmap.yaml").read_text())
        if d["kind"] == "ConfigMap"
    ]
    for name, text in config_map["data"].items():
        (tmp_path / name).write_text(text)
    settings = load_settings(tmp_path / "partner-nhi.yaml")
    assert settings.registry is not None and load_registry(settings.registry).partners


def test_the_indexed_job_passes_its_index_and_one_run_id() -> None:
    job = yaml.safe_load((ROOT / "deploy/kubernetes/indexed-job.yaml").read_text())["spec"]["jobTemplate"]["spec"]
    args = job["template"]["spec"]["containers"][0]["args"]
    assert job["completionMode"] == "Indexed"
    assert args[args.index("--shard") + 1] == f"$(JOB_COMPLETION_INDEX)/{job['completions']}"
    assert args[args.index("--run-id") + 1] == "$(RUN_ID)"


@pytest.mark.parametrize("name", ["task-definition.json", "schedule.json"])
def test_the_ecs_example_is_json(name: str) -> None:
    document = json.loads((ROOT / "deploy" / "ecs" / name).read_text())
    if name == "task-definition.json":
        [container] = document["containerDefinitions"]
        assert container["readonlyRootFilesystem"] is True and container["user"] == "10001:10001"
