"""The deployment files, checked offline: no cluster, no Docker engine, no PostgreSQL
or RabbitMQ.

The services expected in them are the registered ones (``bassin_common.registry``) plus
the gateway; their per-service parts are generated (``tools/bassin_dev/deployfiles.py``).
Every Kubernetes and compose check runs twice: on the committed files, and on a copy
rendered for the registered services plus ``unregistered_probe``, a service that exists nowhere
else, so a new service is known to be hardened, budgeted, migrated and pinned without
anyone writing its YAML.

- Kubernetes: both overlays are rendered with ``kubectl kustomize`` and the properties
  that matter are checked on the parsed resources (hardening of every container,
  probes, replicas, namespaces, references), then every resource is validated against
  the Kubernetes API schemas bundled with ``kubernetes-validate``.
- Compose: ``docker-compose.yml`` is parsed with PyYAML (anchors and merge keys
  resolved) and its services, health checks and start-up order are checked.
- Dockerfiles: base image, non-root user, non-editable installs, what they copy.
- Generated files: the committed ones are what the registry renders, and nothing written
  by hand names a service.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from bassin_common.registry import ServiceInfo, installed_services
from bassin_common.service import BassinService
from bassin_dev import deployfiles
from bassin_dev.deployfiles import Names

REPO = Path(__file__).resolve().parents[2]
K8S = Path("deploy/k8s")
COMPOSE_FILE = Path("docker-compose.yml")

GATEWAY = "gateway"
GATEWAY_MIGRATION = ("bassin-migrate", "gateway", "--package", "bassin_gateway")
SECRET_NAME = "bassin-secrets"
SECRET_KEYS = {
    "BASSIN_DATABASE_URL",
    "BASSIN_GATEWAY_DATABASE_URL",  # the gateway's own login (ADR 0033)
    "BASSIN_AMQP_URI",
    "BASSIN_JWT_SECRET",
    "BASSIN_DATABASE_TENANT_KEY",
    "BASSIN_CONTEXT_KEYS",
}
# Set only during a key rotation (JWT, tenant key).
OPTIONAL_SECRET_KEYS = {"BASSIN_JWT_PREVIOUS_KEYS", "BASSIN_DATABASE_PREVIOUS_TENANT_KEY"}
# The migration credentials (ADR 0033): the migration Job's Secret, read by nothing else.
MIGRATION_SECRET_NAME = "bassin-migration-secrets"
MIGRATION_SECRET_KEYS = {"BASSIN_MIGRATION_DATABASE_URL"}
SCHEDULER = {"scheduler-beat", "scheduler-worker"}  # notifications' Celery beat and worker (#25)
GATEWAY_PROD_REPLICAS = 3
NAMEKO_PROD_REPLICAS = 2
# The oldest Kubernetes minor the manifests target, and the kubectl shipped here.
KUBERNETES_VERSIONS = ("1.30", "1.32")
DOCKERFILE = REPO / "Dockerfile"  # every image, by target: "service" or "gateway"


class UnregisteredProbeService(BassinService):
    """A service that is registered nowhere: what a new one renders into."""

    name = "unregistered_probe"


REGISTERED = installed_services()
WITH_UNREGISTERED_PROBE = (*REGISTERED, ServiceInfo.of(UnregisteredProbeService))


# --- the services a copy of the deployment files is for -----------------------------


@dataclass(frozen=True)
class Deployed:
    """Deployment files (in ``root``) rendered for ``services``, and what follows from them."""

    label: str
    root: Path
    services: tuple[Names, ...]

    @property
    def nameko(self) -> dict[str, Names]:
        """Every nameko service, by its Kubernetes (and compose) name."""
        return {names.k8s: names for names in self.services}

    @property
    def deployed(self) -> set[str]:
        return {*self.nameko, GATEWAY}

    @property
    def migrations(self) -> dict[tuple[str, ...], str]:
        """command -> the Deployment (or compose service) whose image must run it."""
        return {("bassin-migrate", names.service): names.k8s for names in self.services} | {GATEWAY_MIGRATION: GATEWAY}

    @property
    def prod_replicas(self) -> dict[str, int]:
        return {GATEWAY: GATEWAY_PROD_REPLICAS} | dict.fromkeys(self.nameko, NAMEKO_PROD_REPLICAS)


def names_of(services: Sequence[Any]) -> tuple[Names, ...]:
    return tuple(sorted((Names.of(service) for service in services), key=lambda names: names.service))


def write_deployment_files(root: Path, services: Sequence[Any]) -> None:
    """A copy of the deployment files under ``root``, generated for ``services``."""
    shutil.copytree(REPO / K8S, root / K8S)
    for derived in deployfiles.derived_files(services):
        (root / derived.path).parent.mkdir(parents=True, exist_ok=True)
        (root / derived.path).write_text(derived.text)


@pytest.fixture(scope="module")
def with_unregistered_probe(tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    root = tmp_path_factory.mktemp("with-unregistered-probe")
    write_deployment_files(root, WITH_UNREGISTERED_PROBE)
    return Deployed("with unregistered_probe", root, names_of(WITH_UNREGISTERED_PROBE))


@pytest.fixture(scope="module", params=["registered", "with-unregistered-probe"])
def deployed(request: pytest.FixtureRequest) -> Deployed:
    if request.param == "registered":
        return Deployed("registered", REPO, names_of(REGISTERED))
    return request.getfixturevalue("with_unregistered_probe")


# --- Kubernetes: rendering ---------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """The resources ``kubectl kustomize`` builds from one kustomization."""

    name: str
    resources: tuple[dict[str, Any], ...]
    source: Deployed

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
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
    return tuple(document for document in yaml.safe_load_all(result.stdout) if document)


def render(source: Deployed, relative: str) -> Rendered:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: it renders the kustomize overlays (kubectl kustomize)")
    return Rendered(f"{relative} ({source.label})", _kustomize(source.root / K8S / relative), source)


@pytest.fixture(params=["overlays/dev", "overlays/prod"], ids=["dev", "prod"])
def overlay(request: pytest.FixtureRequest, deployed: Deployed) -> Rendered:
    return render(deployed, request.param)


@pytest.fixture
def dev(deployed: Deployed) -> Rendered:
    return render(deployed, "overlays/dev")


@pytest.fixture
def prod(deployed: Deployed) -> Rendered:
    return render(deployed, "overlays/prod")


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


def test_the_base_has_no_namespace(deployed: Deployed) -> None:
    base = render(deployed, "base")
    assert "namespace" not in yaml.safe_load((deployed.root / K8S / "base/kustomization.yaml").read_text())
    assert [r["metadata"]["name"] for r in base.resources if "namespace" in r["metadata"]] == []


def test_exactly_the_registered_services_and_the_gateway_are_deployed(overlay: Rendered) -> None:
    deployments = {d["metadata"]["name"]: d for d in overlay.of_kind("Deployment")}
    assert set(deployments) == overlay.source.deployed | SCHEDULER
    assert overlay.of_kind("StatefulSet") == [], "PostgreSQL and RabbitMQ are external services"
    for name in overlay.source.nameko:
        # The label the nameko-service component's patches select on.
        assert pod_labels(deployments[name])["app.kubernetes.io/component"] == "service"


def test_a_new_service_gets_its_own_deployment(with_unregistered_probe: Deployed) -> None:
    """The other checks run on this copy too (hardening, budget, spread, pinning...)."""
    dev, prod = render(with_unregistered_probe, "overlays/dev"), render(with_unregistered_probe, "overlays/prod")
    assert (
        container(dev.get("Deployment", "unregistered-probe"), "unregistered-probe")["image"]
        == "bassin-unregistered-probe:dev"
    )
    assert (
        container(prod.get("Deployment", "unregistered-probe"), "unregistered-probe")["image"]
        == "registry.example.com/bassin/unregistered-probe:0.1.0"
    )
    assert container(dev.get("Job", "bassin-migrate"), "migrate-unregistered-probe")["command"] == [
        "bassin-migrate",
        "unregistered_probe",
    ]


def hardening_problems(rendered: Rendered) -> list[str]:
    problems: list[str] = []
    for workload in rendered.workloads():
        spec = pod_spec(workload)
        pod_security = spec.get("securityContext", {})
        where = f"{rendered.name} {workload['kind']}/{workload['metadata']['name']}"
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
    return problems


def test_every_container_is_hardened(overlay: Rendered) -> None:
    problems = hardening_problems(overlay)
    assert problems == [], "\n".join(problems)


def test_the_gateway_has_honest_probes(overlay: Rendered) -> None:
    gateway = container(overlay.get("Deployment", GATEWAY), GATEWAY)
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
    deployment = overlay.get("Deployment", GATEWAY)
    service = overlay.get("Service", GATEWAY)
    assert selector_matches({"matchLabels": service["spec"]["selector"]}, pod_labels(deployment))
    named_ports = {p["name"] for p in container(deployment, GATEWAY)["ports"]}
    for port in service["spec"]["ports"]:
        assert port["targetPort"] in named_ports | {8000}


METRICS_PORT = 8080  # a nameko service's health and metrics (bassin_common.observability)


def test_every_deployment_has_liveness_and_readiness_probes(overlay: Rendered) -> None:
    for deployment in overlay.of_kind("Deployment"):
        for item in pod_spec(deployment)["containers"]:
            for kind in ("readinessProbe", "livenessProbe"):
                assert item.get(kind), f"{deployment['metadata']['name']} container {item['name']}: no {kind}"


def test_nameko_services_are_probed_and_scraped_on_their_metrics_port(overlay: Rendered) -> None:
    for name in overlay.source.nameko:
        deployment = overlay.get("Deployment", name)
        worker = container(deployment, name)
        ports = {p["name"]: p["containerPort"] for p in worker["ports"]}
        assert ports == {"http-metrics": METRICS_PORT}
        assert worker["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert worker["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert worker["startupProbe"]["httpGet"]["path"] == "/healthz"
        for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert ports.get(worker[kind]["httpGet"]["port"]) == METRICS_PORT
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(METRICS_PORT)
        assert annotations["prometheus.io/path"] == "/metrics"
        service = overlay.get("Service", name)
        assert selector_matches({"matchLabels": service["spec"]["selector"]}, pod_labels(deployment))
        assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http-metrics"]


def test_the_images_listen_where_the_probes_look() -> None:
    service = " ".join(text for keyword, text in build_steps("service", {"SERVICE": "x"}) if keyword == "ENV")
    assert f"BASSIN_HTTP_PORT={METRICS_PORT}" in service and "BASSIN_HTTP_HOST=0.0.0.0" in service
    for target, port in (("service", METRICS_PORT), ("gateway", 8000)):
        steps = build_steps(target, {"SERVICE": "x", "PACKAGE": "gateway"})
        (check,) = [text for keyword, text in steps if keyword == "HEALTHCHECK"][-1:]
        assert f"http://127.0.0.1:{port}/healthz" in check, target


@pytest.mark.parametrize("target", ["service", "gateway", "scheduler"])
def test_every_image_has_a_health_check(target: str) -> None:
    steps = build_steps(target, {"SERVICE": "x", "PACKAGE": "gateway"})
    checks = [text for keyword, text in steps if keyword == "HEALTHCHECK"]
    assert checks and not checks[-1].startswith("NONE"), target
    assert all(flag in checks[-1] for flag in ("--interval=", "--timeout=", "--retries=")), target


def test_every_component_has_its_own_service_account(overlay: Rendered) -> None:
    accounts = {a["metadata"]["name"]: a for a in overlay.of_kind("ServiceAccount")}
    for workload in overlay.workloads():
        name = workload["metadata"]["name"]
        spec = pod_spec(workload)
        assert spec.get("serviceAccountName") == name, f"{name} runs as {spec.get('serviceAccountName')}"
        assert accounts[name]["automountServiceAccountToken"] is False
    assert overlay.of_kind("RoleBinding") == overlay.of_kind("ClusterRoleBinding") == []


def test_only_the_gateway_is_reachable_from_outside(overlay: Rendered) -> None:
    policies = overlay.of_kind("NetworkPolicy")
    (deny,) = [p for p in policies if "ingress" not in p["spec"]]
    assert deny["spec"]["policyTypes"] == ["Ingress"]
    for workload in overlay.workloads():  # every Bassin pod, and only those: not PostgreSQL's
        (expression,) = deny["spec"]["podSelector"]["matchExpressions"]
        assert expression["operator"] == "In"
        assert pod_labels(workload)[expression["key"]] in expression["values"], workload["metadata"]["name"]
    assert deny["spec"]["podSelector"] != {}, "the databases and the broker in the namespace must stay reachable"
    for policy in policies:
        for rule in policy["spec"].get("ingress", []):
            if not rule.get("from"):  # open to any source: the gateway's HTTP port only
                assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": GATEWAY}}
                assert [p["port"] for p in rule["ports"]] == ["http"]
            else:  # the metrics scrape: one named namespace, the metrics port
                (source,) = rule["from"]
                assert set(source) == {"namespaceSelector"}
                assert [p["port"] for p in rule["ports"]] == ["http-metrics"]


def test_replicas_spread_over_nodes_service_by_service(overlay: Rendered) -> None:
    """The nameko services share one constraint: matchLabelKeys narrows it to each one's pods."""
    for deployment in overlay.of_kind("Deployment"):
        labels = pod_labels(deployment)
        (constraint,) = pod_spec(deployment)["topologySpreadConstraints"]
        assert constraint["topologyKey"] == "kubernetes.io/hostname"
        selected = constraint["labelSelector"]["matchLabels"] | {
            key: labels[key] for key in constraint.get("matchLabelKeys", [])
        }
        assert selector_matches({"matchLabels": selected}, labels)
        assert selected["app.kubernetes.io/name"] == deployment["metadata"]["name"]


