"""The production profiles under deploy/ and how the tests load them: every dagster.yaml goes
through Dagster's own instance-config validation, then each configured class validates its own
config (with env vars resolved), as ``ConfigurableClassData.rehydrate`` does before it builds."""

from __future__ import annotations

import importlib
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from dagster._config import process_config, resolve_to_config_type
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.ref import InstanceRef

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
README = REPO / "README.md"
TOP_LEVEL_YAML = REPO / "dagster.yaml"
INSTANCE_YAMLS = {
    "default": TOP_LEVEL_YAML,
    "postgres": DEPLOY / "postgres" / "dagster.yaml",
    "docker": DEPLOY / "docker" / "dagster.yaml",
    "ecs": DEPLOY / "ecs" / "dagster.yaml",
}
PRODUCTION = ("postgres", "docker", "ecs")

# Dummy values for every variable the instance files read; tests override the database and S3
# ones when they talk to real servers.
DUMMY_ENV = {
    "PVT_DAGSTER_PG_HOST": "127.0.0.1",
    "PVT_DAGSTER_PG_PORT": "5432",
    "PVT_DAGSTER_PG_USER": "dagster",
    "PVT_DAGSTER_PG_PASSWORD": "not-a-secret",
    "PVT_DAGSTER_PG_DB": "dagster",
    "PVT_DAGSTER_S3_BUCKET": "pvt-compute-logs",
    "PVT_DAGSTER_S3_PREFIX": "dagster",
    "PVT_DAGSTER_S3_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "PVT_LEDGER_URL": "postgresql+psycopg://pvt@127.0.0.1:5432/pvt_ledger",
    "PVT_CODE_SERVER_HOST": "code-server",
}

CLASS_SECTIONS = ("storage_data", "run_storage_data", "event_storage_data",
                  "schedule_storage_data", "local_artifact_storage_data", "compute_logs_data",
                  "scheduler_data", "run_coordinator_data", "run_launcher_data")

ENV_REF = re.compile(r"\{\s*env:\s*([A-Z_][A-Z0-9_]*)\s*\}")


def load_yaml(path: Path) -> Any:
    """A YAML file, parsed safely."""
    return yaml.safe_load(path.read_text())


def instance_ref(yaml_path: Path, home: Path) -> InstanceRef:
    """The instance ref Dagster builds from ``yaml_path`` placed in ``home`` as dagster.yaml;
    raises DagsterInvalidConfigError when the file breaks Dagster's instance schema."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(yaml_path, home / "dagster.yaml")
    return InstanceRef.from_dir(str(home))


def configured_classes(ref: InstanceRef) -> dict[str, type]:
    """Each configured section's class, after its config passed the class's own schema with env
    vars resolved; raises DagsterInvalidConfigError naming the failing section."""
    classes: dict[str, type] = {}
    for section in CLASS_SECTIONS:
        data = getattr(ref, section)
        if data is None:
            continue
        klass = getattr(importlib.import_module(data.module_name), data.class_name)
        result = process_config(resolve_to_config_type(klass.config_type()), data.config_dict)
        if not result.success:
            raise DagsterInvalidConfigError(
                f"{section}: {data.module_name}.{data.class_name}", result.errors,
                data.config_dict)
        classes[section] = klass
    return classes


def env_refs(text: str) -> set[str]:
    """Names read as ``{env: NAME}`` in a Dagster YAML file (instance, workspace, Helm values)."""
    return set(ENV_REF.findall(text))


def section(mapping: Mapping[str, Any], *path: str) -> Any:
    """``mapping[path[0]][path[1]]...``."""
    value: Any = mapping
    for key in path:
        value = value[key]
    return value
