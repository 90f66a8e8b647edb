"""Wire formats of the inventory RPC API (what the gateway sends and receives)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bassin_common.pagination import PageQuery
from bassin_common.schemas import INTEGER_MAX, Money, Percentage, StrictSchema
from inventory.domain import ARTICLE_KINDS, LOCATION_KINDS, REASONS, UNITS, valid_gtin, validate_thresholds
from inventory.events import ARTICLE, SHOP, SUPPLIER

QUANTITY = validate.Range(min=-INTEGER_MAX, max=INTEGER_MAX)
POSITIVE = validate.Range(min=1, max=INTEGER_MAX)
CATEGORY = "c4a7e1d2-3b5f-4c6e-9d8a-1f2e3d4c5b66"
VAN = "d5b8f2e3-4c6a-4d7f-8e9b-2a3f4e5d6c77"
PURCHASE_ORDER = "f1e2d3c4-b5a6-4978-8a6b-5c4d3e2f1a44"


def no_slash(name: str) -> bool:
    if "/" in name:
        raise ValidationError("no '/' (it separates the names of a category's path)")
    return True


def gtin(code: str) -> bool:
    if not valid_gtin(code):
        raise ValidationError("not an EAN-8, EAN-13, UPC-A or GTIN-14 (digits, with the right check digit)")
    return True


THRESHOLD = validate.Range(min=0, max=INTEGER_MAX)

# The fields' examples (metadata, for the API document) are one pool shop's data, with the
# ids of the events' examples.
SALE_ID = "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6"


class LocationInput(StrictSchema):
    """Where stock is kept: the shop, a warehouse (dépôt) or a technician's van."""

    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"example": "MAG", "description": "Unique in the company."},
    )
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Magasin de Nîmes"}
    )
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS), metadata={"example": "shop"})


class LocationOutput(Schema):
    id = fields.UUID(metadata={"example": SHOP})
    code = fields.String(metadata={"example": "MAG"})
    name = fields.String(metadata={"example": "Magasin de Nîmes"})
    kind = fields.String(metadata={"example": "shop"})


class SupplierInput(StrictSchema):
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "HydroSud Distribution"}
    )
    email = fields.Email(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=254),
        metadata={"example": "commandes@hydrosud.fr", "description": "Where purchase orders are e-mailed."},
    )


class SupplierOutput(Schema):
    id = fields.UUID(metadata={"example": SUPPLIER})
    name = fields.String(metadata={"example": "HydroSud Distribution"})
    email = fields.String(allow_none=True, metadata={"example": "commandes@hydrosud.fr"})


class CategoryInput(StrictSchema):
    """A node of the product tree (the till shows the same tree)."""

    name = fields.String(
        required=True, validate=validate.And(validate.Length(min=1, max=100), no_slash), metadata={"example": "Chlore"}
    )
    parent_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"example": CATEGORY, "description": "None: a root."}
    )


class CategoryOutput(Schema):
    id = fields.UUID(metadata={"example": CATEGORY})
    parent_id = fields.UUID(allow_none=True, metadata={"example": None})
    name = fields.String(metadata={"example": "Traitement de l'eau"})
    path = fields.String(metadata={"example": "Traitement de l'eau / Chlore", "description": "Names from the root."})
    depth = fields.Integer(metadata={"example": 1})


class ThresholdsInput(StrictSchema):
    """A stock level's reorder thresholds: under ``minimum``, the basket gets what brings the
    level back to ``maximum``; ``maximum`` 0 means the level is not managed."""

    minimum = fields.Integer(required=True, strict=True, validate=THRESHOLD, metadata={"example": 10})
    maximum = fields.Integer(required=True, strict=True, validate=THRESHOLD, metadata={"example": 60})

    @validates_schema
    def thresholds_are_coherent(self, data: dict, **_: object) -> None:
        if errors := validate_thresholds(data.get("minimum", 0), data.get("maximum", 0)):
            raise ValidationError(errors)


class StockLevelInput(ThresholdsInput):
    location_id = fields.UUID(required=True, metadata={"example": SHOP})
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY, metadata={"example": 40})
    minimum = fields.Integer(load_default=0, strict=True, validate=THRESHOLD, metadata={"example": 10})
    maximum = fields.Integer(load_default=0, strict=True, validate=THRESHOLD, metadata={"example": 60})


