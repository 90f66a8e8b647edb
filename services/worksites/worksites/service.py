"""The worksites nameko service: RPC and event entrypoints, nothing else."""

from __future__ import annotations

from bassin_common.service import BassinService


class WorksitesService(BassinService):
    name = "worksites"
