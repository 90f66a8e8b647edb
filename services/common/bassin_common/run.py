"""``bassin-run SERVICE``: run one registered service, as every environment does (the
start command, the tests' service processes, the containers).

It is ``nameko run`` with the platform's configuration (``nameko.yml`` beside this file,
filled from the ``BASSIN_*`` environment) and the service class found in the registry.
It refuses to start with the development context key, or none (``bassin_common.signing``).
"""

from __future__ import annotations

import eventlet

import bassin_common  # noqa: F401  (first: quiets eventlet's notice, picks psycopg's wait function)

eventlet.monkey_patch()  # before the service's modules import kombu, psycopg and sqlalchemy

import argparse
import sys
from pathlib import Path

from nameko.cli import cli

from bassin_common.config import load_settings
from bassin_common.registry import find_service
from bassin_common.signing import InsecureContextKeys, check_context_keys

CONFIG = Path(__file__).with_name("nameko.yml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bassin-run", description=__doc__.split("\n")[0])
    parser.add_argument("service", help="the name of a registered service")
    args = parser.parse_args(argv)
    try:
        check_context_keys(load_settings().context_keys)
    except InsecureContextKeys as error:
        raise SystemExit(f"bassin-run: refusing to start: {error}") from None
    service = find_service(args.service)
    return cli(["run", "--config", str(CONFIG), service.nameko_target], prog_name="bassin-run")


if __name__ == "__main__":
    sys.exit(main())
