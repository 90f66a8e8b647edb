"""Finding PostgreSQL and RabbitMQ for the start and test commands (developer tooling:
it ships in no image).

Order (DESIGN.md): URLs from the environment, then servers already listening on
localhost, then throwaway containers (testcontainers) when a Docker engine answers, then
a clear error saying what to start. RabbitMQ's management API, which nameko's test
fixtures use, is enabled here when the local broker has it off.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

LOCAL_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
LOCAL_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672/"
LOCAL_MANAGEMENT_URI = "http://guest:guest@127.0.0.1:15672"
POSTGRES_IMAGE = "postgres:15"
RABBITMQ_IMAGE = "rabbitmq:3.10-management"


class InfrastructureMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Infrastructure:
    database_url: str
    amqp_uri: str
    management_uri: str
    origin: str

    def environment(self) -> dict[str, str]:
        return {
            "BASSIN_DATABASE_URL": self.database_url,
            "BASSIN_AMQP_URI": self.amqp_uri,
            "BASSIN_RABBIT_MANAGEMENT_URI": self.management_uri,
        }


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parsed = urlparse(url.replace("postgresql+psycopg", "postgresql"))
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


def docker_engine_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _wait_for_http(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def start_containers(stack: ExitStack) -> Infrastructure:
    """PostgreSQL and RabbitMQ in throwaway containers, stopped when ``stack`` closes.

    RabbitMQ's guest user may log in from loopback only, which a published port is not,
    hence a user of our own.
    """
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.community.rabbitmq import RabbitMqContainer

    postgres = stack.enter_context(
        PostgresContainer(POSTGRES_IMAGE, username="bassin", password="bassin", driver="psycopg")
    )
    rabbitmq = RabbitMqContainer(RABBITMQ_IMAGE, username="bassin", password="bassin").with_exposed_ports(15672)
    stack.enter_context(rabbitmq)
    host = rabbitmq.get_container_host_ip()
    management = f"http://bassin:bassin@{host}:{rabbitmq.get_exposed_port(15672)}"
    if not _wait_for_http(management.replace("bassin:bassin@", "") + "/", 90):
        raise InfrastructureMissing("RabbitMQ's container did not open its management API in 90 s")
    database_url = (
        f"postgresql+psycopg://bassin:bassin@{postgres.get_container_host_ip()}:{postgres.get_exposed_port(5432)}"
    )
    return Infrastructure(
        database_url,
        f"pyamqp://bassin:bassin@{host}:{rabbitmq.get_exposed_port(5672)}/",
        management,
        f"containers ({POSTGRES_IMAGE}, {RABBITMQ_IMAGE}), removed on exit",
    )


def resolve_infrastructure(
    stack: ExitStack, env: Mapping[str, str] | None = None, docker_answers=docker_engine_answers
) -> Infrastructure:
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

    if docker_answers():
        return start_containers(stack)

    raise InfrastructureMissing(
        "Bassin needs PostgreSQL (15+) and RabbitMQ (3.10+). None was found: set "
        "BASSIN_DATABASE_URL and BASSIN_AMQP_URI, or start them on localhost "
        "(PostgreSQL on 5432 with user postgres, RabbitMQ on 5672 with guest/guest), "
        "or start a Docker engine so that throwaway containers can run them."
    )


@contextmanager
def infrastructure() -> Iterator[Infrastructure]:
    """The servers to use, for as long as the ``with`` block lasts."""
    with ExitStack() as stack:
        yield resolve_infrastructure(stack)


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
    deadline = time.monotonic() + 60
    while not port_open(host, port):
        if time.monotonic() > deadline:
            raise InfrastructureMissing("RabbitMQ's management plugin was enabled but does not answer")
        time.sleep(0.5)
