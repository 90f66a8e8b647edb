"""Building the gateway's long-lived parts from settings (server, tests, admin CLI)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from bassin_common.config import Settings
from bassin_common.database import make_engine
from bassin_common.signing import ContextSigner
from bassin_gateway.app import create_app
from bassin_gateway.rpc import RpcClient
from bassin_gateway.settings import GatewaySettings
from bassin_gateway.tokens import TokenService

SERVICE_NAME = "gateway"  # its database: bassin_gateway
GATEWAY_MIGRATIONS = Path(__file__).parent / "migrations"
POOL_SIZE = 20


def gateway_sessions(settings: Settings) -> sessionmaker[Session]:
    engine = make_engine(settings.service_database_url(SERVICE_NAME), POOL_SIZE, settings=settings)
    return sessionmaker(engine, expire_on_commit=False)


def build_app(settings: GatewaySettings) -> tuple[Flask, RpcClient]:
    """The application and its RPC client (started); refuses a weak signing key first."""
    tokens = TokenService.from_settings(settings)
    rpc = RpcClient(
        settings.amqp_uri,
        timeout=settings.rpc_timeout,
        publish_timeout=settings.rpc_publish_timeout,
        signer=ContextSigner.from_settings(settings),
    )
    app = create_app(rpc.start(), gateway_sessions(settings), tokens, settings)
    app.extensions["bassin"]["overview_cache"].start()
    return app, rpc
