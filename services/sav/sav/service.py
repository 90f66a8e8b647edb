"""The sav nameko service: RPC and event entrypoints, nothing else."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from bassin_common.config import settings_from_nameko
from bassin_common.documents import download
from bassin_common.mail import Mailer, mailer_from_settings
from bassin_common.pagination import PageQuery, page_of
from bassin_common.permissions import (
    MANAGE_SERVICE_TICKETS,
    MANAGE_WARRANTY_RETURNS,
    PERFORM_INTERVENTIONS,
    READ_BRAND_WARRANTY_RETURNS,
    READ_BUSINESS_DATA,
    READ_OWN_CUSTOMER_ACCOUNT,
)
from bassin_common.service import BassinService, consume, rpc
from bassin_common.uow import UnitOfWork
from sav import events, schemas, slips, usecases

TICKETS, PERFORM, RETURNS, READ = (
    MANAGE_SERVICE_TICKETS,
    PERFORM_INTERVENTIONS,
    MANAGE_WARRANTY_RETURNS,
    READ_BUSINESS_DATA,
)


@cache
def mailer() -> Mailer:
    return mailer_from_settings(settings_from_nameko())


class SavService(BassinService):
    name = "sav"

    # --- tickets and equipment ---
    @rpc(requires=TICKETS, accepts=schemas.TicketInput, returns=schemas.TicketOutput, idempotent=True)
    def open_ticket(self, uow: UnitOfWork, ticket: dict[str, Any]) -> Any:
        return usecases.open_ticket(uow, ticket)

    @rpc(requires=READ, returns=schemas.TicketOutput)
    def get_ticket(self, uow: UnitOfWork, ticket_id: uuid.UUID) -> Any:
        return usecases.get_ticket(uow, ticket_id)

    @rpc(requires=READ, accepts=schemas.TicketQuery, returns=page_of(schemas.TicketOutput))
    def list_tickets(self, uow: UnitOfWork, query: dict[str, Any]) -> Any:
        return usecases.list_tickets(uow, query)

    @rpc(requires=READ, returns=schemas.EquipmentOutput)
    def get_equipment(self, uow: UnitOfWork, equipment_id: uuid.UUID) -> Any:
        return usecases.get_equipment(uow, equipment_id)

    # --- qualification ---
    @rpc(requires=TICKETS, accepts=schemas.QuestionTreeInput, returns=schemas.QuestionTreeOutput, idempotent=True)
    def create_question_tree(self, uow: UnitOfWork, tree: dict[str, Any]) -> Any:
        return usecases.create_question_tree(uow, tree)

    @rpc(requires=READ, returns=schemas.QuestionTreeOutput)
    def get_question_tree(self, uow: UnitOfWork, tree_id: uuid.UUID) -> Any:
        return usecases.get_question_tree(uow, tree_id)

    @rpc(requires=READ, accepts=PageQuery, returns=page_of(schemas.QuestionTreeOutput))
    def list_question_trees(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_question_trees(uow, page)

    @rpc(requires=READ, returns=schemas.QualificationOutput)
    def get_qualification(self, uow: UnitOfWork, ticket_id: uuid.UUID) -> Any:
        return usecases.get_qualification(uow, ticket_id)

    @rpc(requires=TICKETS, accepts=schemas.QualificationInput, returns=schemas.QualificationOutput, idempotent=True)
    def qualify_ticket(self, uow: UnitOfWork, ticket_id: uuid.UUID, qualification: dict[str, Any]) -> Any:
        return usecases.qualify_ticket(uow, ticket_id, qualification)

    # --- recurring interventions from maintenance contracts ---
    @rpc(requires=TICKETS, accepts=schemas.MaintenancePlanInput, returns=schemas.MaintenancePlanOutput, idempotent=True)
    def set_maintenance_plan(self, uow: UnitOfWork, plan: dict[str, Any]) -> Any:
        return usecases.set_maintenance_plan(uow, plan)

    @rpc(requires=READ, accepts=PageQuery, returns=page_of(schemas.MaintenancePlanOutput))
    def list_maintenance_plans(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_maintenance_plans(uow, page)

    @rpc(requires=TICKETS, accepts=schemas.GenerationInput, returns=schemas.GenerationOutput, idempotent=True)
    def generate_planned_visits(self, uow: UnitOfWork, generation: dict[str, Any]) -> Any:
        return usecases.generate_planned_visits(uow, generation)

    # --- technicians and standard services ---
    @rpc(requires=TICKETS, accepts=schemas.TechnicianInput, returns=schemas.TechnicianOutput, idempotent=True)
    def create_technician(self, uow: UnitOfWork, technician: dict[str, Any]) -> Any:
        return usecases.create_technician(uow, technician)

    @rpc(requires=READ, accepts=PageQuery, returns=page_of(schemas.TechnicianOutput))
    def list_technicians(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_technicians(uow, page)

    @rpc(requires=READ, returns=schemas.TechnicianOutput)
    def get_technician(self, uow: UnitOfWork, technician_id: uuid.UUID) -> Any:
        return usecases.get_technician(uow, technician_id)

    @rpc(requires=READ, accepts=schemas.DayQuery, returns=schemas.DayOutput)
    def get_technician_day(self, uow: UnitOfWork, technician_id: uuid.UUID, query: dict[str, Any]) -> Any:
        return usecases.technician_day(uow, technician_id, query)

    @rpc(requires=READ, accepts=schemas.FreeSlotsQuery, returns=schemas.FreeSlotsOutput)
    def get_free_slots(self, uow: UnitOfWork, technician_id: uuid.UUID, query: dict[str, Any]) -> Any:
        return usecases.technician_free_slots(uow, technician_id, query)

    @rpc(requires=TICKETS, accepts=schemas.DayQuery, returns=schemas.RouteOutput)
    def get_route_of_day(self, uow: UnitOfWork, technician_id: uuid.UUID, query: dict[str, Any]) -> Any:
        return usecases.route_of_day(uow, technician_id, query)

    @rpc(requires=TICKETS, accepts=schemas.StandardServiceInput, returns=schemas.StandardServiceOutput, idempotent=True)
    def create_standard_service(self, uow: UnitOfWork, service: dict[str, Any]) -> Any:
        return usecases.create_standard_service(uow, service)

    @rpc(requires=READ, accepts=PageQuery, returns=page_of(schemas.StandardServiceOutput))
    def list_standard_services(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_standard_services(uow, page)

    # --- interventions ---
    @rpc(requires=TICKETS, accepts=schemas.InterventionInput, returns=schemas.InterventionOutput, idempotent=True)
    def schedule_intervention(self, uow: UnitOfWork, intervention: dict[str, Any]) -> Any:
        return usecases.schedule_intervention(uow, intervention)

    @rpc(requires=READ, returns=schemas.InterventionOutput)
    def get_intervention(self, uow: UnitOfWork, intervention_id: uuid.UUID) -> Any:
        return usecases.get_intervention(uow, intervention_id)

    @rpc(requires=TICKETS, accepts=schemas.SlotInput, returns=schemas.InterventionOutput, idempotent=True)
    def move_intervention(self, uow: UnitOfWork, intervention_id: uuid.UUID, slot: dict[str, Any]) -> Any:
        return usecases.move_intervention(uow, intervention_id, slot)

    @rpc(requires=PERFORM, accepts=schemas.ReportInput, returns=schemas.InterventionOutput, idempotent=True)
    def record_report(
        self, uow: UnitOfWork, intervention_id: uuid.UUID, if_match: list[str], report: dict[str, Any]
    ) -> Any:
        return usecases.record_report(uow, intervention_id, if_match, report)

    @rpc(requires=PERFORM, accepts=schemas.PhotoInput, returns=schemas.PhotoOutput, idempotent=True)
    def add_intervention_photo(self, uow: UnitOfWork, intervention_id: uuid.UUID, photo: dict[str, Any]) -> Any:
        return usecases.add_intervention_photo(uow, intervention_id, photo)

    @rpc(requires=READ, accepts=PageQuery, returns=page_of(schemas.PhotoOutput))
    def list_intervention_photos(self, uow: UnitOfWork, intervention_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.intervention_photos(uow, intervention_id, page)

    @rpc(requires=RETURNS, accepts=schemas.PhotoInput, returns=schemas.PhotoOutput, idempotent=True)
    def add_return_photo(self, uow: UnitOfWork, return_id: uuid.UUID, photo: dict[str, Any]) -> Any:
        return usecases.add_return_photo(uow, return_id, photo)

    @rpc(requires=READ, accepts=PageQuery, returns=page_of(schemas.PhotoOutput))
    def list_return_photos(self, uow: UnitOfWork, return_id: uuid.UUID, page: dict[str, Any]) -> Any:
        return usecases.return_photos(uow, return_id, page)

    @rpc(requires=PERFORM, accepts=schemas.SignatureInput, returns=schemas.InterventionOutput, idempotent=True)
    def sign_intervention(self, uow: UnitOfWork, intervention_id: uuid.UUID, signature: dict[str, Any]) -> Any:
        return usecases.sign_and_complete(uow, intervention_id, signature)

    @rpc(requires=READ, returns=schemas.SlipVerification)
    def verify_slip(self, uow: UnitOfWork, intervention_id: uuid.UUID) -> Any:
        return usecases.verify_slip(uow, intervention_id)

    @rpc(requires=PERFORM, accepts=schemas.SendSlipInput, returns=schemas.InterventionOutput)
    def send_slip(self, uow: UnitOfWork, intervention_id: uuid.UUID, sending: dict[str, Any]) -> Any:
        # The e-mail leaves before the sending is recorded: a failed record means the user
        # sees it unsent and may send it again (a duplicate e-mail, never a lost one).
        slip, to = usecases.slip_to_send(uow, intervention_id, sending["to"])
        slips.send_slip(mailer(), slip, to)
        return usecases.record_slip_sent(uow, intervention_id, to)

    # --- manufacturer returns ---
    @rpc(requires=RETURNS, accepts=schemas.WarrantyReturnInput, returns=schemas.WarrantyReturnOutput, idempotent=True)
    def request_warranty_return(self, uow: UnitOfWork, warranty_return: dict[str, Any]) -> Any:
        return usecases.request_warranty_return(uow, warranty_return)

    @rpc(requires=READ, returns=schemas.WarrantyReturnOutput)
    def get_warranty_return(self, uow: UnitOfWork, return_id: uuid.UUID) -> Any:
        return usecases.get_warranty_return(uow, return_id)

    @rpc(requires=READ, accepts=PageQuery, returns=page_of(schemas.WarrantyReturnOutput))
    def list_warranty_returns(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.list_warranty_returns(uow, page)

    @rpc(requires=RETURNS, accepts=schemas.ReturnStatusInput, returns=schemas.WarrantyReturnOutput, idempotent=True)
    def change_warranty_return_status(self, uow: UnitOfWork, return_id: uuid.UUID, change: dict[str, Any]) -> Any:
        return usecases.change_return_status(uow, return_id, change)

    # --- the customer's portal: their own tickets, interventions and slips ---
    @rpc(
        requires=READ_OWN_CUSTOMER_ACCOUNT,
        accepts=schemas.ServiceRequestInput,
        returns=schemas.TicketOutput,
        idempotent=True,
    )
    def portal_request_service(self, uow: UnitOfWork, request: dict[str, Any]) -> Any:
        return usecases.request_service(uow, request)

    @rpc(requires=READ_OWN_CUSTOMER_ACCOUNT, accepts=PageQuery, returns=page_of(schemas.TicketOutput))
    def portal_list_tickets(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.own_tickets(uow, page)

    @rpc(requires=READ_OWN_CUSTOMER_ACCOUNT, accepts=PageQuery, returns=page_of(schemas.InterventionOutput))
    def portal_list_interventions(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.own_interventions(uow, page)

    @rpc(requires=READ_OWN_CUSTOMER_ACCOUNT, returns=schemas.DocumentOutput)
    def portal_slip_pdf(self, uow: UnitOfWork, intervention_id: uuid.UUID) -> Any:
        slip = usecases.own_slip(uow, intervention_id)
        pdf = slips.slip_pdf(slip)
        filename = f"bon-intervention-{slip['ticket_number']}.pdf"
        return download(filename, pdf)

    # --- the manufacturer's portal: its own brand's returns ---
    @rpc(requires=READ_BRAND_WARRANTY_RETURNS, accepts=PageQuery, returns=page_of(schemas.WarrantyReturnOutput))
    def partner_list_returns(self, uow: UnitOfWork, page: dict[str, Any]) -> Any:
        return usecases.brand_returns(uow, page)

    @rpc(requires=READ_BRAND_WARRANTY_RETURNS, returns=schemas.WarrantyReturnOutput)
    def partner_get_return(self, uow: UnitOfWork, return_id: uuid.UUID) -> Any:
        return usecases.get_brand_return(uow, return_id)

    @rpc(
        requires=READ_BRAND_WARRANTY_RETURNS,
        accepts=schemas.ReturnStatusInput,
        returns=schemas.WarrantyReturnOutput,
        idempotent=True,
    )
    def partner_answer_return(self, uow: UnitOfWork, return_id: uuid.UUID, change: dict[str, Any]) -> Any:
        return usecases.answer_brand_return(uow, return_id, change)

    # --- local copies of inventory's vans and parts ---
    on_location_created = consume("inventory", "location_created", events.LocationCreatedView, usecases.keep_location)
    on_article_created = consume("inventory", "article_created", events.ArticleCreatedView, usecases.keep_article)
    on_articles_imported = consume("inventory", "articles_imported", events.ArticlesView, usecases.keep_articles)

    # --- local copies of customers' and worksites' facts ---
    on_customer_created = consume("customers", "customer_created", events.CustomerView, usecases.keep_customer)
    on_customer_updated = consume("customers", "customer_updated", events.CustomerView, usecases.keep_customer)
    on_equipment_installed = consume(
        "customers", "equipment_installed", events.EquipmentInstalledView, usecases.keep_equipment
    )
    on_equipment_replaced = consume(
        "customers", "equipment_replaced", events.EquipmentReplacedView, usecases.keep_replaced_equipment
    )
    on_contract_signed = consume("customers", "contract_signed", events.ContractSignedView, usecases.keep_contract)
    on_customers_imported = consume(
        "customers", "customers_imported", events.CustomersImportedView, usecases.keep_imported
    )
    on_project_completed = consume(
        "worksites", "project_completed", events.ProjectCompletedView, usecases.keep_handover
    )
