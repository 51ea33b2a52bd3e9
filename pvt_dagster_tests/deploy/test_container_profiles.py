"""The Docker, Kubernetes and ECS profiles, checked as far as a machine without a Docker engine or
a cluster allows: the compose file, the Dockerfile and the Helm values parse, agree with each other
and with the instance files, the Helm values fit the chart's keys, and every variable they read is
documented in the README's "Production profiles" section."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pvt_dagster_tests.deploy.profiles import (
    DEPLOY,
    INSTANCE_YAMLS,
    README,
    REPO,
    env_refs,
    load_yaml,
    section,
)

DOCKER = DEPLOY / "docker"
COMPOSE = DOCKER / "docker-compose.yaml"
DOCKERFILE = DOCKER / "Dockerfile"
HELM_VALUES = DEPLOY / "k8s" / "values.yaml"
HELM_SCHEMA = Path(__file__).with_name("helm_values.schema.json")
DAGSTER_SERVICES = ("code-server", "webserver", "daemon")
COMPOSE_REF = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)")


# --- the Dockerfile ----------------------------------------------------------------------------

def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def _instructions(name: str) -> list[str]:
    return [rest for word, rest in _dockerfile() if word == name]


def _docker_env() -> dict[str, str]:
    """Names and values the image sets with ENV."""
    env: dict[str, str] = {}
    for rest in _instructions("ENV"):
        env.update(re.findall(r"([A-Z_][A-Z0-9_]*)=(\S+)", rest))
    return env


def _labels() -> dict[str, str]:
    return dict(re.findall(r'([\w.]+)="([^"]*)"', " ".join(_instructions("LABEL"))))


def _image() -> str:
    """The image's name:tag, from its OCI labels."""
    labels = _labels()
    prefix = "org.opencontainers.image"
    return f"{labels[f'{prefix}.title']}:{labels[f'{prefix}.version']}"


def test_dockerfile_is_pinned_non_root_with_gpg_and_no_secrets() -> None:
    """A pinned Python 3.11 slim base, gpg installed, a numeric non-root user, port 4000, and no
    secret-looking ENV or ARG."""
    (base,) = _instructions("FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), base
    assert any("gnupg" in run.split() for run in _instructions("RUN"))
    (user,) = _instructions("USER")
    assert re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", user), user
    assert _instructions("EXPOSE") == ["4000"]
    names = set(_docker_env()) | {arg.split("=")[0] for arg in _instructions("ARG")}
    assert not {n for n in names if re.search(r"PASSWORD|SECRET|TOKEN|_KEY", n)}
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert _labels()["org.opencontainers.image.version"] == version


def test_dockerfile_copies_only_what_exists_and_the_context_lets_through() -> None:
    """Every COPY source exists, the instance profile it bakes in exists, the extras it installs
    are defined, and its .dockerignore re-includes exactly those paths (never .demo/)."""
    args = dict(arg.split("=", 1) for arg in _instructions("ARG"))
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text().split()
    included = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert ignore[ignore.index("*") if "*" in ignore else -1] == "*", "start from nothing"
    for rest in _instructions("COPY"):
        *sources, _target = rest.split()
        for source in sources:
            path = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], source)
            assert (REPO / path).exists(), path
            assert path.split("/")[0] in included, path
    assert ".demo" not in included
    extras = set(args["PVT_EXTRAS"].split(","))
    defined = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert extras == {"postgres", "docker", "k8s", "aws"} and extras <= set(defined)


# --- the compose file --------------------------------------------------------------------------

def _compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)


def _service_env(name: str) -> dict[str, str]:
    env = _compose()["services"][name].get("environment", {})
    assert isinstance(env, dict), f"{name}: environment as a mapping"
    return env