class OfferInput(StrictSchema):
    """What one supplier sells the article for."""

    supplier_id = fields.UUID(required=True, metadata={"example": SUPPLIER})
    purchase_price = Money(required=True, metadata={"example": "24.00", "description": "Excluding VAT."})
    supplier_reference = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=60), metadata={"example": "HS-40512"}
    )
    pack_size = fields.Integer(
        load_default=1, strict=True, validate=POSITIVE, metadata={"example": 4, "description": "Sold by packs of."}
    )
    lead_time_days = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=365),
        metadata={"example": 5},
    )
    preferred = fields.Boolean(
        load_default=False, metadata={"example": True, "description": "The one reorders go to (the first if none)."}
    )


class PartInput(StrictSchema):
    article_id = fields.UUID(required=True, metadata={"example": ARTICLE})
    quantity = fields.Integer(required=True, strict=True, validate=POSITIVE, metadata={"example": 1})


class CatalogueFields(StrictSchema):
    """What the catalogue says of an article, a product or a standard service (prestation)."""

    name = fields.String(
        required=True, validate=validate.Length(min=1, max=300), metadata={"example": "Chlore lent galets 5 kg"}
    )
    description = fields.String(
        load_default="", validate=validate.Length(max=5000), metadata={"example": "Galets 250 g, 90 % de chlore."}
    )
    category_id = fields.UUID(load_default=None, allow_none=True, metadata={"example": CATEGORY})
    brand = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100), metadata={"example": "Bayrol"}
    )
    unit = fields.String(load_default="piece", validate=validate.OneOf(UNITS), metadata={"example": "piece"})
    kind = fields.String(
        load_default="product",
        validate=validate.OneOf(ARTICLE_KINDS),
        metadata={"example": "product", "description": "product, or service (a prestation: never stocked)."},
    )
    stocked = fields.Boolean(load_default=True, metadata={"example": True})
    active = fields.Boolean(load_default=True, metadata={"example": True})
    duration_minutes = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=10_000),
        metadata={"example": None, "description": "A service's usual duration."},
    )
    sale_price = Money(required=True, metadata={"example": "39.90", "description": "Including VAT: the shelf price."})
    vat_rate = Percentage(load_default=Decimal("20.00"), metadata={"example": "20.00"})
    purchase_price = Money(
        load_default=None,
        allow_none=True,
        metadata={"example": "24.00", "description": "Excluding VAT; the preferred offer's when there are offers."},
    )
    barcodes = fields.List(
        fields.String(validate=gtin),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"example": ["3760123450010"]},
    )
    offers = fields.List(fields.Nested(OfferInput), load_default=list, validate=validate.Length(max=50))
    parts = fields.List(
        fields.Nested(PartInput),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "A service's default parts.", "example": []},
    )


class ArticleInput(CatalogueFields):
    """A new catalogue article, with its opening stock at some locations."""

    sku = fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={"example": "CHL-GAL-5KG"})
    supplier_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"example": SUPPLIER, "description": "Short for a preferred offer at purchase_price."},
    )
    stock = fields.List(fields.Nested(StockLevelInput), load_default=list)


IMPORT_MAX_ARTICLES = 1000  # per call: one transaction, one articles_imported event


class ArticlesImport(StrictSchema):
    """New articles, each as ``create_article`` takes it, written together."""

    articles = fields.List(
        fields.Nested(ArticleInput), required=True, validate=validate.Length(min=1, max=IMPORT_MAX_ARTICLES)
    )


class ImportedArticle(Schema):
    id = fields.UUID(metadata={"example": ARTICLE})
    sku = fields.String(metadata={"example": "CHL-GAL-5KG"})


class ImportedArticles(Schema):
    """The articles' ids, in the order of the import."""

    articles = fields.List(fields.Nested(ImportedArticle))


class ArticleUpdate(CatalogueFields):
    """The article as the catalogue screen saves it (barcodes, offers and parts replaced)."""

    barcodes = fields.List(
        fields.String(validate=gtin),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"example": ["3760123450027"]},
    )


class ArticleSearch(PageQuery):
    """Articles whose SKU or name contains ``q`` (any case), or with that barcode, by SKU."""

    q = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"example": "chlore", "description": "Text searched in the SKU and the name; empty: every article."},
    )
    barcode = fields.String(load_default=None, validate=validate.Length(max=14), metadata={"example": "3760123450010"})
    category_id = fields.UUID(
        load_default=None, metadata={"example": CATEGORY, "description": "This category and those under it."}
    )
    kind = fields.String(load_default=None, validate=validate.OneOf(ARTICLE_KINDS), metadata={"example": "product"})
    active = fields.Boolean(load_default=None, metadata={"example": True})


