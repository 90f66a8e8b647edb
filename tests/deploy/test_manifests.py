"""The deployment files, checked offline: no cluster, no Docker engine, no PostgreSQL
or RabbitMQ.

- Kubernetes: both overlays are rendered with ``kubectl kustomize`` and the properties
  that matter are checked on the parsed resources (hardening of every container,
  probes, replicas, namespaces, references), then every resource is validated against
  the Kubernetes API schemas bundled with ``kubernetes-validate``.
- Compose: ``docker-compose.yml`` is parsed with PyYAML (anchors and merge keys
  resolved) and its services, health checks and start-up order are checked.
- Dockerfiles: base image, non-root user, non-editable installs, what they copy.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
COMPOSE_FILE = REPO / "docker-compose.yml"

DEPLOYED = {"inventory", "pos", "gateway"}
NAMEKO_SERVICES = {"inventory", "pos"}
SKELETONS = ("customers", "worksites", "sav", "notifications")
SECRET_NAME = "bassin-secrets"
SECRET_KEYS = {"BASSIN_DATABASE_URL", "BASSIN_AMQP_URI", "BASSIN_JWT_SECRET"}
OPTIONAL_SECRET_KEYS = {"BASSIN_JWT_PREVIOUS_KEYS"}  # set only during a JWT key rotation
PROD_REPLICAS = {"gateway": 3, "inventory": 2, "pos": 2}
# The oldest Kubernetes minor the manifests target, and the kubectl shipped here.
KUBERNETES_VERSIONS = ("1.30", "1.32")
MIGRATIONS = {
    # command -> the Deployment whose image must run it (its code owns the migrations)
    ("bassin-migrate", "inventory"): "inventory",
    ("bassin-migrate", "pos"): "pos",
    ("bassin-migrate", "gateway", "--package", "bassin_gateway"): "gateway",
    ("bassin-topology",): "gateway",
}
DOCKERFILES = {
    # One Dockerfile for every nameko service, chosen by its SERVICE build argument.
    "inventory": REPO / "services/Dockerfile",
    "pos": REPO / "services/Dockerfile",
    "gateway": REPO / "gateway/Dockerfile",
}


# --- Kubernetes: rendering ---------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """The resources ``kubectl kustomize`` builds from one kustomization."""

    name: str
    resources: tuple[dict[str, Any], ...]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        matches = [r for r in self.of_kind(kind) if r["metadata"]["name"] == name]
        assert len(matches) == 1, f"{self.name}: expected one {kind} {name!r}, found {len(matches)}"
        return matches[0]

    def workloads(self) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}]


@cache
def _kustomize(path: Path) -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    assert kubectl is not None
    result = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"kubectl kustomize {path.relative_to(REPO)} failed:\n{result.stderr}"
    return tuple(document for document in yaml.safe_load_all(result.stdout) if document)


def render(relative: str) -> Rendered:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: it renders the kustomize overlays (kubectl kustomize)")
    return Rendered(relative, _kustomize(K8S / relative))


@pytest.fixture(params=["overlays/dev", "overlays/prod"], ids=["dev", "prod"])
def overlay(request: pytest.FixtureRequest) -> Rendered:
    return render(request.param)


@pytest.fixture
def dev() -> Rendered:
    return render("overlays/dev")


@pytest.fixture
def prod() -> Rendered:
    return render("overlays/prod")


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["metadata"]["labels"]


def all_containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def container(workload: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in all_containers(pod_spec(workload)) if c["name"] == name)


def cpu_cores(quantity: str | int | float) -> float:
    text = str(quantity)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


_MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9}


def memory_bytes(quantity: str | int) -> int:
    match = re.fullmatch(r"(\d+)([A-Za-z]*)", str(quantity))
    assert match, f"unexpected memory quantity {quantity!r}"
    number, unit = match.groups()
    return int(number) * (_MEMORY_UNITS[unit] if unit else 1)


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = selector.get("matchLabels", {})
    return bool(wanted) and all(labels.get(key) == value for key, value in wanted.items())


# --- Kubernetes: what is deployed --------------------------------------------------


def test_the_base_has_no_namespace() -> None:
    base = render("base")
    assert "namespace" not in yaml.safe_load((K8S / "base/kustomization.yaml").read_text())
    assert [r["metadata"]["name"] for r in base.resources if "namespace" in r["metadata"]] == []


def test_only_the_built_services_are_deployed(overlay: Rendered) -> None:
    assert {d["metadata"]["name"] for d in overlay.of_kind("Deployment")} == DEPLOYED
    assert overlay.of_kind("StatefulSet") == [], "PostgreSQL and RabbitMQ are external services"
    for resource in overlay.resources:
        text = yaml.safe_dump(resource)
        for skeleton in SKELETONS:
            assert not re.search(rf"\b{skeleton}\b", text), f"{skeleton} is a skeleton and must not be deployed yet"


def test_every_container_is_hardened(overlay: Rendered) -> None:
    problems: list[str] = []
    for workload in overlay.workloads():
        spec = pod_spec(workload)
        pod_security = spec.get("securityContext", {})
        where = f"{overlay.name} {workload['kind']}/{workload['metadata']['name']}"
        if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: seccompProfile is not RuntimeDefault")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: mounts a service-account token it does not use")
        if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
            problems.append(f"{where}: shares a host namespace")
        empty_dirs = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}

        for item in all_containers(spec):
            at = f"{where} container {item['name']}"
            security = item.get("securityContext", {})
            # A container's own setting wins over the pod's.
            run_as_non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
            run_as_user = security.get("runAsUser", pod_security.get("runAsUser"))

            if run_as_non_root is not True:
                problems.append(f"{at}: runAsNonRoot is not true")
            if run_as_user == 0:
                problems.append(f"{at}: runs as UID 0")
            if security.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{at}: root filesystem is writable")
            if security.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{at}: allowPrivilegeEscalation is not false")
            if security.get("privileged"):
                problems.append(f"{at}: privileged")
            capabilities = security.get("capabilities", {})
            if "ALL" not in capabilities.get("drop", []) or capabilities.get("add"):
                problems.append(f"{at}: does not drop ALL capabilities (or adds some)")

            mounts = {m["mountPath"]: m["name"] for m in item.get("volumeMounts", [])}
            if mounts.get("/tmp") not in empty_dirs:
                problems.append(f"{at}: /tmp is not an emptyDir (the root filesystem is read-only)")

            resources = item.get("resources", {})
            limits, requests = resources.get("limits", {}), resources.get("requests", {})
            if {"cpu", "memory"} - limits.keys() or {"cpu", "memory"} - requests.keys():
                problems.append(f"{at}: needs cpu and memory requests and limits, has {resources}")
                continue
            if cpu_cores(requests["cpu"]) > cpu_cores(limits["cpu"]):
                problems.append(f"{at}: cpu request above its limit")
            if memory_bytes(requests["memory"]) > memory_bytes(limits["memory"]):
                problems.append(f"{at}: memory request above its limit")
            if cpu_cores(limits["cpu"]) > 2 or memory_bytes(limits["memory"]) > 2**30:
                problems.append(f"{at}: limits are not modest ({limits})")
    assert problems == [], "\n".join(problems)


def test_the_gateway_has_honest_probes(overlay: Rendered) -> None:
    gateway = container(overlay.get("Deployment", "gateway"), "gateway")
    ports = {p["name"]: p["containerPort"] for p in gateway["ports"]}
    env = {e["name"]: e.get("value") for e in gateway.get("env", [])}

    readiness, liveness = gateway["readinessProbe"]["httpGet"], gateway["livenessProbe"]["httpGet"]
    assert readiness["path"] == "/readyz"
    assert liveness["path"] == "/healthz"
    for probe in (readiness, liveness):
        assert ports.get(probe["port"], probe["port"]) == 8000
    assert env["BASSIN_GATEWAY_HOST"] == "0.0.0.0"
    assert env["BASSIN_GATEWAY_PORT"] == "8000"


def test_the_gateway_service_reaches_the_gateway_pods(overlay: Rendered) -> None:
    deployment = overlay.get("Deployment", "gateway")
    service = overlay.get("Service", "gateway")
    assert selector_matches({"matchLabels": service["spec"]["selector"]}, pod_labels(deployment))
    named_ports = {p["name"] for p in container(deployment, "gateway")["ports"]}
    for port in service["spec"]["ports"]:
        assert port["targetPort"] in named_ports | {8000}


def test_nameko_workers_have_no_fake_network_probe(overlay: Rendered) -> None:
    """A nameko worker listens on no port: an HTTP or TCP probe could only be faked."""
    for name in NAMEKO_SERVICES:
        worker = container(overlay.get("Deployment", name), name)
        assert "ports" not in worker
        for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
            probe = worker.get(kind, {})
            assert "httpGet" not in probe and "tcpSocket" not in probe and "grpc" not in probe, f"{name} {kind}"


def test_pods_get_time_to_stop_gracefully(overlay: Rendered) -> None:
    rpc_timeout = float(overlay.of_kind("ConfigMap")[0]["data"]["BASSIN_RPC_TIMEOUT"])
    for deployment in overlay.of_kind("Deployment"):
        grace = pod_spec(deployment).get("terminationGracePeriodSeconds", 30)
        assert grace >= 30, deployment["metadata"]["name"]
        assert grace > rpc_timeout, "requests in flight need up to the RPC timeout to finish"
    gateway = container(overlay.get("Deployment", "gateway"), "gateway")
    sleep = int(gateway["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod_spec(overlay.get("Deployment", "gateway"))["terminationGracePeriodSeconds"] >= sleep + rpc_timeout


def test_every_deployment_has_a_disruption_budget(overlay: Rendered) -> None:
    budgets = overlay.of_kind("PodDisruptionBudget")
    for deployment in overlay.of_kind("Deployment"):
        matching = [b for b in budgets if selector_matches(b["spec"]["selector"], pod_labels(deployment))]
        assert len(matching) == 1, deployment["metadata"]["name"]
        spec = matching[0]["spec"]
        # Never a budget that forbids every eviction (it would block node drains).
        assert spec.get("maxUnavailable", 0) >= 1 or spec["minAvailable"] < deployment["spec"]["replicas"]


def test_the_migration_job_migrates_every_deployed_database(overlay: Rendered) -> None:
    job = overlay.get("Job", "bassin-migrate")
    spec = pod_spec(job)
    assert spec["restartPolicy"] in {"Never", "OnFailure"}
    assert job["spec"]["backoffLimit"] >= 1
    images = {
        d["metadata"]["name"]: container(d, d["metadata"]["name"])["image"] for d in overlay.of_kind("Deployment")
    }
    commands = {tuple(c["command"]): c["image"] for c in all_containers(spec)}
    assert set(commands) == set(MIGRATIONS)
    for command, owner in MIGRATIONS.items():
        assert commands[command] == images[owner], f"{' '.join(command)} must run in the {owner} image"
    # Migrations first (init containers run in order), then the broker topology.
    assert [tuple(c["command"]) for c in spec["containers"]] == [("bassin-topology",)]


def test_configuration_references_resolve(overlay: Rendered) -> None:
    config_maps = {c["metadata"]["name"] for c in overlay.of_kind("ConfigMap")}
    secrets = {s["metadata"]["name"] for s in overlay.of_kind("Secret")}
    referenced_secrets: set[str] = set()
    for workload in overlay.workloads():
        for item in all_containers(pod_spec(workload)):
            assert item.get("envFrom"), f"{item['name']} reads no configuration"
            for source in item["envFrom"]:
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps
                if "secretRef" in source:
                    referenced_secrets.add(source["secretRef"]["name"])
    if overlay.name.endswith("prod"):
        # Production's Secret is created outside Git: nothing secret is rendered.
        assert secrets == set()
        assert referenced_secrets == {SECRET_NAME}
    else:
        assert referenced_secrets and referenced_secrets <= secrets


def test_the_config_map_holds_no_secrets(overlay: Rendered) -> None:
    for config_map in overlay.of_kind("ConfigMap"):
        for key, value in config_map["data"].items():
            assert key not in SECRET_KEYS | OPTIONAL_SECRET_KEYS
            assert not re.search(r"PASSWORD|SECRET|TOKEN", key), key
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"{key} holds credentials"


def test_the_secret_example_lists_every_key_with_placeholders(dev: Rendered) -> None:
    example = yaml.safe_load((K8S / "base/secret.example.yaml").read_text())
    assert example["kind"] == "Secret"
    assert example["metadata"]["name"] == SECRET_NAME
    assert set(example["stringData"]) == SECRET_KEYS | OPTIONAL_SECRET_KEYS
    for key in SECRET_KEYS:
        assert "REPLACE_ME" in example["stringData"][key], f"{key} must be an obvious placeholder"
    base = yaml.safe_load((K8S / "base/kustomization.yaml").read_text())
    assert "secret.example.yaml" not in base.get("resources", []), "the example must never be applied"
    # The dev overlay's generated Secret has exactly the same keys.
    (dev_secret,) = dev.of_kind("Secret")
    assert set(dev_secret["data"]) == SECRET_KEYS | OPTIONAL_SECRET_KEYS


def test_the_dev_overlay(dev: Rendered) -> None:
    for resource in dev.resources:
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == "bassin-dev"
    assert {d["metadata"]["name"]: d["spec"]["replicas"] for d in dev.of_kind("Deployment")} == dict.fromkeys(
        DEPLOYED, 1
    )
    assert dev.of_kind("HorizontalPodAutoscaler") == []


def test_the_prod_overlay(prod: Rendered) -> None:
    namespace = prod.get("Namespace", "bassin")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for resource in prod.resources:
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == "bassin", resource["metadata"]["name"]

    replicas = {d["metadata"]["name"]: d["spec"]["replicas"] for d in prod.of_kind("Deployment")}
    assert replicas == PROD_REPLICAS

    (autoscaler,) = prod.of_kind("HorizontalPodAutoscaler")
    assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert autoscaler["spec"]["minReplicas"] == PROD_REPLICAS["gateway"]
    assert autoscaler["spec"]["maxReplicas"] > autoscaler["spec"]["minReplicas"]
    assert [m["resource"]["name"] for m in autoscaler["spec"]["metrics"]] == ["cpu"]

    for workload in prod.workloads():
        for item in all_containers(pod_spec(workload)):
            image = item["image"]
            repository, _, tag = image.rpartition(":")
            assert "/" in repository, f"{image} names no registry"
            assert tag and tag != "latest" and "/" not in tag, f"{image} is not pinned to a release"


# --- Kubernetes: API schemas -------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_resource_matches_the_kubernetes_api(overlay: Rendered, version: str) -> None:
    validator = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate (PyPI) is not installed: it holds the API schemas"
    )
    failures: list[str] = []
    for resource in overlay.resources:
        name = f"{resource['kind']}/{resource['metadata']['name']}"
        try:
            validator.validate(resource, version, strict=True)
        except validator.ValidationError as error:
            failures.append(f"{name}: {error.message} at {'.'.join(map(str, error.absolute_path))}")
        except validator.SchemaNotFoundError as error:
            failures.append(f"{name}: {error.message}")
    assert failures == [], "\n".join(failures)


def test_strict_validation_catches_a_misspelt_field(prod: Rendered) -> None:
    """Guards the test above: a typo in a security setting must not pass silently."""
    validator = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate (PyPI) is not installed: it holds the API schemas"
    )
    deployment = copy.deepcopy(prod.get("Deployment", "gateway"))
    security = pod_spec(deployment)["containers"][0]["securityContext"]
    security["readOnlyRootFileSystem"] = security.pop("readOnlyRootFilesystem")
    with pytest.raises(validator.ValidationError):
        validator.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)


# --- Compose -----------------------------------------------------------------------

COMPOSE_SERVICES = {
    "postgres",
    "rabbitmq",
    "migrate-inventory",
    "migrate-pos",
    "migrate-gateway",
    "topology",
    "inventory",
    "pos",
    "gateway",
}
ONE_SHOT = {"migrate-inventory", "migrate-pos", "migrate-gateway", "topology"}
LONG_RUNNING = {"inventory": "migrate-inventory", "pos": "migrate-pos", "gateway": "migrate-gateway"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def test_compose_runs_the_built_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == COMPOSE_SERVICES
    assert not set(compose["services"]) & set(SKELETONS)
    assert compose["services"]["postgres"]["image"] == "postgres:15"
    assert compose["services"]["rabbitmq"]["image"] == "rabbitmq:3.10-management"


def test_compose_infrastructure_has_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, probe in (("postgres", "pg_isready"), ("rabbitmq", "rabbitmq-diagnostics")):
        check = services[name]["healthcheck"]
        assert probe in " ".join(check["test"])
        assert {"interval", "timeout", "retries"} <= check.keys()
    # PostgreSQL's data survives the container, in a declared named volume.
    volume = next(v.split(":")[0] for v in services["postgres"]["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert volume in compose["volumes"]


def test_compose_start_up_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: use depends_on with conditions"
        for target, rule in depends_on.items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = rule["condition"]
            assert condition in CONDITIONS
            if "healthcheck" in services[target] and target not in DEPLOYED:
                assert condition == "service_healthy", f"{name} -> {target}"
            if target in ONE_SHOT:
                assert condition == "service_completed_successfully", f"{name} -> {target}"

    for name in ONE_SHOT:
        assert services[name]["restart"] == "no"
    for name in ONE_SHOT - {"topology"}:
        assert services[name]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["topology"]["depends_on"] == {"rabbitmq": {"condition": "service_healthy"}}
    for name, migration in LONG_RUNNING.items():
        depends_on = services[name]["depends_on"]
        assert depends_on[migration]["condition"] == "service_completed_successfully"
        assert depends_on["topology"]["condition"] == "service_completed_successfully"
        assert depends_on["rabbitmq"]["condition"] == "service_healthy"


def test_compose_jobs_run_the_migrations_in_the_right_images(compose: dict[str, Any]) -> None:
    services = compose["services"]
    jobs = {tuple(services[name]["command"]): services[name]["image"] for name in ONE_SHOT}
    assert set(jobs) == set(MIGRATIONS)
    for command, owner in MIGRATIONS.items():
        assert jobs[command] == services[owner]["image"]


def test_compose_services_share_one_environment(compose: dict[str, Any]) -> None:
    shared = compose["x-bassin-env"]
    assert {"BASSIN_DATABASE_URL", "BASSIN_AMQP_URI", "BASSIN_JWT_SECRET"} <= shared.keys()
    for name in ONE_SHOT | LONG_RUNNING.keys():
        environment = compose["services"][name]["environment"]
        assert {k: environment.get(k) for k in shared} == shared, name
    gateway = compose["services"]["gateway"]
    assert gateway["environment"]["BASSIN_GATEWAY_HOST"] == "0.0.0.0"
    assert any(str(port).split(":")[-2:] == ["8000", "8000"] for port in gateway["ports"])
    assert "readyz" in " ".join(gateway["healthcheck"]["test"])


def test_compose_hardens_and_builds_the_bassin_containers(compose: dict[str, Any]) -> None:
    for name in ONE_SHOT | LONG_RUNNING.keys():
        service = compose["services"][name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "/tmp" in service["tmpfs"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["build"]["context"] == "."
        assert (REPO / service["build"]["dockerfile"]).is_file()
    for name, dockerfile in DOCKERFILES.items():
        assert REPO / compose["services"][name]["build"]["dockerfile"] == dockerfile


def test_docker_compose_accepts_the_file() -> None:
    """Schema and interpolation check by docker-compose itself (it parses offline)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    result = subprocess.run(
        [binary, "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr


# --- Dockerfiles -------------------------------------------------------------------


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        pending += " " + line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        if pending.strip():
            keyword, _, arguments = pending.strip().partition(" ")
            result.append((keyword.upper(), " ".join(arguments.split())))
        pending = ""
    return result


def allowed_in_context(path: str) -> bool:
    """True when the root .dockerignore (an allow-list) lets ``path`` into the context."""
    allowed = [
        line[1:].rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines() if line.startswith("!")
    ]
    return any(path == entry or path.startswith(f"{entry}/") for entry in allowed)


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_dockerfile(service: str) -> None:
    steps = [
        (keyword, arguments.replace("${SERVICE}", service)) for keyword, arguments in instructions(DOCKERFILES[service])
    ]
    stages = [arguments for keyword, arguments in steps if keyword == "FROM"]
    assert stages and all(stage.split()[0] == "python:3.11-slim" for stage in stages)
    final = steps[max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM") :]

    users = [arguments for keyword, arguments in final if keyword == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and int(users[-1].split(":")[0]) != 0
    environment = " ".join(arguments for keyword, arguments in final if keyword == "ENV")
    assert "PSYCOPG_WAIT_FUNC=wait_select" in environment

    installs = [arguments for keyword, arguments in steps if keyword == "RUN" and "pip install" in arguments]
    assert installs
    for install in installs:
        assert not re.search(r"(^|\s)(-e|--editable)(\s|$)", install)
        assert "./services/common" in install

    for keyword, arguments in steps:
        if keyword == "COPY" and "--from=" not in arguments:
            *sources, _ = arguments.split()
            for source in sources:
                assert (REPO / source).exists(), source
                assert allowed_in_context(source.rstrip("/")), f"{source} is excluded by .dockerignore"

    (command,) = [arguments for keyword, arguments in final if keyword == "CMD"]
    if service in NAMEKO_SERVICES:
        assert command == (
            '["sh", "-c", "exec nameko run --config /app/services/config.yml \\"${BASSIN_SERVICE}.service\\""]'
        )
        assert f"BASSIN_SERVICE={service}" in environment.replace("${SERVICE}", service)
        assert ("COPY", "services/config.yml /app/services/config.yml") in final
    else:
        assert command == '["bassin-gateway"]'