def test_compose_runs_the_four_services_with_the_expected_commands() -> None:
    """PostgreSQL, the code server as a gRPC server (the image's own command), the webserver and
    the daemon on the baked-in workspace."""
    services = _compose()["services"]
    assert set(services) == {"postgres", *DAGSTER_SERVICES}
    (cmd,) = _instructions("CMD")
    assert services["code-server"]["command"] == json.loads(cmd)
    assert services["code-server"]["command"][:3] == ["dagster", "code-server", "start"]
    workspace = f"{_docker_env()['DAGSTER_HOME']}/workspace.yaml"
    assert services["webserver"]["command"][0] == "dagster-webserver"
    assert services["daemon"]["command"][:2] == ["dagster-daemon", "run"]
    for name in ("webserver", "daemon"):
        command = services[name]["command"]
        assert command[command.index("-w") + 1] == workspace
        assert services[name]["depends_on"]["code-server"] == {"condition": "service_healthy"}
    assert "grpc-health-check" in services["code-server"]["healthcheck"]["test"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in services["daemon"]["volumes"]


def test_image_names_agree_between_dockerfile_compose_and_helm() -> None:
    """One image everywhere: the Dockerfile's name and version, compose's default image for every
    Dagster service and for the runs it launches, and the Helm chart's three images."""
    image = _image()
    services = _compose()["services"]
    for name in DAGSTER_SERVICES:
        assert services[name]["image"] == f"${{PVT_IMAGE:-{image}}}", name
        assert services[name]["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert _service_env("code-server")["DAGSTER_CONTAINER_IMAGE"] == f"${{PVT_IMAGE:-{image}}}"
    values = load_yaml(HELM_VALUES)
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    for where in (deployment["image"], values["dagsterWebserver"]["image"],
                  values["dagsterDaemon"]["image"]):
        assert f"{where['repository']}:{where['tag']}" == image


def test_the_code_location_is_served_the_same_way_everywhere() -> None:
    """Port 4000 and module pvt_dagster.definitions in the Dockerfile, compose, the workspace
    and the Helm user deployment."""
    command = _compose()["services"]["code-server"]["command"]
    assert command[command.index("-p") + 1] == "4000"
    module = command[command.index("-m") + 1]
    assert module == "pvt_dagster.definitions"
    (server,) = load_yaml(DOCKER / "workspace.yaml")["load_from"]
    assert server["grpc_server"]["port"] == 4000
    assert server["grpc_server"]["location_name"] == command[command.index("--location-name") + 1]
    (deployment,) = load_yaml(HELM_VALUES)["dagster-user-deployments"]["deployments"]
    assert deployment["port"] == 4000
    args = deployment["dagsterApiGrpcArgs"]
    assert args[args.index("-m") + 1] == module


def test_docker_launcher_matches_the_compose_file() -> None:
    """Runs join compose's network, mount nothing but the config-and-secrets volume read-only,
    and get only variables the daemon has; every variable the instance and the workspace read is
    set for every Dagster service."""
    compose = _compose()
    launcher = section(load_yaml(INSTANCE_YAMLS["docker"]), "run_launcher", "config")
    assert launcher["network"] == compose["networks"]["pvt-dagster"]["name"]
    named = {spec["name"]: key for key, spec in compose["volumes"].items() if spec}
    for volume in launcher["container_kwargs"]["volumes"]:
        source, target, mode = volume.split(":")
        assert mode == "ro" and source in named
        assert f"{named[source]}:{target}:ro" in compose["services"]["code-server"]["volumes"]
    assert set(launcher["env_vars"]) <= set(_service_env("daemon"))
    needed = env_refs(INSTANCE_YAMLS["docker"].read_text())
    needed |= env_refs((DOCKER / "workspace.yaml").read_text())
    for name in DAGSTER_SERVICES:
        assert needed <= set(_service_env(name)), (name, needed - set(_service_env(name)))


# --- the Helm values ---------------------------------------------------------------------------

def _helm_errors(values: Any) -> list[str]:
    schema = json.loads(HELM_SCHEMA.read_text())
    return [f"{list(e.path)}: {e.message}"
            for e in jsonschema.Draft7Validator(schema).iter_errors(values)]


def test_helm_values_fit_the_charts_keys() -> None:
    """Every key of deploy/k8s/values.yaml is one the chart defines, with the chart's type."""
    jsonschema.Draft7Validator.check_schema(json.loads(HELM_SCHEMA.read_text()))
    assert _helm_errors(load_yaml(HELM_VALUES)) == []


@pytest.mark.parametrize(("path", "key", "value"), [
    (("dagster-user-deployments", "deployments", 0), "dagsterApiGrpcArg", ["-m", "x"]),
    (("dagsterDaemon", "runMonitoring"), "startTimeout", 300),
    (("dagsterDaemon", "runCoordinator", "config", "queuedRunCoordinator"), "maxConcurentRuns", 1),
    (("dagster-user-deployments", "deployments", 0, "image"), "tag", 1.1),
])
def test_helm_values_with_a_wrong_key_or_type_are_refused(path: tuple[Any, ...], key: str,
                                                          value: Any) -> None:
    """A misspelt key fails the check, and so does an image tag such as 1.10 that YAML reads as
    the number 1.1."""
    values = load_yaml(HELM_VALUES)
    section(values, *path)[key] = value
    assert _helm_errors(values)


def test_helm_instance_settings_match_the_instance_files() -> None:
    """The chart's instance has the same queue limits, compute log variables, PostgreSQL driver
    and monitoring as the dagster.yaml profiles."""
    values = load_yaml(HELM_VALUES)
    base = load_yaml(INSTANCE_YAMLS["postgres"])
    queue = section(values, "dagsterDaemon", "runCoordinator", "config", "queuedRunCoordinator")
    assert queue["tagConcurrencyLimits"] == base["concurrency"]["runs"]["tag_concurrency_limits"]
    assert queue["dequeueIntervalSeconds"] == \
        base["run_coordinator"]["config"]["dequeue_interval_seconds"]
    s3 = section(values, "computeLogManager", "config", "s3ComputeLogManager")
    logs = base["compute_logs"]["config"]
    assert (s3["bucket"], s3["prefix"], s3["endpointUrl"]) == (
        logs["bucket"], logs["prefix"], logs["endpoint_url"])
    assert values["postgresql"]["postgresqlScheme"] == \
        base["storage"]["postgres"]["postgres_db"]["scheme"]
    monitoring = section(values, "dagsterDaemon", "runMonitoring")
    assert monitoring["enabled"] is True and monitoring["maxResumeRunAttempts"] >= 1
    assert values["dagsterDaemon"]["runRetries"] == {"enabled": False}
    assert values["telemetry"] == {"enabled": False}
    assert values["additionalInstanceConfig"]["nux"] == {"enabled": False}


# --- the README --------------------------------------------------------------------------------

def _readme_section() -> str:
    text = README.read_text()
    start = text.index("\n## Production profiles")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _variables() -> set[str]:
    """Every variable the profiles read or set for the product: compose ${...} references and
    service environments, {env: ...} in the instance files, workspace and Helm values, the
    launchers' env_vars, and the image's own PVT_/DAGSTER_ variables."""
    names = set(COMPOSE_REF.findall(COMPOSE.read_text()))
    for service in DAGSTER_SERVICES:
        names |= set(_service_env(service))
    for path in [*INSTANCE_YAMLS.values(), DOCKER / "workspace.yaml", HELM_VALUES]:
        names |= env_refs(path.read_text())
    for profile in ("docker", "ecs"):
        names |= set(section(load_yaml(INSTANCE_YAMLS[profile]), "run_launcher", "config",
                             "env_vars"))
    names |= {n for n in _docker_env() if n.startswith(("PVT_", "DAGSTER_"))}
    return names


def test_every_variable_is_documented_in_the_readme() -> None:
    """Each variable appears, as `NAME`, in the README's "Production profiles" section."""
    text = _readme_section()
    names = _variables()
    assert {"PVT_DAGSTER_PG_PASSWORD", "PVT_CONFIG", "PVT_IMAGE"} <= names  # the scan works
    missing = sorted(n for n in names if f"`{n}`" not in text)
    assert missing == []
