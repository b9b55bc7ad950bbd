"""The breakdown's customers written column-wise: byte for byte the general writer's text."""

from __future__ import annotations

import json
import tempfile
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infercost.cost.breakdown import Breakdown, compute
from infercost.errors import Diagnostic, Severity
from infercost.render import customers_json
from infercost.render.customers_json import breakdown_json, customers_text, number_texts
from infercost.render.documents import breakdown_document
from infercost.render.inert import for_format
from infercost.render.json_encoding import dumps, number
from infercost.usage.figures import as_is
from infercost.usage.snapshot import check_names, read_snapshot
from tests.helpers import load

STACK = """
    price_sheet "m" {
      meter "call" {
        price = 10
        per   = 3000
      }
    }
    unit "u" {}
    workflow "w" {
      step "s" { uses = "m/call" }
    }
    feature "chat" {
      unit     = unit.u
      workflow = workflow.w
    }
    feature "export" {
      unit             = unit.u
      workflow         = workflow.w
      revenue_per_unit = 0.05
    }
    subscription "free" {
      price    = 0
      features = [feature.chat]
    }
    subscription "pro" {
      price    = 29
      features = [feature.chat, feature.export]
    }
"""

# free/zero: no revenue, so no margin (null); hot: underwater; the rest ordinary, with
# COGS of 1/300 per unit (28 significant digits) and whole ones.
CSV = """customer,subscription,feature,units
acme,pro,chat,1000
acme,pro,export,2000
hot,pro,chat,9000
zero,free,chat,7
nothing,free,,0
tenth,pro,export,0.1
"""

SHARED = """
    shared_cost "pods" {
      amount   = 700.1
      allocate = "units"
    }
"""


def breakdown(tmp_path: Path, csv: str = CSV, extra: str = "") -> Breakdown:
    stack = load({"main.hcl": STACK + extra})
    path = tmp_path / "usage.csv"
    path.write_text(csv, encoding="utf-8")
    snapshot = read_snapshot(path)
    check_names(snapshot, set(stack.features), set(stack.subscriptions))
    return compute(stack, snapshot)


def general(b: Breakdown) -> str:
    return dumps(breakdown_document(b))


def test_same_text_as_the_general_writer(tmp_path: Path) -> None:
    b = breakdown(tmp_path)
    assert customers_text(b.customers) is not None  # the column-wise path ran
    text = breakdown_json(b)
    assert text == general(b)
    doc = json.loads(text)
    zero = next(c for c in doc["customers"] if c["id"] == "zero")
    assert zero["margin"] is None and zero["revenue"] == 0
    # acme: 3000 units at 10/3000 = 10 COGS; revenue 29 + 2000·0.05 = 129
    acme = next(c for c in doc["customers"] if c["id"] == "acme")
    assert (acme["cogs"], acme["revenue"], acme["underwater"]) == (10, 129, False)
    assert next(c for c in doc["customers"] if c["id"] == "hot")["underwater"] is True


def test_same_text_with_shared_costs(tmp_path: Path) -> None:
    b = breakdown(tmp_path, extra=SHARED)
    assert any(c.allocated_cogs for c in b.customers.values())
    assert breakdown_json(b) == general(b)


def test_no_customers(tmp_path: Path) -> None:
    b = breakdown(tmp_path, "feature,units\nchat,10\n")
    assert customers_text(b.customers) == "[]"
    assert breakdown_json(b) == general(b)


def test_ids_that_need_escaping_go_to_the_general_writer(tmp_path: Path) -> None:
    csv = 'customer,subscription,feature,units\n"a""b",pro,chat,1\n"c\\d",pro,chat,2\n'
    csv += "ok,pro,chat,3\n"
    b = breakdown(tmp_path, csv)
    assert customers_text(b.customers) is None
    assert breakdown_json(b) == general(b)
    assert [c["id"] for c in json.loads(breakdown_json(b))["customers"]] == ['a"b', "c\\d", "ok"]


def test_a_control_character_in_an_id(tmp_path: Path) -> None:
    csv = 'customer,subscription,feature,units\n"x\ty",pro,chat,1\n"é€",pro,chat,1\n'
    b = breakdown(tmp_path, csv)
    assert breakdown_json(b) == general(b)


def test_number_texts_by_hand() -> None:
    values = [D("1.50"), D("-0"), D("0.000"), D("1E+3"), D("1.2E-7"), None, D("10"),
              D("-2.5"), D("0.1234567890123456789012345678"),
              D("12345678901234567890.123456789")]  # fmt: skip
    assert number_texts(values) == [
        "1.5", "0", "0", "1000", "0.00000012", "null", "10", "-2.5",
        "0.1234567890123456789012345678", "12345678901234567890.123456789",
    ]  # fmt: skip
    assert number_texts([]) == []
    # Odd values side by side, first and last: each is found, none is taken for another.
    assert number_texts([None, None, D("1E-7"), D("2"), D("NaN"), D("-0"), None]) == [
        "null", "null", "0.0000001", "2", number(D("NaN")), "0", "null",
    ]  # fmt: skip