PRICE_AGE = 'When the sale price last changed: the age of the price ("last updated 14 months ago").'


class ArticleSummary(Schema):
    id = fields.UUID(metadata={"example": ARTICLE})
    sku = fields.String(metadata={"example": "CHL-GAL-5KG"})
    name = fields.String(metadata={"example": "Chlore lent galets 5 kg"})
    kind = fields.String(metadata={"example": "product"})
    unit = fields.String(metadata={"example": "piece"})
    brand = fields.String(allow_none=True, metadata={"example": "Bayrol"})
    category_id = fields.UUID(allow_none=True, metadata={"example": CATEGORY})
    supplier_id = fields.UUID(allow_none=True, metadata={"example": SUPPLIER})
    sale_price = Money(metadata={"example": "39.90"})
    vat_rate = Percentage(metadata={"example": "20.00"})
    stocked = fields.Boolean(metadata={"example": True})
    active = fields.Boolean(metadata={"example": True})
    price_updated_at = fields.DateTime(metadata={"example": "2026-03-01T08:15:00+00:00", "description": PRICE_AGE})


class StockLevelOutput(Schema):
    """An article's stock at one location, and the version of its thresholds (its ``ETag``)."""

    location_id = fields.UUID(metadata={"example": SHOP})
    location_code = fields.String(metadata={"example": "MAG"})
    location_name = fields.String(metadata={"example": "Magasin de Nîmes"})
    location_kind = fields.String(metadata={"example": "shop"})
    quantity = fields.Integer(metadata={"example": 38, "description": "On hand."})
    reserved = fields.Integer(metadata={"example": 4, "description": "Set aside for worksites and orders."})
    available = fields.Integer(metadata={"example": 34, "description": "On hand minus reserved."})
    minimum = fields.Integer(metadata={"example": 10})
    maximum = fields.Integer(metadata={"example": 60})
    version = fields.Integer(
        metadata={
            "example": 3,
            "description": "Changes with each change of the thresholds (not with sales): the level's ETag.",
        }
    )


class OfferOutput(Schema):
    supplier_id = fields.UUID(metadata={"example": SUPPLIER})
    supplier_name = fields.String(metadata={"example": "HydroSud Distribution"})
    supplier_reference = fields.String(allow_none=True, metadata={"example": "HS-40512"})
    purchase_price = Money(metadata={"example": "24.00"})
    pack_size = fields.Integer(metadata={"example": 4})
    lead_time_days = fields.Integer(allow_none=True, metadata={"example": 5})
    preferred = fields.Boolean(metadata={"example": True})
    price_updated_at = fields.DateTime(metadata={"example": "2026-03-01T08:15:00+00:00", "description": PRICE_AGE})


class PartOutput(Schema):
    article_id = fields.UUID(metadata={"example": ARTICLE})
    sku = fields.String(metadata={"example": "CHL-CHOC-1KG"})
    name = fields.String(metadata={"example": "Chlore choc granulés 1 kg"})
    quantity = fields.Integer(metadata={"example": 2})


class ArticleOutput(ArticleSummary):
    """The whole article: its summary, what it costs, its offers, and its stock everywhere."""

    description = fields.String(metadata={"example": "Galets 250 g, 90 % de chlore."})
    category_path = fields.String(allow_none=True, metadata={"example": "Traitement de l'eau / Chlore"})
    duration_minutes = fields.Integer(allow_none=True, metadata={"example": None})
    sale_price_excl_vat = Money(metadata={"example": "33.25"})
    purchase_price = Money(allow_none=True, metadata={"example": "24.00"})
    version = fields.Integer(metadata={"example": 1, "description": "The article's ETag."})
    barcodes = fields.List(fields.String(), metadata={"example": ["3760123450010"]})
    offers = fields.List(fields.Nested(OfferOutput))
    parts = fields.List(fields.Nested(PartOutput))
    stock = fields.List(fields.Nested(StockLevelOutput))


