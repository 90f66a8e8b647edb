"""Finding PostgreSQL and RabbitMQ, for the start command and the tests.

Order (DESIGN.md): URLs from the environment, then servers already listening on
localhost, then containers when a Docker engine answers, then a clear error saying
what to start. RabbitMQ's management API (nameko's test fixtures need it) is enabled
here when the local broker has it off.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from urllib.parse import urlparse

LOCAL_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
LOCAL_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672/"
LOCAL_MANAGEMENT_URI = "http://guest:guest@127.0.0.1:15672"


class InfrastructureMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Infrastructure:
    database_url: str
    amqp_uri: str
    management_uri: str
    origin: str


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parsed = urlparse(url.replace("postgresql+psycopg", "postgresql"))
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


def _docker_engine_answers() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0


def _wait_for(host: str, port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(host, port):
            return True
        time.sleep(0.5)
    return False


# Development containers, used only when nothing else is found and a Docker engine answers.
# Plain `docker run` (not compose): it needs no plugin. RabbitMQ's guest user may only log
# in from loopback, which a published port is not, hence a user of our own.
DEV_CONTAINERS = {
    "bassin-dev-postgres": [
        "-p", "127.0.0.1:5432:5432", "-e", "POSTGRES_HOST_AUTH_METHOD=trust", "postgres:15",
    ],
    "bassin-dev-rabbitmq": [
        "-p", "127.0.0.1:5672:5672", "-p", "127.0.0.1:15672:15672",
        "-e", "RABBITMQ_DEFAULT_USER=bassin", "-e", "RABBITMQ_DEFAULT_PASS=bassin",
        "rabbitmq:3.10-management",
    ],
}  # fmt: skip


def _start_containers() -> Infrastructure:
    for name, arguments in DEV_CONTAINERS.items():
        if subprocess.run(["docker", "start", name], capture_output=True).returncode != 0:
            subprocess.run(["docker", "run", "-d", "--name", name, *arguments], check=True)
    if not (_wait_for("127.0.0.1", 5432, 90) and _wait_for("127.0.0.1", 5672, 90)):
        raise InfrastructureMissing("the development containers did not open their ports in 90 s")
    return Infrastructure(
        LOCAL_DATABASE_URL,
        "pyamqp://bassin:bassin@127.0.0.1:5672/",
        "http://bassin:bassin@127.0.0.1:15672",
        "docker containers (bassin-dev-postgres, bassin-dev-rabbitmq)",
    )


def resolve_infrastructure(env: dict[str, str] | None = None) -> Infrastructure:
    env = dict(os.environ if env is None else env)
    database_url = env.get("BASSIN_DATABASE_URL")
    amqp_uri = env.get("BASSIN_AMQP_URI")
    management_uri = env.get("BASSIN_RABBIT_MANAGEMENT_URI", LOCAL_MANAGEMENT_URI)
    if database_url and amqp_uri:
        return Infrastructure(database_url, amqp_uri, management_uri, "environment")

    if port_open("127.0.0.1", 5432) and port_open("127.0.0.1", 5672):
        return Infrastructure(
            database_url or LOCAL_DATABASE_URL, amqp_uri or LOCAL_AMQP_URI, management_uri, "localhost"
        )

    if _docker_engine_answers():
        return _start_containers()

    raise InfrastructureMissing(
        "Bassin needs PostgreSQL (15+) and RabbitMQ (3.10+). None was found: set "
        "BASSIN_DATABASE_URL and BASSIN_AMQP_URI, or start them on localhost "
        "(PostgreSQL on 5432 with user postgres, RabbitMQ on 5672 with guest/guest), "
        "or start a Docker engine so that development containers can run them."
    )


def ensure_rabbit_management(management_uri: str) -> None:
    """Enable RabbitMQ's management plugin on a local broker that has it off."""
    host, port = _host_port(management_uri, 15672)
    if port_open(host, port):
        return
    plugins = shutil.which("rabbitmq-plugins")
    if host not in ("127.0.0.1", "localhost") or plugins is None:
        raise InfrastructureMissing(
            f"RabbitMQ's management API does not answer at {host}:{port}; "
            "enable it with: rabbitmq-plugins enable rabbitmq_management"
        )
    subprocess.run([plugins, "enable", "rabbitmq_management"], check=True, capture_output=True)
    if not _wait_for(host, port, 60):
        raise InfrastructureMissing("RabbitMQ's management plugin was enabled but does not answer")
