"""Semantic checks and evaluation of a stack: references, ranges, defaults, variables."""

from __future__ import annotations

from decimal import Decimal

import pytest

from infercost.config.compile import Inputs, VariableInput
from infercost.config.compile import compile_stack as compile_files
from infercost.config.loader import parse_files
from infercost.errors import InfercostError
from infercost.evaluate.values import Distribution
from tests.helpers import BASE_STACK, errors_of, hcl, load, loc, only_error, validate_json, where

PRICES = BASE_STACK["prices.hcl"]


def main(step: str = "# -", meter: str = "# -", workflow: str = "# -", feature: str = "# -",
         uses: str = "openai/gpt-4o") -> str:  # fmt: skip
    """A main.hcl whose line numbers do not move: each placeholder is one line."""
    return "\n".join([
        'unit "ticket" {}',                          # 1
        "",                                          # 2
        'workflow "answer" {',                       # 3
        f"  {workflow}",                             # 4
        '  step "draft" {',                          # 5
        f'    uses          = "{uses}"',             # 6
        "    input_tokens  = 1800",                  # 7
        f"    {step}",                               # 8
        "  }",                                       # 9
        '  step "read" {',                           # 10
        '    uses = "pinecone/read_unit"',           # 11
        f"    {meter}",                              # 12
        "  }",                                       # 13
        "}",                                         # 14
        "",                                          # 15
        'feature "chat" {',                          # 16
        "  unit     = unit.ticket",                  # 17
        "  workflow = workflow.answer",              # 18
        f"  {feature}",                              # 19
        "}",                                         # 20
        "",
    ])  # fmt: skip


def fail(**parts: str) -> tuple[str, str, tuple[str, int, int]]:
    """The single error of a stack built from main() with these parts."""
    extra = parts.pop("extra", None)
    prices = parts.pop("prices", PRICES)
    files = {"prices.hcl": prices, "main.hcl": main(**parts)}
    if extra is not None:
        files["extra.hcl"] = extra
    (d,) = errors_of(files)
    return d.summary, d.detail, where(d)


def test_the_template_compiles() -> None:
    stack = load({"prices.hcl": PRICES, "main.hcl": main()})
    assert list(stack.features) == ["chat"]
    assert [s.name for s in stack.workflows["answer"].steps] == ["draft", "read"]


# -- references -----------------------------------------------------------------------------


def test_missing_price_item_suggests() -> None:
    summary, detail, at = fail(uses="openai/gpt-4")
    assert summary == "Reference to undeclared price item"
    assert detail == (
        'price_sheet "openai" has no model or meter "gpt-4". Did you mean "openai/gpt-4o"?'
    )
    assert at == ("main.hcl", 6, 21)


def test_missing_price_sheet_suggests() -> None:
    summary, detail, at = fail(uses="opena/gpt-4o")
    assert summary == "Reference to undeclared price item"
    assert detail.startswith('No price_sheet "opena" is declared.')
    assert detail.endswith('Did you mean "openai/gpt-4o"?')
    assert at == ("main.hcl", 6, 21)


def test_price_item_reference_needs_a_slash() -> None:
    summary, detail, _ = fail(uses="gpt-4o")
    assert summary == "Invalid price item reference"
    assert 'not of the form "SHEET/ITEM"' in detail


def test_missing_workflow_suggests() -> None:
    text = main().replace("workflow = workflow.answer", "workflow = workflow.answr")
    (d,) = errors_of({"prices.hcl": PRICES, "main.hcl": text})
    assert d.summary == "Reference to undeclared resource"
    assert d.detail == 'No workflow "answr" is declared. Did you mean "answer"?'
    assert where(d) == ("main.hcl", 18, 14)
    assert d.context == 'feature "chat"'


def test_missing_unit_suggests() -> None:
    text = main().replace("unit     = unit.ticket", "unit     = unit.tickets")
    (d,) = errors_of({"prices.hcl": PRICES, "main.hcl": text})
    assert d.summary == "Reference to undeclared resource"
    assert d.detail == 'No unit "tickets" is declared. Did you mean "ticket"?'
    assert where(d) == ("main.hcl", 17, 14)


def test_missing_feature_suggests() -> None:
    summary, detail, at = fail(extra='subscription "pro" {\n  price    = 29\n'
                                     "  features = [feature.chta]\n}\n")  # fmt: skip
    assert summary == "Reference to undeclared resource"
    assert detail == 'No feature "chta" is declared. Did you mean "chat"?'
    assert at == ("extra.hcl", 3, 15)