class BasketLineOutput(Schema):
    """An article to order from a supplier (none chosen yet: null), topped up by reorders."""

    id = fields.UUID(metadata={"example": "e7f6a5b4-c3d2-4e1f-8a9b-0c1d2e3f4a5b"})
    supplier_id = fields.UUID(allow_none=True, metadata={"example": SUPPLIER})
    supplier_name = fields.String(allow_none=True, metadata={"example": "HydroSud Distribution"})
    article_id = fields.UUID(metadata={"example": ARTICLE})
    sku = fields.String(metadata={"example": "CHL-GAL-5KG"})
    article_name = fields.String(metadata={"example": "Chlore lent galets 5 kg"})
    location_id = fields.UUID(allow_none=True, metadata={"example": SHOP})
    location_code = fields.String(allow_none=True, metadata={"example": "MAG"})
    quantity = fields.Integer(metadata={"example": 50})
    status = fields.String(metadata={"example": "open"})
    version = fields.Integer(metadata={"example": 1, "description": "The line's ETag."})
    updated_at = fields.DateTime(metadata={"example": "2026-07-14T10:32:05.120000+00:00"})


class MovementOutput(Schema):
    """One change of a stock level, in the ledger (never edited)."""

    id = fields.Integer(metadata={"example": 1042})
    article_id = fields.UUID(metadata={"example": ARTICLE})
    location_id = fields.UUID(metadata={"example": SHOP})
    delta = fields.Integer(metadata={"example": -2})
    quantity_after = fields.Integer(metadata={"example": 38})
    reason = fields.String(metadata={"example": "sale", "description": ", ".join(REASONS)})
    reference = fields.String(
        allow_none=True, metadata={"example": SALE_ID, "description": "The sale's id, for a sale."}
    )
    created_at = fields.DateTime(metadata={"example": "2026-07-14T10:32:05.120000+00:00"})


class BasketLineUpdate(StrictSchema):
    quantity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=INTEGER_MAX),
        metadata={"example": 60, "description": "0 drops the line from the basket."},
    )


class TransferInput(StrictSchema):
    """Goods moved between two locations (the shop restocks a technician's van)."""

    article_id = fields.UUID(required=True, metadata={"example": ARTICLE})
    from_location_id = fields.UUID(required=True, metadata={"example": SHOP})
    to_location_id = fields.UUID(required=True, metadata={"example": VAN})
    quantity = fields.Integer(required=True, strict=True, validate=POSITIVE, metadata={"example": 1})


class TransferOutput(Schema):
    id = fields.UUID(
        metadata={"example": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d88", "description": "The movements' reference."}
    )
    article_id = fields.UUID(metadata={"example": ARTICLE})
    from_location_id = fields.UUID(metadata={"example": SHOP})
    to_location_id = fields.UUID(metadata={"example": VAN})
    quantity = fields.Integer(metadata={"example": 6})
    from_quantity = fields.Integer(metadata={"example": 32, "description": "On hand at the source after."})
    to_quantity = fields.Integer(metadata={"example": 8, "description": "On hand at the destination after."})


class CountLineInput(StrictSchema):
    article_id = fields.UUID(required=True, metadata={"example": ARTICLE})
    counted = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=INTEGER_MAX), metadata={"example": 37}
    )


class CountInput(StrictSchema):
    """An inventory (inventaire) at one location: what was found on the shelf."""

    location_id = fields.UUID(required=True, metadata={"example": SHOP})
    note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=300),
        metadata={"example": "Inventaire de fin de saison"},
    )
    lines = fields.List(fields.Nested(CountLineInput), required=True, validate=validate.Length(min=1, max=2000))


class CountLineOutput(Schema):
    article_id = fields.UUID(metadata={"example": ARTICLE})
    expected = fields.Integer(metadata={"example": 38, "description": "What the books said."})
    counted = fields.Integer(metadata={"example": 37})
    variance = fields.Integer(metadata={"example": -1, "description": "Counted minus expected: the adjustment."})


class CountOutput(Schema):
    """A stock count and its variance report."""

    id = fields.UUID(metadata={"example": "3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e99"})
    location_id = fields.UUID(metadata={"example": SHOP})
    note = fields.String(allow_none=True, metadata={"example": "Inventaire de fin de saison"})
    counted_at = fields.DateTime(metadata={"example": "2026-10-31T18:02:00+00:00"})
    lines = fields.List(fields.Nested(CountLineOutput))


class LocationStockOutput(StockLevelOutput):
    article_id = fields.UUID(metadata={"example": ARTICLE})
    sku = fields.String(metadata={"example": "CHL-GAL-5KG"})
    article_name = fields.String(metadata={"example": "Chlore lent galets 5 kg"})


class PurchaseOrderInput(StrictSchema):
    """Validate a supplier's part of the basket into a purchase order."""

    supplier_id = fields.UUID(required=True, metadata={"example": SUPPLIER})
    line_ids = fields.List(
        fields.UUID(),
        load_default=None,
        validate=validate.Length(min=1, max=500),
        allow_none=True,
        metadata={"example": None, "description": "Only these basket lines; without: every open line of the supplier."},
    )


