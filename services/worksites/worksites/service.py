"""The worksites nameko service: RPC and event entrypoints, nothing else."""

from __future__ import annotations

import uuid
from typing import Any

from bassin_common.pagination import PageQuery, page_of
from bassin_common.permissions import (
    PLAN_WORKSITES,
    READ_BUSINESS_DATA,
    READ_OWN_CUSTOMER_ACCOUNT,
    RUN_WORKSITE_STEPS,
)
from bassin_common.service import BassinService, consume, rpc
from bassin_common.uow import UnitOfWork
from worksites import events, schemas, usecases

PLAN, READ, RUN = PLAN_WORKSITES, READ_BUSINESS_DATA, RUN_WORKSITE_STEPS


class WorksitesService(BassinService):
    name = "worksites"

    # --- pool types and their construction templates ---
    @rpc(requires=READ, accepts=PageQuery, returns=page_of(schemas.PoolTypeSummary))
    def list_pool_types(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_pool_types(uow, page)

    @rpc(requires=READ, returns=schemas.PoolTypeOutput)
    def get_pool_type(self, uow: UnitOfWork, pool_type_id: uuid.UUID) -> Any:
        return usecases.get_pool_type(uow, pool_type_id)

    @rpc(requires=PLAN, accepts=schemas.PoolTypeInput, returns=schemas.PoolTypeOutput, idempotent=True)
    def create_pool_type(self, uow: UnitOfWork, pool_type: dict[str, Any]) -> Any:
        return usecases.create_pool_type(uow, pool_type)

    @rpc(requires=PLAN, accepts=schemas.PoolTypeInput, returns=schemas.PoolTypeOutput, idempotent=True)
    def update_pool_type(
        self, uow: UnitOfWork, pool_type_id: uuid.UUID, if_match: list[str], pool_type: dict[str, Any]
    ) -> Any:
        return usecases.update_pool_type(uow, pool_type_id, if_match, pool_type)

    # --- crews ---
    @rpc(requires=READ, accepts=PageQuery, returns=page_of(schemas.CrewOutput))
    def list_crews(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_crews(uow, page)

    @rpc(requires=PLAN, accepts=schemas.CrewInput, returns=schemas.CrewOutput, idempotent=True)
    def create_crew(self, uow: UnitOfWork, crew: dict[str, Any]) -> Any:
        return usecases.create_crew(uow, crew)

    @rpc(requires=READ, returns=schemas.CrewOutput)
    def get_crew(self, uow: UnitOfWork, crew_id: uuid.UUID) -> Any:
        return usecases.get_crew(uow, crew_id)

    @rpc(requires=PLAN, accepts=schemas.CrewInput, returns=schemas.CrewOutput, idempotent=True)
    def update_crew(self, uow: UnitOfWork, crew_id: uuid.UUID, if_match: list[str], crew: dict[str, Any]) -> Any:
        return usecases.update_crew(uow, crew_id, if_match, crew)

    @rpc(requires=READ, accepts=schemas.AgendaQuery, returns=schemas.AgendaOutput)
    def crew_agenda(self, uow: UnitOfWork, crew_id: uuid.UUID, period: dict[str, Any]) -> Any:
        return usecases.crew_agenda(uow, crew_id, period)

    # --- projects and the planner ---
    @rpc(requires=READ, accepts=schemas.ProjectSearch, returns=page_of(schemas.ProjectSummary))
    def list_projects(self, uow: UnitOfWork, search: dict[str, Any]) -> Any:
        return usecases.list_projects(uow, search)

    @rpc(requires=READ, returns=schemas.ProjectOutput)
    def get_project(self, uow: UnitOfWork, project_id: uuid.UUID) -> Any:
        return usecases.get_project(uow, project_id)

    @rpc(requires=PLAN, accepts=schemas.ProjectUpdate, returns=schemas.ProjectOutput, idempotent=True)
    def update_project(
        self, uow: UnitOfWork, project_id: uuid.UUID, if_match: list[str], project: dict[str, Any]
    ) -> Any:
        return usecases.update_project(uow, project_id, if_match, project)

    @rpc(requires=PLAN, accepts=schemas.PlanInput, returns=schemas.PlanOutput, idempotent=True)
    def plan_project(self, uow: UnitOfWork, project_id: uuid.UUID, plan: dict[str, Any]) -> Any:
        return usecases.plan_project(uow, project_id, plan)

    @rpc(requires=PLAN, accepts=schemas.MoveInput, returns=schemas.PlanOutput, idempotent=True)
    def move_task(self, uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, move: dict[str, Any]) -> Any:
        return usecases.move_task(uow, project_id, task_id, move)

    @rpc(requires=PLAN, accepts=schemas.MoveInput, returns=schemas.MovePreviewOutput)
    def preview_move_task(
        self, uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, move: dict[str, Any]
    ) -> Any:
        return usecases.preview_move(uow, project_id, task_id, move)

    @rpc(requires=RUN, accepts=schemas.BlockInput, returns=schemas.PlanOutput, idempotent=True)
    def block_task(self, uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, block: dict[str, Any]) -> Any:
        return usecases.block_task(uow, project_id, task_id, block)

    @rpc(requires=RUN, returns=schemas.PlanOutput, idempotent=True)
    def unblock_task(self, uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID) -> Any:
        return usecases.unblock_task(uow, project_id, task_id)

    # --- execution on site ---
    @rpc(requires=RUN, returns=schemas.TaskOutput, idempotent=True)
    def start_task(self, uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID) -> Any:
        return usecases.start_task(uow, project_id, task_id)

    @rpc(requires=RUN, returns=schemas.TaskOutput, idempotent=True)
    def complete_task(self, uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID) -> Any:
        return usecases.complete_task(uow, project_id, task_id)

    @rpc(requires=RUN, accepts=schemas.NoteInput, returns=schemas.NoteOutput, idempotent=True)
    def add_note(self, uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, note: dict[str, Any]) -> Any:
        return usecases.add_note(uow, project_id, task_id, note)

    @rpc(requires=READ, accepts=PageQuery, returns=page_of(schemas.NoteOutput))
    def list_notes(self, uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.list_notes(uow, project_id, task_id, page)

    @rpc(requires=RUN, accepts=schemas.PhotoInput, returns=schemas.PhotoOutput, idempotent=True)
    def add_photo(self, uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, photo: dict[str, Any]) -> Any:
        return usecases.add_photo(uow, project_id, task_id, photo)

    @rpc(requires=READ, accepts=PageQuery, returns=page_of(schemas.PhotoOutput))
    def list_photos(self, uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.list_photos(uow, project_id, task_id, page)

    @rpc(requires=READ, returns=schemas.PhotoContent)
    def get_photo(self, uow: UnitOfWork, project_id: uuid.UUID, task_id: uuid.UUID, photo_id: uuid.UUID) -> Any:
        return usecases.get_photo(uow, project_id, task_id, photo_id)

    @rpc(requires=RUN, accepts=schemas.HandoverInput, returns=schemas.ProjectOutput, idempotent=True)
    def hand_over(self, uow: UnitOfWork, project_id: uuid.UUID, handover: dict[str, Any]) -> Any:
        return usecases.hand_over(uow, project_id, handover)

    @rpc(requires=READ, returns=schemas.DocumentOutput)
    def handover_report(self, uow: UnitOfWork, project_id: uuid.UUID, company_name: str) -> Any:
        return usecases.handover_report(uow, project_id, company_name)

    # --- the season auto-plan ---
    @rpc(requires=PLAN, accepts=schemas.SeasonInput, returns=schemas.SeasonPlanOutput, idempotent=True)
    def propose_season_plan(self, uow: UnitOfWork, season: dict[str, Any]) -> Any:
        return usecases.propose_season_plan(uow, season)

    @rpc(requires=READ, returns=schemas.SeasonPlanOutput)
    def get_season_plan(self, uow: UnitOfWork, proposal_id: uuid.UUID) -> Any:
        return usecases.get_season_plan(uow, proposal_id)

    @rpc(requires=PLAN, returns=schemas.SeasonPlanOutput, idempotent=True)
    def accept_season_plan(self, uow: UnitOfWork, proposal_id: uuid.UUID) -> Any:
        return usecases.accept_season_plan(uow, proposal_id)

    # --- the customer's portal ---
    @rpc(requires=READ_OWN_CUSTOMER_ACCOUNT, accepts=PageQuery, returns=page_of(schemas.PortalProject))
    def portal_list_projects(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.portal_list_projects(uow, page)

    @rpc(requires=READ_OWN_CUSTOMER_ACCOUNT, returns=schemas.PortalProject)
    def portal_get_project(self, uow: UnitOfWork, project_id: uuid.UUID) -> Any:
        return usecases.portal_get_project(uow, project_id)

    on_order_confirmed = consume(
        "customers", "order_confirmed", events.OrderConfirmedView, usecases.create_project_from_order
    )
    on_article_created = consume("inventory", "article_created", events.ArticleCreatedView, usecases.remember_article)
    on_articles_imported = consume("inventory", "articles_imported", events.ArticlesView, usecases.remember_articles)
    on_location_created = consume(
        "inventory", "location_created", events.LocationCreatedView, usecases.remember_location
    )
    on_customer_created = consume("customers", "customer_created", events.CustomerView, usecases.remember_customer)
    on_customer_updated = consume("customers", "customer_updated", events.CustomerView, usecases.remember_customer)
    on_customers_imported = consume(
        "customers", "customers_imported", events.CustomersImportedView, usecases.remember_imported_customers
    )
