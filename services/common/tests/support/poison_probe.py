"""A test-only service whose handler kills its own process on one event: the poison
message of ``test_quorum_queues.py``. It runs as a real process, as ``bassin-run`` runs a
service (the platform's nameko configuration, from the ``BASSIN_*`` environment):

    python -m poison_probe

It is the platform tests' service (``common_test_models``): its database is theirs, and
it makes a widget of every ``elsewhere``/``widget_ordered`` event, except the one named
``POISON``, which ends the process before anything is committed or acknowledged.
"""

from __future__ import annotations

import eventlet

import bassin_common  # noqa: F401  (first: quiets eventlet's notice, picks psycopg's wait function)

eventlet.monkey_patch()

import os
import sys
from typing import Any

from common_test_models import PLATFORM_TESTS, Widget
from marshmallow import fields

from bassin_common.events import EventView
from bassin_common.service import BassinService, consume
from bassin_common.uow import UnitOfWork

POISON = "poison"
EXIT_CODE = 70  # what a crash looks like to the supervisor


class WidgetOrdered(EventView):
    name = fields.String(required=True)


def make_widget_or_die(uow: UnitOfWork, data: dict[str, Any]) -> None:
    if data["name"] == POISON:
        os._exit(EXIT_CODE)  # no cleanup, no ack: as a segfault or the OOM killer would
    uow.session.add(Widget(name=data["name"]))


class PoisonProbe(BassinService):
    name = PLATFORM_TESTS

    on_widget_ordered = consume("elsewhere", "widget_ordered", WidgetOrdered, make_widget_or_die)


if __name__ == "__main__":
    from nameko.cli import cli

    from bassin_common.run import CONFIG

    sys.exit(cli(["run", "--config", str(CONFIG), "poison_probe:PoisonProbe"], prog_name="poison_probe"))