def test_block_reference_of_the_wrong_kind() -> None:
    text = main().replace("unit     = unit.ticket", "unit     = workflow.answer")
    (d,) = errors_of({"prices.hcl": PRICES, "main.hcl": text})
    assert d.summary == "Incorrect attribute value type"
    assert '"unit" must be a reference like unit.NAME' in d.detail
    assert where(d) == ("main.hcl", 17, 14)


def test_duplicate_block_across_files() -> None:
    more = '# more\nunit "ticket" {}\n'
    found = errors_of({"prices.hcl": PRICES, "main.hcl": main(), "more.hcl": more})
    (d,) = found
    assert d.summary == "Duplicate block"
    # Files are read in name order: main.hcl declares it first.
    assert d.detail == 'unit "ticket" was already declared in main.hcl line 1.'
    assert where(d) == ("more.hcl", 2, 6)


def test_duplicate_block_across_files_through_validate(write_stack) -> None:
    stack = write_stack({"more.hcl": '# more\nunit "ticket" {}\n'}, base=True)
    code, doc = validate_json([str(stack)])
    assert code == 1
    d = only_error(doc)
    assert d["summary"] == "Duplicate block"
    assert "was already declared in stack/main.hcl line 1" in d["detail"]
    assert loc(d) == ("stack/more.hcl", 2, 6)


def test_unknown_region_is_a_typo() -> None:
    summary, detail, at = fail(feature='region = "EU"')
    assert summary == "Unknown region"
    assert detail == 'No price sheet declares a region "EU". Did you mean "eu"?'
    assert at == ("main.hcl", 19, 12)


def test_a_region_of_a_sheet_that_failed_is_not_reported_unknown() -> None:
    """The sheet's own error is the one to fix; the region it declares is not unknown."""
    prices = PRICES.replace("input_per_mtok        = 2.50", "input_per_mtok        = -2.50")
    summary, detail, at = fail(feature='region = "eu"', prices=prices)
    assert (summary, at[0]) == ("Value out of range", "prices.hcl")
    assert detail == 'The price "input_per_mtok" must be at least 0, but it is -2.5.'


def test_a_region_no_sheet_declares_is_unknown_beside_a_failed_sheet() -> None:
    prices = PRICES.replace("input_per_mtok        = 2.50", "input_per_mtok        = -2.50")
    errors = errors_of({"prices.hcl": prices, "main.hcl": main(feature='region = "us"')})
    assert [d.summary for d in errors] == ["Value out of range", "Unknown region"]


def test_model_and_meter_of_the_same_name() -> None:
    prices = PRICES.replace('meter "read_unit"', 'model "x" { input_per_mtok = 1 }\n  meter "x"')
    (d, *_) = errors_of({"prices.hcl": prices, "main.hcl": main()})
    assert d.summary == "Duplicate price item"
    assert '"x" is declared both as a model' in d.detail
    # An error, shown in the price sheet that holds both (not demoted to a warning).
    assert d.severity == "error"
    assert d.context == 'price_sheet "pinecone"'


# -- step attributes ------------------------------------------------------------------------


def test_meter_attribute_on_a_model_step() -> None:
    summary, detail, at = fail(step="quantity = 3")
    assert summary == "Attribute does not fit the price item"
    assert detail == '"quantity" applies to meter steps, but "openai/gpt-4o" is a model.'
    assert at == ("main.hcl", 8, 5)


def test_model_attribute_on_a_meter_step() -> None:
    summary, detail, at = fail(meter="output_tokens = 3")
    assert summary == "Attribute does not fit the price item"
    assert detail == '"output_tokens" applies to model steps, but "pinecone/read_unit" is a meter.'
    assert at == ("main.hcl", 12, 5)


