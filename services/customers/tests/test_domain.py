"""The customer file's rules, without database or broker: pool volumes, water targets,
the Langelier index against the trade's published table, the dosage in the tenant's own
products, warranty and end-of-life dates, contract terms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bassin_common.errors import ValidationFailed
from customers import domain
from customers.domain import (
    Badge,
    Balance,
    Category,
    Coating,
    ContractTerm,
    Kind,
    Level,
    Parameter,
    Product,
    Role,
    Shape,
    Treatment,
    add_months,
    assess,
    badge,
    default_targets,
    display_name,
    end_of_life,
    fold,
    langelier_index,
    phone_terms,
    pool_volume,
    query_alternatives,
    query_terms,
    recommend,
    search_terms,
    serial_term,
    targets_for,
    warranty_end,
    words,
)

D = Decimal


@pytest.mark.parametrize(
    ("shape", "length", "width", "depth", "volume"),
    [
        (Shape.RECTANGLE, "8", "4", "1.5", "48.0"),
        (Shape.ROUND, "4.6", "0", "1.2", "19.9"),  # π x 2.3² x 1.2
        (Shape.OVAL, "6.1", "3.66", "1.2", "21.0"),  # π x 3.05 x 1.83 x 1.2
        (Shape.FREEFORM, "9", "4.5", "1.4", "48.2"),  # its bounding box x 0.85
    ],
)
def test_the_volume_follows_the_shape(shape: Shape, length: str, width: str, depth: str, volume: str) -> None:
    assert pool_volume(shape, D(length), D(width), D(depth)) == D(volume)


def test_a_dimension_that_is_not_positive_is_refused_by_name() -> None:
    with pytest.raises(ValidationFailed) as refused:
        pool_volume(Shape.RECTANGLE, D("8"), D("-4"), D("0"))
    assert set(refused.value.errors) == {"width", "mean_depth"}


# The trade's table form: SI = pH + TF + CF + AF - 12.1, with the published factors
# (temperature, calcium hardness, total alkalinity) rounded to a tenth: the continuous
# formula must agree within that resolution.
TABLE_EXAMPLES = [
    # pH, °C, CH, TA, table SI
    ("7.5", 29, 300, 100, "0.2"),
    ("7.2", 24, 200, 75, "-0.5"),
    ("7.8", 16, 400, 150, "0.5"),
    ("7.0", 12, 100, 50, "-1.5"),
    ("7.6", 34, 250, 125, "0.4"),
]


@pytest.mark.parametrize(("ph", "temperature", "hardness", "alkalinity", "table"), TABLE_EXAMPLES)
def test_the_langelier_index_agrees_with_the_published_table(ph, temperature, hardness, alkalinity, table) -> None:
    index = langelier_index(D(ph), D(temperature), D(hardness), D(alkalinity), tds=D(1000))
    assert abs(index - D(table)) <= D("0.15"), (index, table)


def test_the_balance_is_told_from_the_index() -> None:
    def balance(ph: str) -> Balance:
        measured = {
            Parameter.PH: D(ph),
            Parameter.TEMPERATURE: D(26),
            Parameter.CALCIUM_HARDNESS: D(250),
            Parameter.TOTAL_ALKALINITY: D(100),
        }
        return assess(measured, default_targets(Coating.TILES, Treatment.CHLORINE), Treatment.CHLORINE).balance

    assert (balance("6.8"), balance("7.5"), balance("8.2")) == (Balance.CORROSIVE, Balance.BALANCED, Balance.SCALING)


def test_targets_depend_on_coating_and_treatment_and_tenants_may_change_them() -> None:
    liner = default_targets(Coating.LINER, Treatment.CHLORINE)
    tiles = default_targets(Coating.TILES, Treatment.SALT)
    assert (liner[Parameter.CALCIUM_HARDNESS].low, tiles[Parameter.CALCIUM_HARDNESS].low) == (D(150), D(200))
    assert Parameter.SALT not in liner and tiles[Parameter.SALT].aim == D(3200)
    assert tiles[Parameter.CYANURIC_ACID].high <= D(75) < liner[Parameter.CYANURIC_ACID].high + 30
    bromine = default_targets(Coating.TILES, Treatment.BROMINE)
    assert Parameter.FREE_CHLORINE not in bromine and Parameter.BROMINE in bromine
    from customers.domain import Target

    own = targets_for(Coating.LINER, Treatment.CHLORINE, {Parameter.PH: Target(D("7.0"), D("7.4"))})
    assert (own[Parameter.PH].high, own[Parameter.TOTAL_ALKALINITY]) == (D("7.4"), liner[Parameter.TOTAL_ALKALINITY])


def test_impossible_values_are_refused_by_parameter() -> None:
    with pytest.raises(ValidationFailed) as refused:
        assess({Parameter.PH: D(42), Parameter.TEMPERATURE: D(99)}, {}, Treatment.CHLORINE)
    assert set(refused.value.errors) == {"ph", "temperature"}


SHOP = {
    Role.PH_PLUS: Product(Role.PH_PLUS, "art-ph-plus", "pH plus poudre 5 kg"),
    Role.PH_MINUS: Product(Role.PH_MINUS, "art-ph-moins", "pH moins poudre 6 kg"),
    Role.ALKALINITY_PLUS: Product(Role.ALKALINITY_PLUS, "art-tac", "TAC plus 5 kg"),
    Role.CHLORINE_SHOCK: Product(Role.CHLORINE_SHOCK, "art-choc", "Chlore choc granulés 1 kg"),
}


def test_low_ph_and_too_much_stabiliser_give_a_dose_of_the_tenants_product_and_a_renewal() -> None:
    measured = {Parameter.PH: D("6.8"), Parameter.CYANURIC_ACID: D(110), Parameter.FREE_CHLORINE: D("1.5")}
    assessment = assess(measured, default_targets(Coating.LINER, Treatment.CHLORINE), Treatment.CHLORINE)
    assert [(r.parameter, r.level) for r in assessment.problems] == [
        (Parameter.PH, Level.LOW),
        (Parameter.CYANURIC_ACID, Level.HIGH),
    ]
    ph, stabiliser = recommend(assessment, D(48), SHOP)
    # 0.6 pH to the aim of 7.4, 100 g per m³ per pH unit, 48 m³.
    assert (ph.article_id, ph.quantity, ph.unit) == ("art-ph-plus", D(2880), "g")
    assert "2880 g de pH plus poudre 5 kg" in ph.advice
    assert stabiliser.quantity is None and "Renouveler environ 55 %" in stabiliser.advice  # 1 - 50/110


def test_alkalinity_is_corrected_before_the_ph_and_chloramines_get_a_shock() -> None:
    measured = {Parameter.PH: D("7.9"), Parameter.TOTAL_ALKALINITY: D(60), Parameter.COMBINED_CHLORINE: D("1.0")}
    assessment = assess(measured, default_targets(Coating.TILES, Treatment.CHLORINE), Treatment.CHLORINE)
    advice = recommend(assessment, D(48), SHOP)
    assert [a.parameter for a in advice] == [Parameter.TOTAL_ALKALINITY, Parameter.PH, Parameter.COMBINED_CHLORINE]
    assert advice[0].quantity == D(3460)  # 40 mg/L x 1.8 g/m³ x 48 m³ = 3456, to 10 g
    assert advice[1].article_id == "art-ph-moins" and advice[1].quantity == D(2400)
    assert advice[2].article_id == "art-choc" and advice[2].quantity == D(740)  # 10 mg/L / 0.65 x 48


def test_a_correction_with_no_product_chosen_says_so() -> None:
    assessment = assess(
        {Parameter.CALCIUM_HARDNESS: D(100)}, default_targets(Coating.LINER, Treatment.CHLORINE), Treatment.CHLORINE
    )
    [advice] = recommend(assessment, D(30), SHOP)
    assert advice.quantity is None and "aucun produit" in advice.advice


def test_too_much_chlorine_means_waiting_not_renewing() -> None:
    assessment = assess(
        {Parameter.FREE_CHLORINE: D(6)}, default_targets(Coating.LINER, Treatment.CHLORINE), Treatment.CHLORINE
    )
    [advice] = recommend(assessment, D(30), SHOP)
    assert advice.quantity is None and "ne plus en ajouter" in advice.advice


def test_warranty_and_end_of_life_dates_and_their_badges() -> None:
    installed = date(2024, 1, 31)
    assert add_months(installed, 1) == date(2024, 2, 29)
    assert warranty_end(installed, 36) == date(2027, 1, 31)
    assert warranty_end(installed, None) == date(2026, 1, 31)  # the legal 2 years
    assert end_of_life(installed, Category.HEAT_PUMP) == date(2036, 1, 31)
    assert end_of_life(installed, Category.HEAT_PUMP, {Category.HEAT_PUMP: 15}) == date(2039, 1, 31)
    today = date(2026, 11, 29)
    assert badge(date(2027, 6, 1), today) is Badge.GREEN
    assert badge(date(2027, 2, 27), today) is Badge.ORANGE  # within 90 days
    assert badge(date(2026, 11, 28), today) is Badge.RED


def test_a_contract_expires_and_renews_for_a_period_of_the_same_length() -> None:
    season = ContractTerm(date(2026, 4, 1), date(2027, 3, 31), tacit_renewal=True)
    assert season.expiring(date(2027, 3, 10)) and not season.expiring(date(2027, 1, 10))
    assert not season.expiring(date(2027, 4, 2))
    assert season.renewed() == ContractTerm(date(2027, 4, 1), date(2028, 3, 31), tacit_renewal=True)  # 2028 leaps
    summer = ContractTerm(date(2026, 5, 15), date(2026, 9, 20), tacit_renewal=False)  # not whole months: in days
    assert summer.renewed() == ContractTerm(date(2026, 9, 21), date(2027, 1, 27), tacit_renewal=False)
    with pytest.raises(ValidationFailed, match="after the start"):
        ContractTerm(date(2026, 4, 1), date(2026, 4, 1), tacit_renewal=False)


# --- customers' search -------------------------------------------------------------------


def test_search_folds_accents_case_and_ligatures() -> None:
    assert fold("Hélène LŒUVRE") == "helene loeuvre"
    assert words("Jean-Luc D'Hôtel") == ["jean", "luc", "d", "hotel"]
    assert query_terms("HÉLÈNE  dur") == ["helene", "dur"]


def test_a_phone_is_found_by_its_national_and_international_digits() -> None:
    assert phone_terms("+33 6 12 34 56 78") == {"33612345678", "0612345678", "612345678"}
    assert phone_terms("06.12.34.56.78") == {"0612345678", "612345678", "33612345678"}
    assert query_terms("06 12 34") == ["061234"]
    assert query_terms("+33 6 12") == ["33612"]


def test_a_customer_is_found_by_its_names_email_parts_phones_and_places() -> None:
    terms = search_terms(["DURAND Hélène"], ["Helene.Durand@Orange.fr"], ["0612345678"], ["Nîmes", "30900"])
    assert {"durand", "helene", "helene.durand@orange.fr", "orange", "0612345678", "nimes", "30900"} <= terms
    assert serial_term("HP-2024 / 00 17") == "hp20240017"


def test_a_display_name_needs_a_last_name_or_a_company_name() -> None:
    assert display_name(Kind.PRIVATE, None, "Hélène", "Durand") == "DURAND Hélène"
    assert display_name(Kind.COMPANY, "Camping Les Cigales", None, None) == "Camping Les Cigales"
    for kind, field in [(Kind.PRIVATE, "last_name"), (Kind.COMPANY, "company_name")]:
        with pytest.raises(ValidationFailed) as refused:
            display_name(kind, " ", None, " ")
        assert field in refused.value.errors


def test_a_query_with_digits_may_be_a_serial_number_typed_with_separators() -> None:
    assert query_alternatives("HP-2024 0017") == [["0017", "2024", "hp"], ["hp20240017"]]
    assert query_alternatives("helene") == [["helene"]]
    assert query_alternatives("  ") == []


# --- a construction handed over --------------------------------------------------------------


def test_a_handed_over_pool_reads_the_order_s_words_into_the_file_s_codes() -> None:
    pool = domain.handed_over_pool(
        {
            "pool_type_code": "BET-R8",
            "shape": "rectangle",
            "length_m": "8.00",
            "width_m": "4.00",
            "mean_depth_m": "1.40",
            "coating": "liner 75/100 bleu",
            "filtration": "sable",
            "treatment": "électrolyse au sel",
            "options": ["volet immergé", "pompe à chaleur 9 kW"],
        }
    )
    fields = pool.fields
    assert (fields["coating"], fields["filtration"], fields["treatment"]) == ("liner", "sand", "salt")
    assert (fields["safety_device"], fields["cover"], fields["heating"]) == (
        "cover",
        "volet immergé",
        "pompe à chaleur 9 kW",
    )
    assert (fields["length_m"], fields["width_m"], fields["mean_depth_m"]) == (
        Decimal("8.00"),
        Decimal("4.00"),
        Decimal("1.40"),
    )
    assert not pool.safety_device_unknown


def test_a_handed_over_pool_without_a_safety_device_is_flagged_for_the_office() -> None:
    pool = domain.handed_over_pool({"shape": "kidney", "length_m": "7", "mean_depth_m": "1.5", "options": []})
    assert pool.safety_device_unknown and pool.fields["safety_device"] == "none_required"
    # What cannot be read takes the trade's most common choice; an unknown shape is freeform.
    made_up = (pool.fields["coating"], pool.fields["filtration"], pool.fields["treatment"])
    assert made_up == ("liner", "sand", "chlorine")
    assert pool.fields["shape"] == "freeform" and pool.fields["width_m"] == Decimal("7")


def test_a_worksite_s_words_for_an_equipment_give_its_category() -> None:
    assert domain.equipment_category("pump") is domain.Category.PUMP
    assert domain.equipment_category("Pompe à chaleur Inverter") is domain.Category.HEAT_PUMP
    assert domain.equipment_category("pompe de filtration") is domain.Category.PUMP
    assert domain.equipment_category("Électrolyseur au sel") is domain.Category.SALT_CHLORINATOR
    assert domain.equipment_category("filtre à sable") is domain.Category.SAND_FILTER
    assert domain.equipment_category("projecteur LED") is domain.Category.OTHER