class PurchaseOrderQuery(PageQuery):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(("open", "sent", "partially_received", "received")),
        metadata={"example": "open", "description": "open: not received in full."},
    )


class PurchaseOrderSummary(Schema):
    id = fields.UUID(metadata={"example": PURCHASE_ORDER})
    number = fields.String(metadata={"example": "CF-000042"})
    supplier_id = fields.UUID(metadata={"example": SUPPLIER})
    supplier_name = fields.String(metadata={"example": "HydroSud Distribution"})
    status = fields.String(
        metadata={"example": "partially_received", "description": "sent, partially_received, received"}
    )
    expected_on = fields.Date(allow_none=True, metadata={"example": "2026-07-21"})
    late = fields.Boolean(metadata={"example": False, "description": "Expected before today and not received in full."})
    created_at = fields.DateTime(metadata={"example": "2026-07-14T10:32:05+00:00"})
    emailed_at = fields.DateTime(allow_none=True, metadata={"example": None})


class PurchaseOrderLineOutput(Schema):
    id = fields.UUID(metadata={"example": "4d5e6f7a-8b9c-4d0e-9f1a-3b4c5d6e7faa"})
    article_id = fields.UUID(metadata={"example": ARTICLE})
    sku = fields.String(metadata={"example": "CHL-GAL-5KG"})
    article_name = fields.String(metadata={"example": "Chlore lent galets 5 kg"})
    supplier_reference = fields.String(allow_none=True, metadata={"example": "HS-40512"})
    location_id = fields.UUID(metadata={"example": SHOP})
    location_code = fields.String(metadata={"example": "MAG"})
    quantity = fields.Integer(metadata={"example": 456})
    received = fields.Integer(metadata={"example": 200})
    unit_price = Money(allow_none=True, metadata={"example": "24.00"})


class ReceivedLine(StrictSchema):
    article_id = fields.UUID(required=True, metadata={"example": ARTICLE})
    location_id = fields.UUID(required=True, metadata={"example": SHOP})
    quantity = fields.Integer(required=True, strict=True, validate=POSITIVE, metadata={"example": 1})


class ReceiptOutput(Schema):
    id = fields.UUID(metadata={"example": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c55"})
    delivery_note = fields.String(allow_none=True, metadata={"example": "BL-2026-1187"})
    received_at = fields.DateTime(metadata={"example": "2026-07-18T09:10:00+00:00"})
    lines = fields.List(fields.Nested(ReceivedLine))


class PurchaseOrderOutput(PurchaseOrderSummary):
    lines = fields.List(fields.Nested(PurchaseOrderLineOutput))
    receipts = fields.List(fields.Nested(ReceiptOutput))


class ReceiptInput(StrictSchema):
    """A delivery against a purchase order, partial or full."""

    delivery_note = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=60), metadata={"example": "BL-2026-1187"}
    )
    lines = fields.List(fields.Nested(ReceivedLine), required=True, validate=validate.Length(min=1, max=500))


PRICE_LIST_EXAMPLE = (
    "Référence;Désignation;Prix HT;Prix public TTC;Conditionnement\n"
    "HS-40512;Chlore lent galets 5 kg;25,80;42,90;1\n"
    "HS-40977;Chlore choc granulés 1 kg;9,95;17,50;6\n"
)


class PriceListMapping(StrictSchema):
    """Which column (its header) holds what; reference and price are needed, the others
    optional (left out or null: not in the file)."""

    reference = fields.String(
        required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Référence"}
    )
    price = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Prix HT"})
    sku = fields.String(allow_none=True, validate=validate.Length(min=1, max=100), metadata={"example": None})
    ean = fields.String(allow_none=True, validate=validate.Length(min=1, max=100), metadata={"example": None})
    name = fields.String(allow_none=True, validate=validate.Length(min=1, max=100), metadata={"example": "Désignation"})
    retail_price = fields.String(
        allow_none=True, validate=validate.Length(min=1, max=100), metadata={"example": "Prix public TTC"}
    )
    pack_size = fields.String(
        allow_none=True, validate=validate.Length(min=1, max=100), metadata={"example": "Conditionnement"}
    )