@pytest.mark.parametrize(
    ("part", "text", "line", "message"),
    [
        ("step", "share = 1.5", 8, '"share" must be between 0 and 1, but it is 1.5.'),
        ("step", "share = -0.1", 8, '"share" must be between 0 and 1, but it is -0.1.'),
        ("step", "cached_share = 1.01", 8,
         '"cached_share" must be between 0 and 1, but it is 1.01.'),
        ("workflow", "cache_hit_rate = 1.2", 4,
         '"cache_hit_rate" must be between 0 and 1, but it is 1.2.'),
        ("workflow", "cache_hit_rate = -0.2", 4,
         '"cache_hit_rate" must be between 0 and 1, but it is -0.2.'),
        ("step", "retry_rate = -0.05", 8, '"retry_rate" must be at least 0, but it is -0.05.'),
        ("feature", "target_margin = 1.5", 19,
         '"target_margin" must be between 0 and 1, but it is 1.5.'),
        ("feature", "target_margin = -0.5", 19,
         '"target_margin" must be between 0 and 1, but it is -0.5.'),
        ("step", "calls = -1", 8, '"calls" must be at least 0, but it is -1.'),
        ("step", "output_tokens = -350", 8, '"output_tokens" must be at least 0, but it is -350.'),
        ("step", "context_growth = between(-2, 5)", 8,
         '"context_growth" must be at least 0, but it is -2.'),
        ("meter", "quantity = -5", 12, '"quantity" must be at least 0, but it is -5.'),
        ("feature", "revenue_per_unit = -1", 19,
         '"revenue_per_unit" must be at least 0, but it is -1.'),
    ],
)  # fmt: skip
def test_values_out_of_range(part: str, text: str, line: int, message: str) -> None:
    summary, detail, at = fail(**{part: text})
    assert summary == "Value out of range"
    assert detail == message
    name_end = text.index(" =")
    assert at == ("main.hcl", line, {4: 3, 8: 5, 12: 5, 19: 3}[line] + name_end + 3)


def test_retry_rate_may_exceed_one_and_calls_may_be_fractional() -> None:
    stack = load({"prices.hcl": PRICES, "main.hcl": main(step="retry_rate = 2.5",
                                                            meter="calls = 1.5")})  # fmt: skip
    draft, read = stack.workflows["answer"].steps
    assert draft.retry_rate == Decimal("2.5")
    assert read.calls == Decimal("1.5")


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("input_per_mtok        = 2.50", "input_per_mtok        = -2.50", 5,
         'The price "input_per_mtok" must be at least 0, but it is -2.5.'),
        ("output_per_mtok       = 10.00", "output_per_mtok       = -10", 7,
         '"output_per_mtok" must be at least 0, but it is -10.'),
        ("price = 16", "price = -16", 13, 'The price "price" must be at least 0, but it is -16.'),
        ("per   = 1000000", "per   = 0", 14, '"per" must be greater than 0, but it is 0.'),
        ("multiplier = 1.10", "multiplier = 0", 2,
         '"multiplier" must be greater than 0, but it is 0.'),
    ],
)  # fmt: skip
def test_negative_prices(old: str, new: str, line: int, message: str) -> None:
    prices = hcl(PRICES)
    assert old in prices
    summary, detail, at = fail(prices=prices.replace(old, new))
    assert summary == "Value out of range"
    assert detail == message
    assert at[:2] == ("prices.hcl", line)


def test_price_sheet_in_another_currency() -> None:
    header = 'price_sheet "pinecone" {'
    prices = hcl(PRICES).replace(header, header + '\n  currency = "EUR"')
    summary, detail, at = fail(prices=prices)
    assert summary == "Missing exchange rate"
    assert detail == (
        'price_sheet "pinecone" is in EUR, but the stack uses USD; set infercost '
        "{ exchange_rates = { EUR = ... } } (units of USD per one EUR)."
    )
    assert at == ("prices.hcl", 12, 14)


def test_a_sheet_without_currency_is_in_usd_not_the_stacks() -> None:
    """SPEC §15: a USD list price is never relabelled as euros."""
    settings = 'infercost {\n  currency = "EUR"\n}\n'
    errors = errors_of({"prices.hcl": PRICES, "main.hcl": main(), "settings.hcl": settings})
    assert [d.summary for d in errors] == ["Missing exchange rate"] * 2
    assert errors[0].detail.startswith(
        'price_sheet "openai" is in USD (a sheet without currency is in USD), but the stack '
        "uses EUR"
    )
    assert where(errors[0]) == ("prices.hcl", 1, 13)  # the sheet's label
    settings = 'infercost {\n  currency = "EUR"\n  exchange_rates = { USD = 0.92 }\n}\n'
    stack = load({"prices.hcl": PRICES, "main.hcl": main(), "settings.hcl": settings})
    assert stack.currency == "EUR"
    assert {sheet.currency for sheet in stack.price_sheets.values()} == {"USD"}
    assert {sheet.exchange_rate for sheet in stack.price_sheets.values()} == {Decimal("0.92")}


# -- distributions --------------------------------------------------------------------------


def test_between_with_lo_above_hi() -> None:
    summary, detail, at = fail(step="calls = between(5, 2)")
    assert summary == "Invalid function argument"
    assert detail == "between() needs lo <= hi, got 5 > 2."
    assert at == ("main.hcl", 8, 21)


def test_triangular_with_mode_outside() -> None:
    summary, detail, at = fail(step="calls = triangular(1, 5, 3)")
    assert summary == "Invalid function argument"
    assert "lo <= mode <= hi" in detail
    assert at == ("main.hcl", 8, 13)


