"""Helpers shared by the guardrail tests: a small stack with customers, and runners."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from infercost.app.arguments import CheckArgs
from infercost.app.check import check_stack
from infercost.cost.breakdown import Breakdown, compute
from infercost.guard.results import CheckResult, GuardResult
from infercost.guard.targets import Target, targets
from infercost.usage.snapshot import Snapshot
from infercost.workspace import Change, Options, load_stack, load_usage

D = Decimal

# A day well inside every waiver's life in these tests, unless a test says otherwise.
TODAY = date(2026, 6, 1)

# Two workflows: "answer" (a meter step and a model step with growth, retries, caching)
# and "free" (one step on a model that costs nothing). "chat" runs in the eu region.
# Usage: three customers of "pro"; "acme corp" uses 3000 chats, "beta" 100, "gamma" none.
GUARD_STACK: dict[str, str] = {
    "prices.hcl": """
        price_sheet "openai" {
          region "eu" { multiplier = 1.10 }

          model "gpt-4o" {
            input_per_mtok        = 2.50
            cached_input_per_mtok = 1.25
            output_per_mtok       = 10.00
          }
          model "free" { input_per_mtok = 0 }
        }

        price_sheet "pinecone" {
          meter "read_unit" {
            price = 16
            per   = 1000000
          }
        }
        """,
    "main.hcl": """
        infercost {
          usage = "usage.csv"
        }

        unit "ticket" {}

        workflow "answer" {
          cache_hit_rate = 0.2

          step "retrieve" {
            uses      = "pinecone/read_unit"
            calls     = between(3, 7)
            quantity  = 5
            cacheable = false
          }
          step "draft" {
            uses           = "openai/gpt-4o"
            calls          = between(2, 5)
            input_tokens   = 1000
            output_tokens  = 200
            cached_share   = 0.5
            context_growth = 400
            retry_rate     = 0.1
          }
        }

        workflow "free" {
          step "noop" {
            uses         = "openai/free"
            input_tokens = 10
          }
        }

        feature "chat" {
          unit             = unit.ticket
          workflow         = workflow.answer
          region           = "eu"
          revenue_per_unit = 0.005
          target_margin    = 0.5
        }

        feature "faq" {
          unit     = unit.ticket
          workflow = workflow.free
        }

        subscription "pro" {
          price    = 29
          features = [feature.chat]
        }
        """,
    "usage.csv": "customer,subscription,feature,units\n"
    "acme corp,pro,chat,3000\n"
    "beta,pro,chat,100\n"
    "gamma,pro,,0\n",
}

# The same stack's usage without customer rows: 3100 chats.
PLAIN_USAGE = "feature,units\nchat,3100\n"


def run_check(
    stack: Path,
    *,
    base_dir: Path | None = None,
    base_ref: str | None = None,
    what_ifs: Sequence[Path] = (),
    policies: Sequence[str] = (),
    strict: bool = False,
    today: date = TODAY,
    usage: Path | None = None,
) -> CheckResult:
    """``check`` in-process with a fixed day; the guardrails' warnings land in the result."""
    args = CheckArgs(
        Options(stack=stack, usage=usage),
        Change(base_ref=base_ref, base_dir=base_dir, what_ifs=tuple(what_ifs)),
        tuple(policies),
        strict,
    )
    return check_stack(args, today=today).result


def result(check: CheckResult, guardrail: str, target: str) -> GuardResult:
    found = [r for r in check.results if (r.guardrail, r.target) == (guardrail, target)]
    assert len(found) == 1, [(r.guardrail, r.target) for r in check.results]
    return found[0]


def pairs(check: CheckResult) -> list[tuple[str, str, str]]:
    """(guardrail, target, status) of every result, in the order given."""
    return [(r.guardrail, r.target, r.status) for r in check.results]


def figures(stack: Path) -> tuple[Breakdown, Snapshot]:
    options = Options(stack=stack)
    loaded = load_stack(options)
    snapshot = load_usage([loaded], options)
    assert snapshot is not None
    return compute(loaded, snapshot), snapshot


def scope_targets(scope: str, stack: Path, base: Path | None = None) -> dict[str, Target]:
    """Address -> target of one scope, as the engine builds them for the head."""
    options = Options(stack=stack)
    loaded = load_stack(options)
    snapshot = load_usage([loaded], options)
    assert snapshot is not None
    base_figures = figures(base)[0] if base is not None else None
    found = targets(scope, loaded, compute(loaded, snapshot), snapshot, base_figures)
    return {t.address: t for t in found}