numbers = st.decimals(allow_nan=False, allow_infinity=False) | st.builds(
    lambda digits, exponent: D(digits).scaleb(exponent),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.integers(min_value=-45, max_value=20),
)


@given(st.lists(st.none() | numbers, max_size=30))
def test_number_texts_is_number(values: list[D | None]) -> None:
    assert number_texts(values) == ["null" if v is None else number(v) for v in values]


def test_written_in_chunks(tmp_path: Path, monkeypatch) -> None:
    b = breakdown(tmp_path, extra=SHARED)
    whole = breakdown_json(b)
    for size in (1, 2, 4, 5):  # 5 customers: chunks that divide them and that do not
        monkeypatch.setattr(customers_json, "CHUNK", size)
        assert breakdown_json(b) == whole == general(b)


# -- made inert for standard output: only the parts that can hold text are filtered ------
TOKEN = "ghp_" + "A1b2" * 9
HOSTILE_IDS = [
    "##[error]forged",
    "x::stop-commands::y",
    TOKEN,
    "https://user:secret@example.com",
    "Authorization: Bearer abc",
    "##vso[task.setvariable]z",
]


def hostile_csv(ids: list[str]) -> str:
    rows = "".join(f'"{i}",pro,chat,{n + 1}\n' for n, i in enumerate(ids))
    return "customer,subscription,feature,units\n" + rows


def filtered_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the breakdown's writer passes through the filter, from now on."""
    seen: list[str] = []

    def spy(fmt: str, text: str) -> str:
        seen.append(text)
        return for_format(fmt, text)

    monkeypatch.setattr(customers_json, "for_format", spy)
    return seen


def test_inert_text_is_what_the_filter_makes_of_the_whole_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b = breakdown(tmp_path)
    seen = filtered_texts(monkeypatch)
    treated = customers_json.breakdown_json_inert(b)
    assert treated.format == "json"
    assert treated.text == for_format("json", breakdown_json(b)) == breakdown_json(b)
    # The customers' text was not scanned: only the text around it.
    assert len(seen) == 2 and not any('"id": "acme"' in text for text in seen)


def test_hostile_ids_are_still_neutralised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b = breakdown(tmp_path, hostile_csv([*HOSTILE_IDS, "plain"]))
    seen = filtered_texts(monkeypatch)
    text = customers_json.breakdown_json_inert(b).text
    assert len(seen) == 1  # the whole document
    assert text == for_format("json", breakdown_json(b))
    # (sorted by id) the same values, with the token and the secrets hidden ...
    assert [c["id"] for c in json.loads(text)["customers"]] == [
        "##[error]forged",
        "##vso[task.setvariable]z",
        "Authorization: Bearer ***",
        "***",
        "https://***@example.com",
        "plain",
        "x::stop-commands::y",
    ]
    # ... and the legacy commands' brackets written as escapes: no runner reads them.
    assert '"id": "##\\u005berror]forged",' in text
    assert '"id": "##vso\\u005btask.setvariable]z",' in text
    assert "##[" not in text and "##vso[" not in text
    assert TOKEN not in text and "secret" not in text


def test_a_token_variable_is_hidden_in_a_customer_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "plainvalue123")
    b = breakdown(tmp_path, hostile_csv(["plainvalue123", "other"]))
    text = customers_json.breakdown_json_inert(b).text
    assert "plainvalue123" not in text
    assert [c["id"] for c in json.loads(text)["customers"]] == ["other", "***"]


def test_hostile_text_around_the_customers_is_neutralised(tmp_path: Path) -> None:
    # The text outside the customers (here a diagnostic quoting a usage file) is always
    # filtered, even when the customers' text is not.
    b = breakdown(tmp_path)
    warning = Diagnostic("Odd row", f"##[error]forged {TOKEN}", severity=Severity.WARNING)
    text = customers_json.breakdown_json_inert(b, [warning]).text
    assert "##\\u005berror]forged ***" in text and "##[" not in text and TOKEN not in text
    assert text == for_format("json", breakdown_json(b, [warning]))


@given(
    st.lists(
        st.text("ab:#@_gh[]puosr/ ", min_size=1, max_size=6), min_size=1, max_size=6, unique=True
    )
)
def test_inert_text_equals_the_whole_filter_for_any_ids(ids: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        b = breakdown(Path(folder), hostile_csv(ids))
    assert customers_json.breakdown_json_inert(b).text == for_format("json", breakdown_json(b))


def test_the_engine_s_money_texts_are_kept_only_when_they_are_the_values_texts(
    tmp_path: Path,
) -> None:
    assert as_is(["1.5", "0.0000001", "12", "0"]) == ["1.5", "0.0000001", "12", "0"]
    assert as_is([]) == []
    assert as_is(["1.5", "0.33333333333333333333333333333333"]) is None  # to be rounded
    b = breakdown(tmp_path)
    # COGS at 10/3000 a unit are rounded to 28 digits, revenue is written as it is.
    cogs, revenue = b.customers.money_texts()
    # acme 29 + 2000·0.05, hot 29, nothing 0, tenth 29 + 0.1·0.05, zero 0
    assert cogs is None and revenue == ["129", "29", "0", "29.005", "0"]
    assert breakdown_json(b) == general(b)