def test_arithmetic_on_a_distribution() -> None:
    summary, detail, at = fail(step="calls = between(2, 5) * 2")
    assert summary == "Invalid use of a distribution"
    assert detail.startswith("between(2, 5) cannot be used with *")
    assert at == ("main.hcl", 8, 13)


def test_distribution_where_a_number_is_needed() -> None:
    summary, detail, at = fail(step="share = between(0, 1)")
    assert summary == "Invalid use of a distribution"
    assert 'cannot be the value of "share"' in detail
    assert at == ("main.hcl", 8, 13)


def test_distribution_through_a_local() -> None:
    stack = load({"prices.hcl": PRICES, "main.hcl": main(step="calls = local.c"),
                  "locals.hcl": "locals {\n  c = between(2, 5)\n}\n"})  # fmt: skip
    calls = stack.workflows["answer"].steps[0].calls
    assert isinstance(calls, Distribution) and calls.discrete
    assert calls.text == "between(2, 5)"


def test_whole_bounds_are_judged_by_value() -> None:
    stack = load({"prices.hcl": PRICES, "main.hcl": main(step="calls = between(2.0, 5.00)")})
    calls = stack.workflows["answer"].steps[0].calls
    assert isinstance(calls, Distribution) and calls.discrete


# -- locals and variables -------------------------------------------------------------------


def test_cycle_between_locals_is_named_once() -> None:
    found = errors_of({
        "prices.hcl": PRICES,
        "main.hcl": main(feature="revenue_per_unit = local.a"),
        "locals.hcl": "locals {\n  a = local.b + 1\n  b = local.c * 2\n  c = local.a\n}\n",
    })  # fmt: skip
    (d,) = found
    assert d.summary == "Cycle in local values"
    assert d.detail == (
        "These locals refer to each other in a loop: local.a -> local.b -> local.c -> local.a."
    )
    assert where(d) == ("locals.hcl", 2, 3)


def test_self_reference_is_a_cycle() -> None:
    (d,) = errors_of({"prices.hcl": PRICES, "main.hcl": main(),
                      "locals.hcl": "locals {\n  a = local.a\n}\n"})  # fmt: skip
    assert d.summary == "Cycle in local values"
    assert "local.a -> local.a" in d.detail


def test_broken_local_is_reported_once_where_it_is() -> None:
    found = errors_of({
        "prices.hcl": PRICES,
        "main.hcl": main(feature="revenue_per_unit = local.bad"),
        "locals.hcl": 'locals {\n  bad = 1 + "x"\n}\n',
    })  # fmt: skip
    (d,) = found
    assert d.summary == "Invalid operand"
    assert where(d) == ("locals.hcl", 2, 13)


def test_locals_may_repeat_but_names_are_unique() -> None:
    (d,) = errors_of({"prices.hcl": PRICES, "main.hcl": main(),
                      "locals.hcl": "locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n"})  # fmt: skip
    assert d.summary == "Duplicate local value"
    assert where(d) == ("locals.hcl", 5, 3)


def test_variable_without_value() -> None:
    (d,) = errors_of({"prices.hcl": PRICES, "main.hcl": main(),
                      "vars.hcl": '# vars\nvariable "rate" {\n  type = number\n}\n'})  # fmt: skip
    assert d.summary == "No value for required variable"
    assert "--var rate=VALUE" in d.detail
    assert where(d) == ("vars.hcl", 2, 10)


def test_variable_without_value_through_validate(write_stack) -> None:
    stack = write_stack({"vars.hcl": '# vars\nvariable "rate" {}\n'}, base=True)
    code, doc = validate_json([str(stack)])
    assert code == 1
    d = only_error(doc)
    assert d["summary"] == "No value for required variable"
    assert loc(d) == ("stack/vars.hcl", 2, 10)
    code, doc = validate_json([str(stack), "--var", "rate=0.2"])
    assert (code, doc["valid"]) == (0, True)


def compile_with(files: dict[str, str], **values: str):
    parsed = parse_files({name: hcl(text) for name, text in files.items()})
    inputs = Inputs({k: VariableInput(k, text=v, origin="--var") for k, v in values.items()})
    return compile_files(parsed, inputs)