def test_pods_get_time_to_stop_gracefully(overlay: Rendered) -> None:
    rpc_timeout = float(overlay.of_kind("ConfigMap")[0]["data"]["BASSIN_RPC_TIMEOUT"])
    for deployment in overlay.of_kind("Deployment"):
        grace = pod_spec(deployment).get("terminationGracePeriodSeconds", 30)
        assert grace >= 30, deployment["metadata"]["name"]
        assert grace > rpc_timeout, "requests in flight need up to the RPC timeout to finish"
    gateway = container(overlay.get("Deployment", GATEWAY), GATEWAY)
    sleep = int(gateway["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod_spec(overlay.get("Deployment", GATEWAY))["terminationGracePeriodSeconds"] >= sleep + rpc_timeout


def test_every_deployment_has_a_disruption_budget(overlay: Rendered) -> None:
    budgets = overlay.of_kind("PodDisruptionBudget")
    for deployment in overlay.of_kind("Deployment"):
        matching = [b for b in budgets if selector_matches(b["spec"]["selector"], pod_labels(deployment))]
        assert len(matching) == 1, deployment["metadata"]["name"]
        spec = matching[0]["spec"]
        # Never a budget that forbids every eviction (it would block node drains).
        assert spec.get("maxUnavailable", 0) >= 1 or spec["minAvailable"] < deployment["spec"]["replicas"]


def test_the_scheduler_is_one_beat_with_a_persistent_schedule_and_a_worker(overlay: Rendered) -> None:
    beat, worker = overlay.get("Deployment", "scheduler-beat"), overlay.get("Deployment", "scheduler-worker")
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    command = container(beat, "scheduler-beat")["command"]
    assert command[:4] == ["celery", "-A", "notifications_scheduler.app", "beat"]
    schedule = command[command.index("--schedule") + 1]
    mounts = {m["mountPath"]: m["name"] for m in container(beat, "scheduler-beat")["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec(beat)["volumes"]}
    claim = volumes[mounts[str(Path(schedule).parent)]]["persistentVolumeClaim"]["claimName"]
    assert overlay.get("PersistentVolumeClaim", claim)["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert container(worker, "scheduler-worker")["command"][3] == "worker"


def test_the_migration_job_migrates_every_deployed_database(overlay: Rendered) -> None:
    job = overlay.get("Job", "bassin-migrate")
    spec = pod_spec(job)
    assert spec["restartPolicy"] in {"Never", "OnFailure"}
    assert job["spec"]["backoffLimit"] >= 1
    images = {
        d["metadata"]["name"]: container(d, d["metadata"]["name"])["image"] for d in overlay.of_kind("Deployment")
    }
    commands = {tuple(c["command"]): c["image"] for c in all_containers(spec)}
    migrations = overlay.source.migrations
    assert set(commands) == set(migrations)
    for command, owner in migrations.items():
        assert commands[command] == images[owner], f"{' '.join(command)} must run in the {owner} image"
    # Each service's migration (database, exchange and queues) in an init container, named
    # after it; the gateway's database last, in the Job's one main container.
    assert [c["name"] for c in spec["initContainers"]] == [f"migrate-{name}" for name in overlay.source.nameko]
    assert [tuple(c["command"]) for c in spec["containers"]] == [GATEWAY_MIGRATION]


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
    if overlay.name.startswith("overlays/prod"):
        # Production's Secrets are created outside Git: nothing secret is rendered.
        assert secrets == set()
        assert referenced_secrets == {SECRET_NAME, MIGRATION_SECRET_NAME}
    else:
        assert referenced_secrets and referenced_secrets <= secrets


def _secret_references(item: dict[str, Any]) -> set[str]:
    references = {s["secretRef"]["name"] for s in item.get("envFrom", []) if "secretRef" in s}
    references |= {
        v["valueFrom"]["secretKeyRef"]["name"] for v in item.get("env", []) if "secretKeyRef" in v.get("valueFrom", {})
    }
    return references


def test_only_the_migration_job_holds_the_migration_credentials(overlay: Rendered) -> None:
    """Every migration container reads the migration Secret; no other container does, nor
    names the migration URL (ADR 0033)."""
    secrets = {s["metadata"]["name"] for s in overlay.of_kind("Secret")}
    migration_secret = next((n for n in secrets if n.startswith(MIGRATION_SECRET_NAME)), MIGRATION_SECRET_NAME)
    for workload in overlay.workloads():
        is_migration = workload["kind"] == "Job" and workload["metadata"]["name"] == "bassin-migrate"
        for item in all_containers(pod_spec(workload)):
            assert (migration_secret in _secret_references(item)) == is_migration, item["name"]
            assert not {v["name"] for v in item.get("env", [])} & MIGRATION_SECRET_KEYS, item["name"]


def test_a_service_credential_is_read_by_its_service_alone(overlay: Rendered) -> None:
    """The notifications service creates its partners' broker users through the management
    API: it reads that URI from a Secret of its own (an example of it kept beside
    secret.example.yaml), which no other container reads; so does compose."""
    assert [c.variable for c in deployfiles.SERVICE_CREDENTIALS] == ["BASSIN_RABBIT_MANAGEMENT_URI"]
    credentials = {c.secret: c for c in deployfiles.SERVICE_CREDENTIALS}
    secrets = {s["metadata"]["name"] for s in overlay.of_kind("Secret")}
    for workload in overlay.workloads():
        for item in all_containers(pod_spec(workload)):
            for name in {_base_name(secret, secrets) for secret in _secret_references(item)} & set(credentials):
                assert workload["kind"] == "Deployment"
                assert workload["metadata"]["name"] == credentials[name].service.replace("_", "-"), item["name"]
    for credential in deployfiles.SERVICE_CREDENTIALS:
        item = container(overlay.get("Deployment", credential.service), credential.service)
        (entry,) = [e for e in item["env"] if e["name"] == credential.variable]
        reference = entry["valueFrom"]["secretKeyRef"]
        assert reference["key"] == credential.variable
        assert _base_name(reference["name"], secrets) == credential.secret
        example = yaml.safe_load((REPO / K8S / "base/rabbit-management-secret.example.yaml").read_text())
        assert example["metadata"]["name"] == credential.secret
        assert "REPLACE_ME" in example["stringData"][credential.variable]
    compose = yaml.safe_load((REPO / COMPOSE_FILE).read_text())
    for name, service in compose["services"].items():
        has = "BASSIN_RABBIT_MANAGEMENT_URI" in service.get("environment", {})
        expected = name == "notifications" or name.startswith("broker-user-")
        assert has == expected, name
    assert compose["services"]["notifications"]["environment"]["BASSIN_RABBIT_MANAGEMENT_URI"].endswith(
        "@rabbitmq:15672"
    )


def _base_name(name: str, rendered: set[str]) -> str:
    """A Secret's name without the hash suffix a generator adds (the dev overlay's)."""
    return name.rsplit("-", 1)[0] if name in rendered else name


def test_the_gateway_and_its_migration_use_the_gateway_login(overlay: Rendered) -> None:
    gateway = [container(overlay.get("Deployment", GATEWAY), GATEWAY)]
    gateway += [
        c for c in all_containers(pod_spec(overlay.get("Job", "bassin-migrate"))) if c["name"] == "migrate-gateway"
    ]
    for item in gateway:
        (url,) = [v for v in item["env"] if v["name"] == "BASSIN_DATABASE_URL"]
        assert url["valueFrom"]["secretKeyRef"]["key"] == "BASSIN_GATEWAY_DATABASE_URL", item["name"]


def test_the_dev_runtime_login_is_not_the_migration_user(dev: Rendered) -> None:
    from base64 import b64decode

    from sqlalchemy.engine import make_url

    values = {
        key: b64decode(value).decode() for secret in dev.of_kind("Secret") for key, value in secret["data"].items()
    }
    assert values.keys() >= MIGRATION_SECRET_KEYS
    runtime, migration = make_url(values["BASSIN_DATABASE_URL"]), make_url(values["BASSIN_MIGRATION_DATABASE_URL"])
    gateway = make_url(values["BASSIN_GATEWAY_DATABASE_URL"])
    assert len({runtime.username, migration.username, gateway.username}) == 3
    assert (runtime.host, runtime.port) == (migration.host, migration.port)


def test_the_config_map_holds_no_secrets(overlay: Rendered) -> None:
    for config_map in overlay.of_kind("ConfigMap"):
        for key, value in config_map["data"].items():
            assert key not in SECRET_KEYS | OPTIONAL_SECRET_KEYS
            assert not re.search(r"PASSWORD|SECRET|TOKEN", key), key
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"{key} holds credentials"


def test_the_secret_example_lists_every_key_with_placeholders(dev: Rendered) -> None:
    example = yaml.safe_load((REPO / K8S / "base/secret.example.yaml").read_text())
    assert example["kind"] == "Secret"
    assert example["metadata"]["name"] == SECRET_NAME
    assert set(example["stringData"]) == SECRET_KEYS | OPTIONAL_SECRET_KEYS
    for key in SECRET_KEYS:
        assert "REPLACE_ME" in example["stringData"][key], f"{key} must be an obvious placeholder"
    base = yaml.safe_load((REPO / K8S / "base/kustomization.yaml").read_text())
    assert "secret.example.yaml" not in base.get("resources", []), "the example must never be applied"
    # The dev overlay's generated Secrets have exactly the same keys.
    secrets = {s["metadata"]["name"].rsplit("-", 1)[0]: set(s["data"]) for s in dev.of_kind("Secret")}
    own = {c.secret: {c.variable} for c in deployfiles.SERVICE_CREDENTIALS}
    assert secrets == {
        SECRET_NAME: SECRET_KEYS | OPTIONAL_SECRET_KEYS,
        MIGRATION_SECRET_NAME: MIGRATION_SECRET_KEYS,
        **own,
    }
    migration = yaml.safe_load((REPO / K8S / "base/migration-secret.example.yaml").read_text())
    assert (migration["kind"], migration["metadata"]["name"]) == ("Secret", MIGRATION_SECRET_NAME)
    assert set(migration["stringData"]) == MIGRATION_SECRET_KEYS
    assert "REPLACE_ME" in migration["stringData"]["BASSIN_MIGRATION_DATABASE_URL"]
    assert "migration-secret.example.yaml" not in base.get("resources", []), "the example must never be applied"


def test_the_dev_overlay(dev: Rendered) -> None:
    for resource in dev.resources:
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == "bassin-dev"
    replicas = {d["metadata"]["name"]: d["spec"]["replicas"] for d in dev.of_kind("Deployment")}
    assert replicas == dict.fromkeys(dev.source.deployed | SCHEDULER, 1)
    assert dev.of_kind("HorizontalPodAutoscaler") == []


def test_the_prod_overlay(prod: Rendered) -> None:
    namespace = prod.get("Namespace", "bassin")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for resource in prod.resources:
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == "bassin", resource["metadata"]["name"]

    replicas = {d["metadata"]["name"]: d["spec"]["replicas"] for d in prod.of_kind("Deployment")}
    assert replicas == prod.source.prod_replicas | dict.fromkeys(SCHEDULER, 1)

    # The gateway and every competing-consumer service scale out; never the beat.
    autoscalers = {a["spec"]["scaleTargetRef"]["name"]: a for a in prod.of_kind("HorizontalPodAutoscaler")}
    assert set(autoscalers) == prod.source.deployed
    for name, autoscaler in autoscalers.items():
        assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert autoscaler["spec"]["minReplicas"] == replicas[name], name
        assert autoscaler["spec"]["maxReplicas"] > autoscaler["spec"]["minReplicas"]
        assert [m["resource"]["name"] for m in autoscaler["spec"]["metrics"]] == ["cpu"]


# The operators' custom resources: kubernetes-validate has no schema for them (it holds
# the core API's), so they are skipped there and checked here on what Bassin relies on.
OPERATOR_KINDS = {
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"),
    ("rabbitmq.com/v1beta1", "User"),
    ("rabbitmq.com/v1beta1", "Permission"),
    ("rabbitmq.com/v1beta1", "Policy"),  # the Messaging Topology Operator's
}


def test_prod_gives_each_component_its_own_rabbitmq_user(prod: Rendered) -> None:
    """Each Deployment logs in as its own user (messaging-topology operator's User and
    Permission, with ``bassin_common.broker_users``' permissions); only the migration Job
    keeps the administrator's URI of bassin-secrets."""
    from bassin_common.broker_users import component_permissions

    expected = component_permissions(WITH_UNREGISTERED_PROBE if "unregistered" in prod.source.label else REGISTERED)
    users = {u["metadata"]["name"]: u for u in prod.of_kind("User")}
    permissions = {p["spec"]["userReference"]["name"]: p["spec"] for p in prod.of_kind("Permission")}
    assert set(users) == set(permissions) == {f"bassin-{c.replace('_', '-')}" for c in expected}
    for component, granted in expected.items():
        spec = permissions[f"bassin-{component.replace('_', '-')}"]
        assert spec["permissions"] == {"configure": granted.configure, "write": granted.write, "read": granted.read}
        assert spec["rabbitmqClusterReference"] == {"name": "bassin-rabbitmq"}
    for workload in prod.workloads():
        for item in pod_spec(workload)["containers"]:
            uri = {e["name"]: e for e in item.get("env", [])}.get("BASSIN_AMQP_URI")
            if workload["kind"] == "Job":
                assert uri is None, "the migration Job declares the topology as the administrator"
                continue
            assert uri and uri["value"].startswith("pyamqp://$(AMQP_USER):$(AMQP_PASSWORD)@"), workload["metadata"]
            secret = {e["name"]: e for e in item["env"]}["AMQP_USER"]["valueFrom"]["secretKeyRef"]["name"]
            assert f"bassin-{secret.removeprefix('bassin-amqp-')}" in users


def test_prod_declares_postgresql_and_rabbitmq_to_their_operators(prod: Rendered) -> None:
    (postgres,) = prod.of_kind("Cluster")
    assert postgres["apiVersion"] == "postgresql.cnpg.io/v1"
    assert postgres["spec"]["instances"] >= 3
    assert postgres["spec"]["imageName"].endswith(":15")
    bootstrap = postgres["spec"]["bootstrap"]["initdb"]
    created = {bootstrap["database"]} | {
        statement.split()[2] for statement in bootstrap["postInitSQL"] if statement.startswith("CREATE DATABASE")
    }
    assert created == {f"bassin_{name}" for name in (GATEWAY, *(n.service for n in prod.source.services))}
    (rabbitmq,) = prod.of_kind("RabbitmqCluster")
    assert rabbitmq["apiVersion"] == "rabbitmq.com/v1beta1"
    assert rabbitmq["spec"]["replicas"] >= 3, "quorum queues need three nodes"
    assert rabbitmq["spec"]["image"] == "rabbitmq:3.10-management"
    assert "rabbitmq_management" in rabbitmq["spec"]["rabbitmq"]["additionalPlugins"]

    for workload in prod.workloads():
        for item in all_containers(pod_spec(workload)):
            image = item["image"]
            repository, _, tag = image.rpartition(":")
            assert "/" in repository, f"{image} names no registry"
            assert tag and tag != "latest" and "/" not in tag, f"{image} is not pinned to a release"


def test_prod_sets_the_delivery_limit_policy_the_platform_would_set(prod: Rendered) -> None:
    """The Policy resource is what ``bassin_common.quorum`` applies elsewhere, with the
    configured limit; the migration Job leaves it to the operator (ADR 0036)."""
    from bassin_common.quorum import DELIVERY_LIMIT_POLICY, MANAGEMENT_OFF, delivery_limit_policy

    (config,) = prod.of_kind("ConfigMap")
    wanted = delivery_limit_policy(int(config["data"]["BASSIN_DELIVERY_LIMIT"]))
    policy = prod.get("Policy", DELIVERY_LIMIT_POLICY)["spec"]
    assert policy["name"] == DELIVERY_LIMIT_POLICY and policy["vhost"] == "/"
    assert policy["rabbitmqClusterReference"] == {"name": prod.of_kind("RabbitmqCluster")[0]["metadata"]["name"]}
    assert (policy["pattern"], policy["applyTo"], policy["priority"], policy["definition"]) == (
        wanted["pattern"],
        wanted["apply-to"],
        wanted["priority"],
        wanted["definition"],
    )
    assert config["data"]["BASSIN_RABBIT_MANAGEMENT_URI"] == MANAGEMENT_OFF


# --- Kubernetes: API schemas -------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_resource_matches_the_kubernetes_api(overlay: Rendered, version: str) -> None:
    validator = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate (PyPI) is not installed: it holds the API schemas"
    )
    failures: list[str] = []
    for resource in overlay.resources:
        name = f"{resource['kind']}/{resource['metadata']['name']}"
        if (resource["apiVersion"], resource["kind"]) in OPERATOR_KINDS:
            continue  # no bundled schema: test_prod_declares_postgresql_and_rabbitmq_to_their_operators
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
    deployment = copy.deepcopy(prod.get("Deployment", GATEWAY))
    security = pod_spec(deployment)["containers"][0]["securityContext"]
    security["readOnlyRootFileSystem"] = security.pop("readOnlyRootFilesystem")
    with pytest.raises(validator.ValidationError):
        validator.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)


# --- Compose -----------------------------------------------------------------------

INFRASTRUCTURE = {"postgres", "rabbitmq"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
HEALTHY = {"condition": "service_healthy"}
COMPLETED = {"condition": "service_completed_successfully"}


@dataclass(frozen=True)
class Compose:
    document: dict[str, Any]
    source: Deployed

    @property
    def services(self) -> dict[str, Any]:
        return self.document["services"]

    @property
    def long_running(self) -> dict[str, str]:
        """Each Bassin service -> its one-shot migration job."""
        return {name: f"migrate-{name}" for name in self.source.deployed}

    @property
    def broker_users(self) -> dict[str, str]:
        """Each component (a Bassin service, the scheduler) -> the job making its RabbitMQ user."""
        return {name: f"broker-user-{name}" for name in (*self.source.deployed, "scheduler")}

    @property
    def one_shot(self) -> set[str]:
        return set(self.long_running.values()) | set(self.broker_users.values())


@pytest.fixture(scope="module")
def compose(deployed: Deployed) -> Compose:
    return Compose(yaml.safe_load((deployed.root / COMPOSE_FILE).read_text()), deployed)


MAIL_CATCHER = "mailpit"  # development only: every e-mail the stack sends
COMPOSE_SCHEMA = REPO / "tests/deploy/schemas/compose-spec.json"


def test_compose_runs_the_registered_services(compose: Compose) -> None:
    expected = INFRASTRUCTURE | {MAIL_CATCHER} | compose.one_shot | compose.long_running.keys() | SCHEDULER
    assert set(compose.services) == expected
    assert compose.services["postgres"]["image"] == "postgres:15"
    assert compose.services["rabbitmq"]["image"] == "rabbitmq:3.10-management"


def test_compose_infrastructure_has_health_checks(compose: Compose) -> None:
    services = compose.services
    for name, probe in (("postgres", "pg_isready"), ("rabbitmq", "rabbitmq-diagnostics")):
        check = services[name]["healthcheck"]
        assert probe in " ".join(check["test"])
        assert {"interval", "timeout", "retries"} <= check.keys()
    # PostgreSQL's data survives the container, in a declared named volume.
    volume = next(v.split(":")[0] for v in services["postgres"]["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert volume in compose.document["volumes"]


def test_compose_start_up_order(compose: Compose) -> None:
    services = compose.services
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: use depends_on with conditions"
        for target, rule in depends_on.items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = rule["condition"]
            assert condition in CONDITIONS
            if "healthcheck" in services[target] and target in INFRASTRUCTURE:
                assert condition == "service_healthy", f"{name} -> {target}"
            if target in compose.one_shot:
                assert condition == "service_completed_successfully", f"{name} -> {target}"

    for name in compose.one_shot:
        assert services[name]["restart"] == "no"
        assert services[name]["healthcheck"] == {"disable": True}, f"{name} serves no /healthz"
    # A nameko service's migration also declares its exchange and queues.
    for name in compose.source.nameko:
        assert services[f"migrate-{name}"]["depends_on"] == {"postgres": HEALTHY, "rabbitmq": HEALTHY}
    assert services[f"migrate-{GATEWAY}"]["depends_on"] == {"postgres": HEALTHY}
    every_migration = {f"migrate-{names.k8s}": COMPLETED for names in compose.source.services}
    every_user = {f"broker-user-{name}": COMPLETED for name in (*compose.source.nameko, "scheduler")}
    for name in {*compose.source.nameko, *SCHEDULER}:
        # Each service waits for every service's migration (each declares its own queues:
        # a service may publish as soon as it starts) and broker user; the gateway for no service.
        assert services[name]["depends_on"] == {"rabbitmq": HEALTHY, **every_migration, **every_user}, name
    assert services[GATEWAY]["depends_on"][f"broker-user-{GATEWAY}"] == COMPLETED
    for job in compose.broker_users.values():
        assert services[job]["depends_on"] == {"rabbitmq": HEALTHY}, job


def test_compose_jobs_run_the_migrations_in_the_right_images(compose: Compose) -> None:
    services = compose.services
    jobs = {tuple(services[name]["command"]): services[name]["image"] for name in compose.long_running.values()}
    assert set(jobs) == set(compose.source.migrations)
    for command, owner in compose.source.migrations.items():
        assert jobs[command] == services[owner]["image"]


def test_compose_services_share_one_environment(compose: Compose) -> None:
    shared = compose.document["x-bassin-env"]
    assert {"BASSIN_DATABASE_URL", "BASSIN_AMQP_URI", "BASSIN_JWT_SECRET", "BASSIN_CONTEXT_KEYS"} <= shared.keys()
    assert shared["BASSIN_SMTP_HOST"] == f"${{BASSIN_SMTP_HOST:-{MAIL_CATCHER}}}"
    own_user = {**{name: name for name in compose.long_running}, **dict.fromkeys(SCHEDULER, "scheduler")}
    for name in compose.one_shot | compose.long_running.keys() | SCHEDULER:
        environment = compose.services[name]["environment"]
        own = {"BASSIN_DATABASE_URL"} if name in {GATEWAY, f"migrate-{GATEWAY}"} else set()  # its own login
        if name in own_user:  # it logs in to RabbitMQ as its own user; only the jobs as the administrator
            component = compose.source.nameko[name].service if name in compose.source.nameko else own_user[name]
            assert environment["BASSIN_AMQP_URI"].startswith(f"pyamqp://bassin-{component}:"), name
            environment = {**environment, "BASSIN_AMQP_URI": shared["BASSIN_AMQP_URI"]}
        assert {k: environment.get(k) for k in shared.keys() - own} == {k: shared[k] for k in shared.keys() - own}, name
    for component, job in compose.broker_users.items():
        command = compose.services[job]["command"]
        assert command[0] == "bassin-broker-users", job
        owner = component if component in compose.services else "scheduler-worker"
        assert compose.services[job]["image"] == compose.services[owner]["image"], job
    gateway = compose.services[GATEWAY]
    assert gateway["environment"]["BASSIN_GATEWAY_HOST"] == "0.0.0.0"
    assert any(str(port).split(":")[-2:] == ["8000", "8000"] for port in gateway["ports"])
    assert "readyz" in " ".join(gateway["healthcheck"]["test"])


def test_compose_gives_the_migration_credentials_to_the_migration_jobs_only(compose: Compose) -> None:
    """The migration jobs log in as the tables' owner; every other container gets the
    runtime login only (ADR 0033), the jobs that make the broker users included."""
    migrations = set(compose.long_running.values())
    for name in compose.one_shot | compose.long_running.keys() | SCHEDULER:
        environment = compose.services[name]["environment"]
        assert ("BASSIN_MIGRATION_DATABASE_URL" in environment) == (name in migrations), name
    user = re.compile(r"^postgresql\+psycopg://([^:@/]+)[:@]")
    gateway = {
        user.match(compose.services[name]["environment"]["BASSIN_DATABASE_URL"])[1]
        for name in (GATEWAY, f"migrate-{GATEWAY}")
    }
    environment = compose.services[f"migrate-{min(compose.source.nameko)}"]["environment"]
    runtime = user.match(environment["BASSIN_DATABASE_URL"])[1]
    owner = user.match(environment["BASSIN_MIGRATION_DATABASE_URL"])[1]
    # Three logins: the owner, the services', the gateway's (the same for its job and itself).
    assert len(gateway) == 1 and len({runtime, owner, *gateway}) == 3


def test_compose_hardens_and_builds_the_bassin_containers(compose: Compose) -> None:
    for name in compose.one_shot | compose.long_running.keys() | SCHEDULER:
        service = compose.services[name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "/tmp" in service["tmpfs"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["build"]["context"] == "."
        assert REPO / service["build"].get("dockerfile", "Dockerfile") == DOCKERFILE
    for name, names in compose.source.nameko.items():
        service = compose.services[name]
        assert service["image"] == f"{names.image}:dev"
        assert service["build"]["target"] == "service"
        assert service["build"]["args"] == {"SERVICE": names.service}
        assert service["stop_grace_period"] == "60s"
        assert service["restart"] == "unless-stopped"
    assert compose.services[GATEWAY]["build"]["target"] == "gateway"
    assert compose.services[GATEWAY]["build"]["args"] == {"PACKAGE": "gateway"}
    for name in SCHEDULER:
        service = compose.services[name]
        assert service["image"] == "bassin-scheduler:dev"
        assert service["build"]["target"] == "scheduler"
        assert service["build"]["args"] == {"SERVICE": deployfiles.SCHEDULER_SERVICE}
    beat = compose.services["scheduler-beat"]
    assert beat["command"][:4] == ["celery", "-A", f"{deployfiles.SCHEDULER_SERVICE}_scheduler.app", "beat"]
    schedule = beat["command"][beat["command"].index("--schedule") + 1]
    volume = next(v.split(":")[0] for v in beat["volumes"] if v.endswith(f":{Path(schedule).parent}"))
    assert volume in compose.document["volumes"]
    assert "deploy" not in beat, "exactly one beat: never replicated"


def test_compose_validates_against_the_compose_specification(compose: Compose) -> None:
    """The Compose specification's JSON schema, bundled (tests/deploy/schemas/README.md)."""
    import json

    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft201909Validator(json.loads(COMPOSE_SCHEMA.read_text()))
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose.document)]
    assert errors == [], "\n".join(errors)
    # Guards the check: a misspelt key is refused.
    broken = copy.deepcopy(compose.document)
    broken["services"][GATEWAY]["stop_grace_periode"] = "30s"
    assert not validator.is_valid(broken)


def test_every_compose_build_has_its_context_and_dockerfile_target(compose: Compose) -> None:
    targets = {text.split(" AS ")[1] for keyword, text in instructions(DOCKERFILE) if keyword == "FROM"}
    built = {name: service["build"] for name, service in compose.services.items() if "build" in service}
    assert built.keys() == compose.one_shot | compose.long_running.keys() | SCHEDULER
    for name, build in built.items():
        context = REPO / build["context"]
        assert context.is_dir(), name
        assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
        assert build["target"] in targets, f"{name}: no stage {build['target']!r} in the Dockerfile"
        for argument, value in build.get("args", {}).items():
            if value == "unregistered_probe":
                continue  # exists in the registry's copy only
            folder = context / (f"services/{value}" if argument == "SERVICE" else value)
            assert (folder / "pyproject.toml").is_file(), f"{name}: {argument}={value} is no package"


def test_the_postgres_init_step_creates_every_database(compose: Compose) -> None:
    mounts = compose.services["postgres"]["volumes"]
    script = next(m.split(":")[0] for m in mounts if "/docker-entrypoint-initdb.d/" in m)
    text = (compose.source.root / script).read_text()
    databases = {line for line in text.splitlines() if re.fullmatch(r"bassin_\w+", line)}
    assert databases == {f"bassin_{name}" for name in (GATEWAY, *(n.service for n in compose.source.services))}


def test_image_names_and_tags_agree_between_compose_and_kubernetes(compose: Compose) -> None:
    dev, prod = render(compose.source, "overlays/dev"), render(compose.source, "overlays/prod")
    compose_images = {
        service["image"] for service in compose.services.values() if service["image"].startswith("bassin-")
    }
    images = {"dev": set(), "prod": set()}
    for label, rendered in (("dev", dev), ("prod", prod)):
        for workload in rendered.workloads():
            images[label] |= {item["image"] for item in all_containers(pod_spec(workload))}
    assert images["dev"] == compose_images, "the dev cluster runs what docker compose build tags"
    expected_prod = {
        f"{deployfiles.PROD_REGISTRY}/{image.split(':')[0].removeprefix('bassin-')}:{deployfiles.PROD_TAG}"
        for image in compose_images
    }
    assert images["prod"] == expected_prod


def test_docker_compose_accepts_the_file() -> None:
    """Schema and interpolation check by docker-compose itself (it parses offline)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")

    def config(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        required = {"BASSIN_JWT_SECRET", "BASSIN_DATABASE_TENANT_KEY"}
        env = {k: v for k, v in os.environ.items() if k not in required} | extra_env
        command = [binary, "-f", str(REPO / COMPOSE_FILE), "config", "--quiet"]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, cwd=REPO, env=env)

    tenant_key = {"BASSIN_DATABASE_TENANT_KEY": "a-tenant-key-of-the-operators-own-" + "y" * 32}
    accepted = config({"BASSIN_JWT_SECRET": "a-key-of-the-operators-own-" + "x" * 32} | tenant_key)
    assert accepted.returncode == 0, accepted.stderr
    refused = config(tenant_key)  # no signing key: compose itself refuses, naming it
    assert refused.returncode != 0 and "BASSIN_JWT_SECRET" in refused.stderr
    refused = config({"BASSIN_JWT_SECRET": "a-key-of-the-operators-own-" + "x" * 32})  # nor without a tenant key
    assert refused.returncode != 0 and "BASSIN_DATABASE_TENANT_KEY" in refused.stderr


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


def dockerignore() -> list[str]:
    lines = (line.strip() for line in (REPO / ".dockerignore").read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def allowed_in_context(path: str) -> bool:
    """True when the root .dockerignore (an allow-list) lets ``path`` into the context."""
    allowed = [line[1:].rstrip("/") for line in dockerignore() if line.startswith("!")]
    return any(path == entry or path.startswith(f"{entry}/") for entry in allowed)


def test_a_new_service_needs_no_dockerignore_line() -> None:
    assert allowed_in_context("services/unregistered_probe/pyproject.toml")
    assert allowed_in_context("services/unregistered_probe/unregistered_probe/service.py")
    # What no image needs stays out even under an allowed folder.
    assert {"**/tests/", "**/__pycache__/", "**/.venv/"} <= set(dockerignore())


TARGETS = {names.service: ("service", {"SERVICE": names.service}) for names in names_of(REGISTERED)} | {
    GATEWAY: ("gateway", {"PACKAGE": "gateway"})
}


def build_steps(target: str, build_arguments: dict[str, str]) -> list[tuple[str, str]]:
    """The instructions that build ``target``, its build arguments substituted (defaults
    included), as ``docker build --target`` follows them: the stages it descends from."""
    steps = instructions(DOCKERFILE)
    arguments = dict(build_arguments)
    for keyword, text in steps:  # global ARGs, before the first FROM
        if keyword == "FROM":
            break
        name, _, default = text.partition("=")
        arguments.setdefault(name, re.sub(r"\$\{(\w+)\}", lambda m: arguments.get(m[1], ""), default.strip('"')))
    stages: dict[str, list[tuple[str, str]]] = {}
    parents: dict[str, str] = {}
    current = ""
    for keyword, text in steps:
        if keyword == "FROM":
            image, _, current = text.partition(" AS ")
            parents[current], stages[current] = image, []
        elif current:
            stages[current].append((keyword, re.sub(r"\$\{?(\w+)\}?", lambda m: arguments.get(m[1], m[0]), text)))
    chain, stage = [], target
    while stage in stages:
        chain.insert(0, [("FROM", parents[stage]), *stages[stage]])
        stage = parents[stage]
    followed = [step for stage_steps in chain for step in stage_steps]
    needed = {text.split("=", 1)[1].split()[0] for keyword, text in followed if "--from=" in text}
    return [step for name in needed for step in stages[name]] + followed


@pytest.mark.parametrize("component", sorted(TARGETS))
def test_each_image_is_slim_non_root_and_runs_its_component(component: str) -> None:
    target, build_arguments = TARGETS[component]
    steps = build_steps(target, build_arguments)
    bases = {text for keyword, text in steps if keyword == "FROM"}
    assert bases <= {"python:3.11-slim", "runtime"}, bases
    users = [text for keyword, text in steps if keyword == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and int(users[-1].split(":")[0]) != 0
    environment = " ".join(text for keyword, text in steps if keyword == "ENV")
    assert "PSYCOPG_WAIT_FUNC=wait_select" in environment

    installs = [text for keyword, text in steps if keyword == "RUN" and "pip install" in text]
    assert installs
    for install in installs:
        assert not re.search(r"(^|\s)(-e|--editable)(\s|$)", install)
        assert "./services/common" in install

    for keyword, text in steps:
        if keyword == "COPY" and "--from=" not in text:
            *sources, _ = text.split()
            for source in sources:
                assert (REPO / source).exists(), source
                assert allowed_in_context(source.rstrip("/")), f"{source} is excluded by .dockerignore"

    command = [text for keyword, text in steps if keyword == "CMD"][-1]
    if component == GATEWAY:
        assert command == '["bassin-gateway"]'
        assert "./gateway" in " ".join(installs)
    else:
        # bassin-run finds the service in the registry; its nameko config ships in bassin_common.
        assert command == '["sh", "-c", "exec bassin-run \\"${BASSIN_SERVICE}\\""]'
        assert f"BASSIN_SERVICE={component}" in environment
        assert f"./services/{component}" in " ".join(installs)


# --- Generated files ---------------------------------------------------------------

_GENERATED_REGION = re.compile(
    r"^[ \t]*# --- generated by \./bassin generate: (?P<name>\S+) \(do not edit\) ---\n"
    r".*?^[ \t]*# --- end of generated: (?P=name) ---$",
    re.M | re.S,
)
HAND_WRITTEN = [  # the documentation (README.md) may name services
    *sorted(path for path in (REPO / "deploy").rglob("*") if path.is_file() and path.suffix != ".md"),
    REPO / COMPOSE_FILE,
    DOCKERFILE,
    REPO / ".dockerignore",
]


def test_the_generated_deployment_files_are_up_to_date() -> None:
    stale = [str(d.path) for d in deployfiles.derived_files(REGISTERED) if (REPO / d.path).read_text() != d.text]
    assert stale == [], "out of date: run ./bassin generate"


def test_generating_is_deterministic_and_sorted() -> None:
    assert deployfiles.derived_files(REGISTERED) == deployfiles.derived_files(tuple(reversed(REGISTERED)))


def test_no_hand_written_deployment_file_names_a_service() -> None:
    """A new service is its own folder plus the line that installs it: nothing to add here."""
    generated_files = {REPO / d.path for d in deployfiles.derived_files(REGISTERED)}
    words = {word for names in names_of(REGISTERED) for word in (names.service, names.k8s)}
    pattern = re.compile(rf"(?<![\w.-])(?:bassin-)?({'|'.join(map(re.escape, sorted(words)))})(?![\w-])")
    whole_files = (deployfiles.SERVICES_MANIFEST, deployfiles.PROD_BROKER_USERS, deployfiles.PROD_BROKER_CREDENTIALS)
    found = []
    for path in HAND_WRITTEN:
        if path in {REPO / whole for whole in whole_files}:
            continue
        text = path.read_text()
        if path in generated_files:
            text = _GENERATED_REGION.sub("", text)
        found += [f"{path.relative_to(REPO)}: {match[0]!r}" for match in pattern.finditer(text)]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("name", ["Demo", "_probe", "x" * 60])
def test_a_name_kubernetes_cannot_take_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="cannot be deployed"):
        Names.of(ServiceInfo.of(type("Odd", (), {"name": name})))
