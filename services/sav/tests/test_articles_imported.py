"""``articles_imported`` (inventory's import, many articles in one event): each article
kept as ``keep_article`` keeps one: created, or brought up to date — in one statement, for this company only."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from sav import events, usecases
from sav.models import Article

ARTICLE = {"sku": "CHL-GAL-5KG", "name": "Chlore lent galets 5 kg", "sale_price": "39.90", "vat_rate": "20.00"}


def imported(*articles: dict[str, Any]) -> dict[str, Any]:
    return events.ArticlesView().load({"articles": list(articles)})


def test_imported_articles_are_kept_like_one_by_one(uow: Any) -> None:
    known, new = uuid.uuid4(), uuid.uuid4()
    with uow() as work:
        usecases.keep_article(work, events.ArticleCreatedView().load({"article_id": str(known), **ARTICLE}))
    with uow(tenant_id=uuid.uuid4()) as other:  # another company's import leaves ours alone
        usecases.keep_articles(other, imported({"article_id": str(uuid.uuid4()), **ARTICLE}))
    with uow() as work:
        usecases.keep_articles(
            work,
            imported(
                {"article_id": str(known), **ARTICLE, "name": "Chlore galets 5 kg"},
                {"article_id": str(new), **ARTICLE, "sku": "PMP-075", "name": "Pompe 0,75 CV", "sale_price": "529.00"},
            ),
        )
    assert work.emitted == []
    with uow() as work:
        names = {row.id: row.name for row in work.session.scalars(select(Article))}
    assert names == {known: "Chlore galets 5 kg", new: "Pompe 0,75 CV"}  # brought up to date, as one by one