class PriceListInput(StrictSchema):
    """A supplier's price list (CSV text, or an Excel workbook in base64) and how to read
    it; the mapping, separator and threshold saved with the supplier's last import are used
    when left out."""

    format = fields.String(
        load_default="csv",
        validate=validate.OneOf(("csv", "xlsx")),
        metadata={"example": "csv", "description": "csv: content is the file's text; xlsx: the workbook in base64."},
    )
    content = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2_000_000),
        metadata={
            "example": PRICE_LIST_EXAMPLE,
            "description": "The CSV file's text, header row first; or the XLSX workbook in base64 (its first sheet).",
        },
    )
    mapping = fields.Nested(PriceListMapping, load_default=None, allow_none=True)
    delimiter = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([";", ",", "\t", "|"]),
        metadata={"example": ";", "description": "Guessed from the header row when left out."},
    )
    price_jump_percent = Percentage(
        load_default=None,
        allow_none=True,
        metadata={"example": "15.00", "description": "A price moving more than this is flagged (default 15)."},
    )


class PriceListApply(PriceListInput):
    unknown = fields.String(
        load_default="skip",
        validate=validate.OneOf(("skip", "create")),
        metadata={"example": "skip", "description": "Unknown references: skipped, or created as articles."},
    )
    accept_price_jumps = fields.Boolean(
        load_default=False, metadata={"example": False, "description": "Apply the flagged price jumps too."}
    )


class PriceListProblem(Schema):
    line = fields.Integer(metadata={"example": 214, "description": "As a spreadsheet numbers it (header: 1)."})
    reference = fields.String(allow_none=True, metadata={"example": "HS-40977"})
    field = fields.String(metadata={"example": "price"})
    message = fields.String(metadata={"example": "not a number: 'sur demande'"})


class PriceJump(Schema):
    line = fields.Integer(metadata={"example": 12})
    reference = fields.String(metadata={"example": "HS-40512"})
    article_id = fields.UUID(metadata={"example": ARTICLE})
    old_price = Money(metadata={"example": "24.00"})
    new_price = Money(metadata={"example": "31.20"})
    change_percent = Percentage(metadata={"example": "30.00"})


class UnknownReference(Schema):
    line = fields.Integer(metadata={"example": 88})
    reference = fields.String(metadata={"example": "HS-51200"})
    name = fields.String(allow_none=True, metadata={"example": "Robot Zodiac Vortex OV 3300"})
    sku = fields.String(allow_none=True, metadata={"example": None})


class PriceListReport(Schema):
    """What the file does (preview) or did (apply), with every line that needs a look."""

    applied = fields.Boolean(metadata={"example": False})
    lines = fields.Integer(metadata={"example": 6500})
    readable = fields.Integer(metadata={"example": 6496})
    price_changes = fields.Integer(metadata={"example": 5820})
    unchanged = fields.Integer(metadata={"example": 640})
    new_offers = fields.Integer(metadata={"example": 12})
    unknown = fields.Integer(metadata={"example": 24})
    price_jump_percent = Percentage(metadata={"example": "15.00"})
    jump_count = fields.Integer(metadata={"example": 3})
    jumps = fields.List(fields.Nested(PriceJump))
    problem_count = fields.Integer(metadata={"example": 4})
    problems = fields.List(fields.Nested(PriceListProblem))
    unknown_lines = fields.List(fields.Nested(UnknownReference))
    repriced = fields.Integer(metadata={"example": 5817, "description": "Applied only."})
    offers_added = fields.Integer(metadata={"example": 12, "description": "Applied only."})
    articles_created = fields.Integer(metadata={"example": 0, "description": "Applied only."})
    skipped_jumps = fields.Integer(metadata={"example": 3, "description": "Applied only."})


class PriceChangeOutput(Schema):
    id = fields.Integer(metadata={"example": 4411})
    kind = fields.String(metadata={"example": "purchase", "description": "sale (VAT incl.) or purchase (excl.)"})
    supplier_id = fields.UUID(allow_none=True, metadata={"example": SUPPLIER})
    supplier_name = fields.String(allow_none=True, metadata={"example": "HydroSud Distribution"})
    old_price = Money(allow_none=True, metadata={"example": "24.00"})
    new_price = Money(metadata={"example": "25.80"})
    source = fields.String(metadata={"example": "price_list", "description": "created, edit or price_list"})
    changed_at = fields.DateTime(metadata={"example": "2027-01-15T09:12:00+00:00"})


class DocumentOutput(Schema):
    """A printable document: its file name, type and content (base64)."""

    filename = fields.String(metadata={"example": "CF-000042.pdf"})
    content_type = fields.String(metadata={"example": "application/pdf"})
    content = fields.String(metadata={"example": "JVBERi0xLjcK", "description": "The file, base64."})