def test_var_values_take_the_declared_type() -> None:
    files = {"prices.hcl": PRICES,
             "main.hcl": main(workflow="cache_hit_rate = var.rate", feature="region = var.region"),
             "vars.hcl": 'variable "rate" {\n  type = number\n  default = 0.1\n}\n'
                         'variable "region" {}\n'}  # fmt: skip
    stack = compile_with(files, rate="0.25", region="eu")
    assert stack.workflows["answer"].cache_hit_rate == Decimal("0.25")
    assert stack.features["chat"].region == "eu"
    with pytest.raises(InfercostError) as caught:
        compile_with(files, rate="lots", region="eu")
    assert caught.value.diagnostics[0].summary == "Invalid value for variable"
    with pytest.raises(InfercostError) as caught:
        compile_with(files, region="eu", nope="1")
    assert caught.value.diagnostics[0].summary == "Undeclared input variable"


# -- subscriptions --------------------------------------------------------------------------

SUBSCRIPTION = """
    feature "search" {
      unit     = unit.ticket
      workflow = workflow.answer
    }
    subscription "pro" {
      price    = 29
      features = [feature.chat, feature.search]
      REVENUE
    }
    """


def subscription_error(revenue_share: str) -> tuple[str, str, tuple[str, int, int]]:
    return fail(extra=SUBSCRIPTION.replace("REVENUE", revenue_share))


def test_revenue_share_default_is_equal_and_exact() -> None:
    three = SUBSCRIPTION.replace("feature.search]", "feature.search, feature.third]").replace(
        "REVENUE", ""
    )
    three += 'feature "third" {\n  unit = unit.ticket\n  workflow = workflow.answer\n}\n'
    stack = load({"prices.hcl": PRICES, "main.hcl": main(), "extra.hcl": three})
    shares = stack.subscriptions["pro"].revenue_share
    assert list(shares) == ["chat", "search", "third"]
    assert sum(shares.values()) == 1


@pytest.mark.parametrize(
    ("share", "summary", "detail"),
    [
        ("revenue_share = { chat = 0.7, search = 0.2 }", "Invalid revenue share",
         "The revenue shares add up to 0.9; they must add up to exactly 1."),
        ("revenue_share = { chat = 1 }", "Invalid revenue share",
         "revenue_share must name every feature of the subscription; missing: search."),
        ("revenue_share = { chat = 0.5, serch = 0.5 }", "Invalid revenue share",
         '"serch" is not one of this subscription\'s features. Did you mean "search"?'),
        ("revenue_share = { chat = 1.5, search = -0.5 }", "Value out of range",
         "The revenue share of chat must be a number between 0 and 1, but it is 1.5."),
    ],
)  # fmt: skip
def test_revenue_share_checks(share: str, summary: str, detail: str) -> None:
    got_summary, got_detail, at = subscription_error(share)
    assert (got_summary, got_detail) == (summary, detail)
    assert at[:2] == ("extra.hcl", 8)


def test_duplicate_feature_in_a_subscription() -> None:
    text = SUBSCRIPTION.replace("feature.search]", "feature.chat]").replace("REVENUE", "")
    summary, _, at = fail(extra=text)
    assert summary == "Duplicate feature"
    assert at == ("extra.hcl", 7, 29)


def test_negative_subscription_price_and_customers() -> None:
    summary, _, at = fail(extra=SUBSCRIPTION.replace("price    = 29", "price    = -29")
                          .replace("REVENUE", ""))  # fmt: skip
    assert (summary, at[:2]) == ("Value out of range", ("extra.hcl", 6))
    summary, _, at = fail(extra=SUBSCRIPTION.replace("REVENUE", "customers = -3"))
    assert (summary, at[:2]) == ("Value out of range", ("extra.hcl", 8))


# -- defaults -------------------------------------------------------------------------------


def test_defaults_are_filled() -> None:
    prices = hcl(PRICES) + (
        'price_sheet "x" {\n  model "m" { input_per_mtok = 3 }\n  meter "q" { price = 2 }\n}\n'
    )
    stack = load({"prices.hcl": prices, "main.hcl": main()})
    m = stack.price_sheets["x"].items["m"]
    assert (m.input_per_mtok, m.cached_input_per_mtok, m.output_per_mtok) == (3, 3, 0)
    assert stack.price_sheets["x"].items["q"].per == 1
    assert stack.settings.currency == "USD" and stack.settings.period == "month"
    workflow = stack.workflows["answer"]
    assert workflow.cache_hit_rate == 0
    draft, read = workflow.steps
    assert (draft.calls, draft.share, draft.retry_rate, draft.cacheable) == (1, 1, 0, True)
    assert (draft.output_tokens, draft.cached_share, draft.context_growth) == (0, 0, 0)
    assert read.quantity == 1
    feature = stack.features["chat"]
    assert (feature.revenue_per_unit, feature.target_margin, feature.region) == (0, None, None)
