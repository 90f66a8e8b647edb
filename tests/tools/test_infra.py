"""Where the start and test commands find PostgreSQL and RabbitMQ, in the documented order."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from bassin_dev import infra

LOCAL = {"BASSIN_RABBIT_MANAGEMENT_URI": "http://guest:guest@127.0.0.1:15672"}


def test_urls_from_the_environment_come_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(infra, "port_open", lambda *_: pytest.fail("must not probe ports"))
    env = {"BASSIN_DATABASE_URL": "postgresql+psycopg://db.example", "BASSIN_AMQP_URI": "pyamqp://mq.example//"}
    found = infra.resolve_infrastructure(ExitStack(), env, docker_answers=lambda: pytest.fail("no docker"))
    assert (found.database_url, found.amqp_uri, found.origin) == (*env.values(), "environment")


def test_then_servers_listening_on_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        infra, "port_open", lambda host, port: (host, port) in {("127.0.0.1", 5432), ("127.0.0.1", 5672)}
    )
    found = infra.resolve_infrastructure(ExitStack(), LOCAL, docker_answers=lambda: pytest.fail("no docker"))
    assert (found.database_url, found.amqp_uri, found.origin) == (
        infra.LOCAL_DATABASE_URL,
        infra.LOCAL_AMQP_URI,
        "localhost",
    )


def test_then_containers_when_a_docker_engine_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(infra, "port_open", lambda *_: False)
    started = infra.Infrastructure("postgresql+psycopg://c", "pyamqp://c/", "http://c", "containers")
    with ExitStack() as stack:
        monkeypatch.setattr(infra, "start_containers", lambda given: started if given is stack else None)
        assert infra.resolve_infrastructure(stack, LOCAL, docker_answers=lambda: True) is started


def test_otherwise_an_error_that_says_what_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(infra, "port_open", lambda *_: False)
    with pytest.raises(infra.InfrastructureMissing, match="BASSIN_DATABASE_URL and BASSIN_AMQP_URI"):
        infra.resolve_infrastructure(ExitStack(), LOCAL, docker_answers=lambda: False)


def test_the_environment_handed_to_the_tests_names_all_three() -> None:
    found = infra.Infrastructure("postgresql+psycopg://db", "pyamqp://mq/", "http://mgmt", "environment")
    assert found.environment() == {
        "BASSIN_DATABASE_URL": "postgresql+psycopg://db",
        "BASSIN_AMQP_URI": "pyamqp://mq/",
        "BASSIN_RABBIT_MANAGEMENT_URI": "http://mgmt",
    }
