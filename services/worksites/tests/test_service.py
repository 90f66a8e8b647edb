"""The worksites service in a real nameko container, on PostgreSQL and RabbitMQ."""

from __future__ import annotations

import uuid

from bassin_common.testing import rpc_client


def test_the_service_answers_with_its_database(worksites) -> None:
    with rpc_client(uuid.uuid4()) as rpc:
        assert rpc.worksites.health() == {"service": "worksites", "database": "ok"}
