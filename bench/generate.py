#!/usr/bin/env python3
"""Generate benchmark data for infercost.

Writes, under an output directory:

  stack/          a large stack: one .hcl file per feature (unit-free workflow +
                  feature), plus prices.hcl and stack.hcl (settings, units,
                  locals, subscriptions, guardrails), and usage.csv
  changed/        the same stack with a share of the workflows changed (model
                  swapped, calls or token sizes changed); usage.csv is a hard
                  link (or copy) of stack/usage.csv
  gitrepo/        a git repository whose first commit holds stack/ and whose
                  second commit applies the changes of changed/; the working
                  tree is at the second commit, so
                  `infercost plan gitrepo/stack --base HEAD~1` compares them
  manifest.json   seed, sizes, line counts and generation times

Only the standard library is used; output is deterministic for a given seed
and size arguments.

    python bench/generate.py OUT_DIR [--features 200] [--rows 1000000] ...
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

# ---------------------------------------------------------------------------
# helpers


def num(value: Decimal | int | str) -> str:
    """Plain decimal literal without exponent or trailing zeros."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    text = format(d.normalize(), "f")
    return text


def dec(units: int, scale: int) -> str:
    """units / 10**scale as a plain literal (exact, no floats)."""
    return num(Decimal(units).scaleb(-scale))


def hcl_string(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    # "${" and "%{" start template sequences in HCL strings.
    out = out.replace("${", "$${").replace("%{", "%%{")
    return f'"{out}"'


def render_attrs(attrs: list[tuple[str, str]], indent: str) -> list[str]:
    if not attrs:
        return []
    width = max(len(k) for k, _ in attrs)
    return [f"{indent}{k.ljust(width)} = {v}" for k, v in attrs]


# ---------------------------------------------------------------------------
# price sheets

CHAT = "chat"
EMBED = "embed"


@dataclass
class Model:
    label: str
    kind: str  # chat | embed
    input_per_mtok: str
    cached_input_per_mtok: str | None
    output_per_mtok: str | None


@dataclass
class Meter:
    label: str
    price: str
    per: int | None
    unit: str
    family: str  # vector_read, vector_write, rerank, search, gpu, ocr, audio, tool


@dataclass
class Sheet:
    name: str
    effective: str
    description: str
    regions: list[tuple[str, str]] = field(default_factory=list)
    models: list[Model] = field(default_factory=list)
    meters: list[Meter] = field(default_factory=list)


def build_sheets() -> list[Sheet]:
    """Fixed, realistic-looking price sheets (figures are illustrative)."""
    s: list[Sheet] = []

    openai = Sheet(
        "openai", "2026-11-01", "OpenAI list prices", regions=[("eu", "1.10"), ("apac", "1.15")]
    )
    openai.models += [
        Model("gpt-4o", CHAT, "2.50", "1.25", "10.00"),
        Model("gpt-4o-mini", CHAT, "0.15", "0.075", "0.60"),
        Model("gpt-4.1", CHAT, "2.00", "0.50", "8.00"),
        Model("gpt-4.1-mini", CHAT, "0.40", "0.10", "1.60"),
        Model("gpt-4.1-nano", CHAT, "0.10", "0.025", "0.40"),
        Model("o3", CHAT, "2.00", "0.50", "8.00"),
        Model("o4-mini", CHAT, "1.10", "0.275", "4.40"),
        Model("text-embedding-3-small", EMBED, "0.02", None, None),
        Model("text-embedding-3-large", EMBED, "0.13", None, None),
    ]
    s.append(openai)

    anthropic = Sheet("anthropic", "2026-10-15", "Anthropic list prices", regions=[("eu", "1.10")])
    anthropic.models += [
        Model("claude-3.5-sonnet", CHAT, "3.00", "0.30", "15.00"),
        Model("claude-3.5-haiku", CHAT, "0.80", "0.08", "4.00"),
        Model("claude-sonnet-4", CHAT, "3.00", "0.30", "15.00"),
        Model("claude-opus-4", CHAT, "15.00", "1.50", "75.00"),
    ]
    s.append(anthropic)

    google = Sheet(
        "google", "2026-09-30", "Gemini API prices", regions=[("eu", "1.05"), ("apac", "1.08")]
    )
    google.models += [
        Model("gemini-2.5-pro", CHAT, "1.25", "0.31", "10.00"),
        Model("gemini-2.5-flash", CHAT, "0.30", "0.075", "2.50"),
        Model("gemini-2.0-flash-lite", CHAT, "0.075", None, "0.30"),
        Model("text-embedding-004", EMBED, "0.025", None, None),
    ]
    s.append(google)

    mistral = Sheet("mistral", "2026-08-01", "Mistral platform prices")
    mistral.models += [
        Model("mistral-large", CHAT, "2.00", None, "6.00"),
        Model("mistral-small", CHAT, "0.10", None, "0.30"),
        Model("codestral", CHAT, "0.30", None, "0.90"),
        Model("mistral-embed", EMBED, "0.10", None, None),
    ]
    s.append(mistral)

    selfhosted = Sheet(
        "selfhosted",
        "2026-11-01",
        "Internal GPU cluster, fully loaded cost",
        regions=[("us", "0.95"), ("eu", "1.20")],
    )
    selfhosted.models += [
        Model("llama-3.1-70b", CHAT, "0.60", None, "0.80"),
        Model("llama-3.1-8b", CHAT, "0.05", None, "0.08"),
    ]
    selfhosted.meters += [
        Meter("gpu_second", "0.0011", None, "GPU second", "gpu"),
        Meter("ocr_page", "1.50", 1000, "page", "ocr"),
        Meter("transcribe_minute", "0.006", None, "audio minute", "audio"),
    ]
    s.append(selfhosted)

    pinecone = Sheet("pinecone", "2026-07-01", "Vector database", regions=[("eu", "1.20")])
    pinecone.meters += [
        Meter("read_unit", "16.00", 1000000, "read unit", "vector_read"),
        Meter("write_unit", "4.00", 1000000, "write unit", "vector_write"),
    ]
    s.append(pinecone)

    cohere = Sheet("cohere", "2026-06-01", "Rerank")
    cohere.meters += [Meter("rerank_search", "2.00", 1000, "search", "rerank")]
    cohere.models += [Model("embed-v3", EMBED, "0.10", None, None)]
    s.append(cohere)

    tools = Sheet(
        "tools", "2026-11-01", "Third-party tools called by agents", regions=[("apac", "1.05")]
    )
    tools.meters += [
        Meter("web_search", "5.00", 1000, "query", "search"),
        Meter("code_sandbox_second", "0.00005", None, "sandbox second", "tool"),
        Meter("crm_api_call", "0.40", 1000, "API call", "tool"),
    ]
    s.append(tools)
    return s


def render_prices(sheets: list[Sheet]) -> str:
    out = [
        "# Price sheets used by every workflow of this stack.",
        "# Figures are per 1,000,000 tokens for models, per `per` units for meters.",
        "",
    ]
    for sh in sheets:
        out.append(f"price_sheet {hcl_string(sh.name)} {{")
        out += render_attrs(
            [
                ("description", hcl_string(sh.description)),
                ("currency", '"USD"'),
                ("effective", hcl_string(sh.effective)),
            ],
            "  ",
        )
        for label, mult in sh.regions:
            out.append("")
            out.append(f"  region {hcl_string(label)} {{")
            out.append(f"    multiplier = {mult}")
            out.append("  }")
        for m in sh.models:
            out.append("")
            out.append(f"  model {hcl_string(m.label)} {{")
            attrs = [("input_per_mtok", m.input_per_mtok)]
            if m.cached_input_per_mtok is not None:
                attrs.append(("cached_input_per_mtok", m.cached_input_per_mtok))
            if m.output_per_mtok is not None:
                attrs.append(("output_per_mtok", m.output_per_mtok))
            out += render_attrs(attrs, "    ")
            out.append("  }")
        for m in sh.meters:
            out.append("")
            out.append(f"  meter {hcl_string(m.label)} {{")
            attrs = [("price", m.price)]
            if m.per is not None:
                attrs.append(("per", str(m.per)))
            attrs.append(("unit", hcl_string(m.unit)))
            out += render_attrs(attrs, "    ")
            out.append("  }")
        out.append("}")
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# workflows and features

AREAS = [
    "support",
    "search",
    "billing",
    "onboarding",
    "sales",
    "legal",
    "docs",
    "code",
    "analytics",
    "hr",
    "marketing",
    "security",
    "ops",
    "finance",
    "catalog",
    "voice",
]
NOUNS = [
    "triage",
    "assistant",
    "summary",
    "router",
    "answer",
    "review",
    "digest",
    "agent",
    "copilot",
    "extractor",
    "classifier",
    "drafter",
    "translator",
    "insights",
    "qa",
    "autocomplete",
    "moderation",
    "tagging",
    "report",
    "chat",
]
UNITS = [
    ("resolved_ticket", "A support ticket answered end to end"),
    ("search_query", "One search query answered"),
    ("document_summary", "One document summarised"),
    ("chat_turn", "One assistant turn in a conversation"),
    ("code_review", "One pull request reviewed"),
    ("extracted_document", "One document turned into structured fields"),
    ("classified_item", "One item classified"),
    ("generated_report", "One report generated"),
    ("translated_page", "One page translated"),
    ("agent_task", "One agent task run to completion"),
    ("voice_call_minute", "One minute of a voice call handled"),
    ("moderated_post", "One post moderated"),
    ("drafted_email", "One email drafted"),
    ("completion", "One inline completion shown"),
    ("meeting_digest", "One meeting digested"),
]

# step templates: name -> (kind, family or model kind)
STEP_TEMPLATES: list[tuple[str, str, str]] = [
    ("embed_query", "model", EMBED),
    ("retrieve", "meter", "vector_read"),
    ("rerank", "meter", "rerank"),
    ("classify", "model", CHAT),
    ("plan", "model", CHAT),
    ("web_search", "meter", "search"),
    ("extract", "model", CHAT),
    ("draft", "model", CHAT),
    ("tool_call", "meter", "tool"),
    ("summarize", "model", CHAT),
    ("verify", "model", CHAT),
    ("translate", "model", CHAT),
    ("ocr", "meter", "ocr"),
    ("transcribe", "meter", "audio"),
    ("gpu_postprocess", "meter", "gpu"),
    ("store_memory", "meter", "vector_write"),
    ("escalate", "model", CHAT),
]


@dataclass
class Step:
    name: str
    kind: str  # model | meter
    attrs: dict[str, str]  # attribute -> expression text (insertion order kept)


@dataclass
class Workflow:
    name: str
    description: str
    cache_hit_rate: str | None
    steps: list[Step]


@dataclass
class Feature:
    name: str
    title: str
    owner: str
    unit: str
    workflow: Workflow
    region: str | None
    revenue_per_unit: str | None
    target_margin: str | None


def count_expr(rng: random.Random, lo: int, hi: int) -> str:
    """A call count: constant, discrete between, or triangular."""
    r = rng.random()
    if r < 0.35:
        return str(rng.randint(lo, hi))
    if r < 0.80:
        a = rng.randint(lo, hi)
        b = rng.randint(a, hi + 3)
        return f"between({a}, {b})"
    a = rng.randint(lo, hi)
    c = a + rng.randint(1, 6)
    m = rng.randint(a, c)
    return f"triangular({a}, {m}, {c})"


def as_count(expr: str) -> str:
    """A calls expression fit for a step with context_growth: a continuous distribution is
    an error there (its E[C(C-1)] is no count of call pairs), so a triangular becomes the
    discrete between of its bounds. No random draw, so the rest of the data is unchanged."""
    if expr.startswith("triangular("):
        lo, _mode, hi = expr[len("triangular(") : -1].split(", ")
        return f"between({lo}, {hi})"
    return expr


def tokens_expr(rng: random.Random, lo: int, hi: int, step: int = 10) -> str:
    """A token size: constant, between (discrete) or triangular."""
    r = rng.random()
    base = rng.randrange(lo, hi, step)
    if r < 0.55:
        return str(base)
    if r < 0.85:
        return f"between({base}, {base + rng.randrange(step, hi, step)})"
    hi2 = base + rng.randrange(step * 2, hi, step)
    mode = rng.randrange(base, hi2 + 1, step)
    return f"triangular({base}, {mode}, {hi2})"


def ratio(rng: random.Random, lo_pct: int, hi_pct: int) -> str:
    return dec(rng.randint(lo_pct, hi_pct), 2)


class StackBuilder:
    def __init__(self, rng: random.Random, sheets: list[Sheet]):
        self.rng = rng
        self.sheets = sheets
        self.chat_models = [
            f"{s.name}/{m.label}" for s in sheets for m in s.models if m.kind == CHAT
        ]
        self.embed_models = [
            f"{s.name}/{m.label}" for s in sheets for m in s.models if m.kind == EMBED
        ]
        self.meters: dict[str, list[str]] = {}
        for s in sheets:
            for m in s.meters:
                self.meters.setdefault(m.family, []).append(f"{s.name}/{m.label}")

    def step(self, name: str, kind: str, family: str) -> Step:
        rng = self.rng
        a: dict[str, str] = {}
        if kind == "model" and family == EMBED:
            a["uses"] = hcl_string(rng.choice(self.embed_models))
            a["calls"] = count_expr(rng, 1, 3)
            a["input_tokens"] = tokens_expr(rng, 40, 600)
            if rng.random() < 0.5:
                a["cacheable"] = "false"
        elif kind == "model":
            a["uses"] = hcl_string(rng.choice(self.chat_models))
            heavy = name in ("draft", "plan", "escalate", "summarize", "extract")
            a["calls"] = count_expr(rng, 1, 4 if heavy else 2)
            if rng.random() < 0.12:
                # a shared system prompt plus a per-step payload
                a["input_tokens"] = f"local.system_prompt_tokens + {rng.randrange(100, 3000, 50)}"
            else:
                a["input_tokens"] = tokens_expr(rng, 200, 6000 if heavy else 1500)
            a["output_tokens"] = tokens_expr(rng, 20, 1200 if heavy else 200)
            if rng.random() < 0.40:
                a["cached_share"] = ratio(rng, 5, 80)
            if heavy and rng.random() < 0.55:
                a["context_growth"] = tokens_expr(rng, 50, 900)
                a["calls"] = as_count(a["calls"])
            if rng.random() < 0.30:
                if rng.random() < 0.15:
                    a["retry_rate"] = "var.default_retry_rate"
                else:
                    a["retry_rate"] = ratio(rng, 1, 15)
            if name in ("escalate", "verify") or rng.random() < 0.10:
                a["share"] = ratio(rng, 2, 60)
            if rng.random() < 0.10:
                a["cacheable"] = "false"
        else:
            a["uses"] = hcl_string(rng.choice(self.meters[family]))
            a["calls"] = count_expr(rng, 1, 5)
            if family in ("vector_read", "vector_write", "gpu", "tool", "ocr", "audio"):
                a["quantity"] = tokens_expr(rng, 1, 60, 1)
            if rng.random() < 0.15:
                a["share"] = ratio(rng, 10, 90)
            if rng.random() < 0.10:
                a["retry_rate"] = ratio(rng, 1, 8)
            if rng.random() < 0.25:
                a["cacheable"] = "false"
        return Step(name, kind, a)

    def workflow(self, name: str, title: str, n_steps: int) -> Workflow:
        rng = self.rng
        idx = sorted(rng.sample(range(len(STEP_TEMPLATES)), n_steps))
        steps = [self.step(*STEP_TEMPLATES[i]) for i in idx]
        chr_ = ratio(rng, 2, 35) if rng.random() < 0.45 else None
        return Workflow(name, f"Produces one unit of {title}", chr_, steps)


def split_steps(rng: random.Random, n_workflows: int, total: int) -> list[int]:
    """Step counts per workflow, 3..7 where possible, summing exactly to total."""
    base, extra = divmod(total, n_workflows)
    counts = [base + (1 if i < extra else 0) for i in range(n_workflows)]
    if n_workflows < 2:
        return counts
    lo, hi = max(1, base - 2), min(len(STEP_TEMPLATES), base + 2)
    for _ in range(n_workflows * 2):
        i, j = rng.randrange(n_workflows), rng.randrange(n_workflows)
        if i != j and counts[i] < hi and counts[j] > lo:
            counts[i] += 1
            counts[j] -= 1
    return counts


def build_features(
    rng: random.Random, sheets: list[Sheet], n: int, total_steps: int
) -> list[Feature]:
    sb = StackBuilder(rng, sheets)
    counts = split_steps(rng, n, total_steps)
    if max(counts) > len(STEP_TEMPLATES):
        raise SystemExit(f"at most {len(STEP_TEMPLATES)} steps per workflow are supported")
    feats: list[Feature] = []
    for i in range(n):
        area = AREAS[i % len(AREAS)]
        noun = NOUNS[rng.randrange(len(NOUNS))]
        name = f"{area}_{noun}_{i + 1:03d}"
        title = f"{area} {noun} {i + 1:03d}"
        wf = sb.workflow(f"{name}_flow", title, counts[i])
        r = rng.random()
        region = "eu" if r < 0.15 else "apac" if r < 0.25 else "us" if r < 0.30 else None
        rev = dec(rng.randint(2, 150), 2) if rng.random() < 0.40 else None
        tm = ratio(rng, 30, 80) if rng.random() < 0.60 else None
        feats.append(
            Feature(name, title, f"team-{area}", UNITS[i % len(UNITS)][0], wf, region, rev, tm)
        )
    return feats


def render_feature_file(f: Feature) -> str:
    wf = f.workflow
    out = [
        f"# {f.title}: workflow and feature (owner: {f.owner}).",
        "",
        f"workflow {hcl_string(wf.name)} {{",
    ]
    wattrs = [("description", hcl_string(wf.description))]
    if wf.cache_hit_rate is not None:
        wattrs.append(("cache_hit_rate", wf.cache_hit_rate))
    out += render_attrs(wattrs, "  ")
    for st in wf.steps:
        out.append("")
        out.append(f"  step {hcl_string(st.name)} {{")
        out += render_attrs(list(st.attrs.items()), "    ")
        out.append("  }")
    out.append("}")
    out.append("")
    out.append(f"feature {hcl_string(f.name)} {{")
    fattrs = [
        ("description", hcl_string(f"The {f.title} feature")),
        ("unit", f"unit.{f.unit}"),
        ("workflow", f"workflow.{wf.name}"),
    ]
    if f.region is not None:
        fattrs.append(("region", hcl_string(f.region)))
    if f.revenue_per_unit is not None:
        fattrs.append(("revenue_per_unit", f.revenue_per_unit))
    if f.target_margin is not None:
        fattrs.append(("target_margin", f.target_margin))
    out += render_attrs(fattrs, "  ")
    out.append("}")
    out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# subscriptions

SUB_PLANS = [
    # name, price, feature count, customer weight
    ("free", 0, 4, 30),
    ("starter", 9, 6, 25),
    ("pro", 29, 12, 20),
    ("team", 99, 20, 12),
    ("business", 299, 30, 7),
    ("scale", 799, 35, 3),
    ("enterprise", 1499, 50, 2),
    ("api_only", 49, 8, 1),
]


@dataclass
class Subscription:
    name: str
    price: int
    features: list[str]
    shares: list[str] | None  # basis-point decimals summing to exactly 1
    weight: int
    customers: int = 0


def split_shares(rng: random.Random, k: int) -> list[str]:
    """k decimals with 4 digits, each > 0, summing to exactly 1."""
    total = 10000
    raw = [rng.randint(1, 100) for _ in range(k)]
    s = sum(raw)
    parts = [max(1, r * total // s) for r in raw]
    diff = total - sum(parts)
    # give the remainder to (or take it from) the largest part
    j = max(range(k), key=parts.__getitem__)
    parts[j] += diff
    assert sum(parts) == total and all(0 < p <= total for p in parts)
    return [dec(p, 4) for p in parts]


def build_subscriptions(rng: random.Random, feats: list[Feature], count: int) -> list[Subscription]:
    names = [f.name for f in feats]
    subs: list[Subscription] = []
    for i in range(count):
        if i < len(SUB_PLANS):
            name, price, k, w = SUB_PLANS[i]
        else:
            name, price, k, w = f"plan_{i + 1:02d}", rng.randint(5, 500), 10, 2
        k = max(1, min(k, len(names)))
        chosen = sorted(rng.sample(names, k))
        # one plan uses the default (equal) split: pick a plan with 4 features so
        # that the equal split is exact; every other plan declares its split
        shares = None if (name == "free" and k == 4) else split_shares(rng, k)
        subs.append(Subscription(name, price, chosen, shares, w))
    return subs


def render_stack_file(subs: list[Subscription], usage_name: str) -> str:
    out = [
        "# Settings, units, shared values, subscriptions and guardrails.",
        "",
        "infercost {",
    ]
    out += render_attrs(
        [("currency", '"USD"'), ("period", '"month"'), ("usage", hcl_string(usage_name))], "  "
    )
    out += ["}", ""]
    out += ['variable "default_retry_rate" {']
    out += render_attrs(
        [
            ("type", "number"),
            ("default", "0.04"),
            ("description", '"Retry rate assumed for flaky upstream calls"'),
        ],
        "  ",
    )
    out += ["}", ""]
    out += ["locals {"]
    out += render_attrs([("system_prompt_tokens", "850")], "  ")
    out += ["}", ""]
    for uname, udesc in UNITS:
        out += [f"unit {hcl_string(uname)} {{", f"  description = {hcl_string(udesc)}", "}", ""]
    for s in subs:
        out.append(f"subscription {hcl_string(s.name)} {{")
        out += render_attrs(
            [
                ("description", hcl_string(f"The {s.name} plan")),
                ("price", str(s.price)),
                ("customers", str(s.customers)),
            ],
            "  ",
        )
        out.append("  features = [")
        out += [f"    feature.{f}," for f in s.features]
        out.append("  ]")
        if s.shares is not None:
            out.append("  revenue_share = {")
            out += render_attrs(list(zip(s.features, s.shares, strict=True)), "    ")
            out.append("  }")
        out += ["}", ""]
    out += [
        'guardrail "house_margin" {',
        *render_attrs(
            [
                ("scope", '"feature"'),
                ("severity", '"warning"'),
                ("description", '"Every feature keeps the house margin"'),
                ("condition", "self.margin >= 0.45"),
                ("message", '"${self.name}: margin ${self.margin} below the house margin"'),
            ],
            "  ",
        ),
        "}",
        "",
        'guardrail "no_underwater_customers" {',
        *render_attrs(
            [
                ("scope", '"customer"'),
                ("severity", '"warning"'),
                ("condition", "self.cogs <= self.revenue"),
                ("message", '"${self.id} (${self.subscription}) costs ${self.cogs}"'),
            ],
            "  ",
        ),
        "}",
        "",
        'guardrail "underwater_share" {',
        *render_attrs(
            [
                ("scope", '"subscription"'),
                ("condition", "self.underwater_share <= 0.25"),
            ],
            "  ",
        ),
        "}",
        "",
        'guardrail "retry_budget" {',
        *render_attrs(
            [
                ("scope", '"step"'),
                ("severity", '"warning"'),
                ("condition", "self.retry_rate <= 0.12"),
            ],
            "  ",
        ),
        "}",
        "",
        'guardrail "cogs_growth" {',
        *render_attrs(
            [
                ("scope", '"stack"'),
                ("condition", "self.cogs_change_pct <= 10"),
            ],
            "  ",
        ),
        "}",
        "",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------------
# changes for plan


def change_workflows(
    rng: random.Random, feats: list[Feature], sheets: list[Sheet], share: float
) -> list[str]:
    """Mutate a share of the workflows in place; returns a description per change."""
    sb = StackBuilder(rng, sheets)
    n = max(1, round(len(feats) * share)) if share > 0 else 0
    picked = sorted(rng.sample(range(len(feats)), n))
    log: list[str] = []
    for i in picked:
        wf = feats[i].workflow
        chat_steps = [
            s
            for s in wf.steps
            if s.kind == "model" and s.attrs["uses"].strip('"') in sb.chat_models
        ]
        mode = rng.random()
        if chat_steps and mode < 0.5:
            st = rng.choice(chat_steps)
            old = st.attrs["uses"]
            choices = [m for m in sb.chat_models if hcl_string(m) != old]
            st.attrs["uses"] = hcl_string(rng.choice(choices))
            log.append(f"workflow.{wf.name}.step.{st.name}: uses {old} -> {st.attrs['uses']}")
        elif mode < 0.85:
            st = rng.choice(wf.steps)
            old = st.attrs["calls"]
            new = old
            while new == old:
                new = count_expr(rng, 1, 6)
            if "context_growth" in st.attrs:
                new = as_count(new)
            st.attrs["calls"] = new
            log.append(f"workflow.{wf.name}.step.{st.name}: calls {old} -> {new}")
        else:
            st = rng.choice(wf.steps)
            if st.kind == "model":
                old = st.attrs.get("input_tokens", "0")
                new = tokens_expr(rng, 200, 8000)
                st.attrs["input_tokens"] = new
                log.append(f"workflow.{wf.name}.step.{st.name}: input_tokens {old} -> {new}")
            else:
                old = st.attrs.get("retry_rate", "0")
                st.attrs["retry_rate"] = ratio(rng, 10, 30)
                log.append(
                    f"workflow.{wf.name}.step.{st.name}: retry_rate {old} -> "
                    f"{st.attrs['retry_rate']}"
                )
    return log


# ---------------------------------------------------------------------------
# usage snapshot


def write_usage(
    path: Path,
    rng: random.Random,
    subs: list[Subscription],
    feats: list[Feature],
    rows: int,
    customers: int,
    distinct: bool = False,
) -> dict[str, int]:
    """Per-customer usage CSV: customer,subscription,feature,units.

    With ``distinct``, a customer's rows name features it has not used yet while there
    are any (its subscription's first), so nearly every row is its own (customer,
    feature) group: the shape that makes per-customer aggregation work hardest.
    """
    if rows < customers:
        raise SystemExit("--rows must be >= --customers (every customer has a row)")
    feat_names = [f.name for f in feats]
    # typical units per row, per feature (heavy tail)
    intensity = {f: max(1.0, rng.lognormvariate(2.5, 1.0)) for f in feat_names}

    sub_idx = rng.choices(range(len(subs)), weights=[s.weight for s in subs], k=customers)
    for s in subs:
        s.customers = 0
    for j in sub_idx:
        subs[j].customers += 1

    idle = set(rng.sample(range(customers), customers // 100))
    active = [c for c in range(customers) if c not in idle]
    counts = [1] * customers
    extra = rows - customers
    if extra:
        if not active:  # tiny sizes: nobody idle after all
            idle.clear()
            active = list(range(customers))
        weights = [rng.paretovariate(1.6) for _ in active]
        for c in rng.choices(active, weights=weights, k=extra):
            counts[c] += 1
    assert sum(counts) == rows

    rand = rng.random
    choice = rng.choice
    expo = rng.expovariate
    outside = 0
    fractional = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write("customer,subscription,feature,units\n")
        buf: list[str] = []
        for c in range(customers):
            sub = subs[sub_idx[c]]
            cid = f"cus_{c + 1:06d}"
            prefix = f"{cid},{sub.name},"
            if c in idle:
                buf.append(prefix + ",0")
                continue
            own = sub.features
            order = distinct_order(rng, own, feat_names, counts[c]) if distinct else None
            for i in range(counts[c]):
                if order is not None:
                    f = order[i]
                    outside += f not in own
                elif rand() < 0.05:
                    f = choice(feat_names)
                    outside += 1
                else:
                    f = choice(own)
                mean = intensity[f]
                if rand() < 0.02:
                    units = f"{expo(1.0 / mean) + 0.5:.1f}"
                    fractional += 1
                else:
                    units = str(int(expo(1.0 / mean)) + 1)
                buf.append(f"{prefix}{f},{units}")
            if len(buf) >= 50000:
                buf.append("")
                fh.write("\n".join(buf))
                buf.clear()
        if buf:
            buf.append("")
            fh.write("\n".join(buf))
    return {
        "rows": rows,
        "customers": customers,
        "idle_customers": len(idle),
        "rows_outside_subscription": outside,
        "fractional_rows": fractional,
    }


def distinct_order(rng: random.Random, own: list[str], every: list[str], n: int) -> list[str]:
    """``n`` features for one customer, distinct while possible: own ones first (5 % of
    picks from outside the subscription), then any."""
    own_left = rng.sample(own, len(own))
    taken: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        if len(taken) >= len(every):
            out.append(rng.choice(every))
            continue
        f = own_left.pop() if own_left and rng.random() >= 0.05 else rng.choice(every)
        if f in taken:
            continue
        taken.add(f)
        out.append(f)
    return out


def write_json_usage(csv_path: Path, json_path: Path, rows: int) -> int:
    """The first ``rows`` rows of the CSV snapshot as a JSON array, one object a line,
    as exports from warehouses and notebooks usually look. Returns the rows written."""
    with open(csv_path, encoding="utf-8") as src, open(json_path, "w", encoding="utf-8") as out:
        header = src.readline().rstrip("\n").split(",")
        out.write("[\n")
        written = 0
        for line in src:
            if written >= rows:
                break
            cells = dict(zip(header, line.rstrip("\n").split(","), strict=True))
            item = {k: v for k, v in cells.items() if k != "units" and v}
            item["units"] = cells["units"]  # a JSON number, written from its text
            body = ", ".join(
                f"{json.dumps(k)}: {v if k == 'units' else json.dumps(v)}" for k, v in item.items()
            )
            out.write(("  {" if written == 0 else ",\n  {") + body + "}")
            written += 1
        out.write("\n]\n")
    return written


# ---------------------------------------------------------------------------
# git variant


def git(repo: Path, *args: str) -> None:
    env = dict(os.environ)
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "bench",
            "GIT_AUTHOR_EMAIL": "bench@example.invalid",
            "GIT_COMMITTER_NAME": "bench",
            "GIT_COMMITTER_EMAIL": "bench@example.invalid",
            "GIT_AUTHOR_DATE": "2026-11-01T00:00:00Z",
            "GIT_COMMITTER_DATE": "2026-11-01T00:00:00Z",
        }
    )
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=" + os.devnull, *args],
        cwd=repo,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def write_stack(dest: Path, files: dict[str, str]) -> int:
    dest.mkdir(parents=True, exist_ok=True)
    lines = 0
    for name, text in files.items():
        (dest / name).write_text(text, encoding="utf-8")
        lines += text.count("\n")
    return lines


def build_git_repo(repo: Path, base: dict[str, str], head: dict[str, str], usage: Path) -> None:
    repo.mkdir(parents=True)
    stack = repo / "stack"
    git(repo, "init", "-q")
    (repo / ".gitignore").write_text("*.csv\n", encoding="utf-8")
    write_stack(stack, base)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Stack as of the base")
    for name, text in head.items():
        if base.get(name) != text:
            (stack / name).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "Change a share of the workflows")
    link_or_copy(usage, stack / usage.name)


# ---------------------------------------------------------------------------


def generate(
    out: Path,
    *,
    seed: int = 42,
    features: int = 200,
    steps: int = 1000,
    rows: int = 1_000_000,
    customers: int = 50_000,
    subscriptions: int = 8,
    changed_share: float = 0.10,
    with_git: bool = True,
    force: bool = False,
    quiet: bool = False,
    distinct: bool = False,
    json_rows: int = 0,
) -> dict:
    def say(msg: str) -> None:
        if not quiet:
            print(msg, file=sys.stderr, flush=True)

    out.mkdir(parents=True, exist_ok=True)
    owned = ["stack", "changed", "gitrepo", "manifest.json"]
    present = [n for n in owned if (out / n).exists()]
    if present:
        if not force:
            raise SystemExit(f"{out}: already holds {', '.join(present)} (use --force)")
        for n in present:
            p = out / n
            shutil.rmtree(p) if p.is_dir() else p.unlink()

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    rng_stack = random.Random(f"infercost-bench-stack-{seed}")
    sheets = build_sheets()
    feats = build_features(rng_stack, sheets, features, steps)
    subs = build_subscriptions(rng_stack, feats, subscriptions)
    timings["model"] = time.perf_counter() - t0

    # usage first: it fixes each subscription's customer count
    t = time.perf_counter()
    stack_dir = out / "stack"
    stack_dir.mkdir(parents=True)
    usage = stack_dir / "usage.csv"
    rng_usage = random.Random(f"infercost-bench-usage-{seed}")
    usage_stats = write_usage(usage, rng_usage, subs, feats, rows, customers, distinct)
    timings["usage_csv"] = time.perf_counter() - t
    usage_json = stack_dir / "usage.json"
    if json_rows:
        t = time.perf_counter()
        usage_stats["json_rows"] = write_json_usage(usage, usage_json, json_rows)
        timings["usage_json"] = time.perf_counter() - t

    t = time.perf_counter()
    base_files: dict[str, str] = {
        "prices.hcl": render_prices(sheets),
        "stack.hcl": render_stack_file(subs, usage.name),
    }
    for f in feats:
        base_files[f"{f.name}.hcl"] = render_feature_file(f)
    base_lines = write_stack(stack_dir, base_files)

    rng_change = random.Random(f"infercost-bench-change-{seed}")
    change_log = change_workflows(rng_change, feats, sheets, changed_share)
    head_files = dict(base_files)
    for f in feats:
        head_files[f"{f.name}.hcl"] = render_feature_file(f)
    changed_dir = out / "changed"
    head_lines = write_stack(changed_dir, head_files)
    link_or_copy(usage, changed_dir / usage.name)
    timings["stacks"] = time.perf_counter() - t

    if with_git:
        t = time.perf_counter()
        build_git_repo(out / "gitrepo", base_files, head_files, usage)
        timings["git_repo"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0

    changed_files = sorted(n for n in base_files if base_files[n] != head_files[n])
    manifest = {
        "seed": seed,
        "stack": "stack",
        "changed": "changed",
        "gitrepo": "gitrepo" if with_git else None,
        "git_stack": "gitrepo/stack" if with_git else None,
        "usage": "stack/usage.csv",
        "usage_json": "stack/usage.json" if json_rows else None,
        "sizes": {
            "features": len(feats),
            "workflows": len(feats),
            "steps": sum(len(f.workflow.steps) for f in feats),
            "subscriptions": len(subs),
            "hcl_files": len(base_files),
            "hcl_lines": base_lines,
            "hcl_lines_changed": head_lines,
            "hcl_bytes": sum(len(t.encode()) for t in base_files.values()),
            "changed_workflows": len(change_log),
            "changed_files": len(changed_files),
            "usage_bytes": usage.stat().st_size,
            **usage_stats,
        },
        "changes": change_log,
        "generation_seconds": {k: round(v, 3) for k, v in timings.items()},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    say(
        f"generated {out} in {timings['total']:.2f} s: "
        f"{len(base_files)} files, {base_lines} lines of HCL, "
        f"{manifest['sizes']['steps']} steps, {rows} usage rows "
        f"({usage.stat().st_size / 1e6:.1f} MB), {len(change_log)} workflows changed"
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("out", type=Path, help="output directory")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--features", type=int, default=200, help="features (= workflows)")
    ap.add_argument("--steps", type=int, default=1000, help="workflow steps in total")
    ap.add_argument("--rows", type=int, default=1_000_000, help="usage rows")
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--subscriptions", type=int, default=8)
    ap.add_argument(
        "--changed-share",
        type=float,
        default=0.10,
        help="share of workflows changed in changed/ and the git commit",
    )
    ap.add_argument("--no-git", action="store_true", help="skip the git repository variant")
    ap.add_argument(
        "--distinct",
        action="store_true",
        help="each customer's rows name distinct features (about one group per row)",
    )
    ap.add_argument(
        "--json-rows",
        type=int,
        default=0,
        help="also write stack/usage.json: the first N rows as a JSON array",
    )
    ap.add_argument(
        "--force",
        action="store_true",
        help="replace stack/, changed/, gitrepo/ and manifest.json in OUT",
    )
    args = ap.parse_args(argv)
    if args.features < 1 or args.steps < args.features:
        ap.error("need --features >= 1 and --steps >= --features")
    if args.customers < 1 or args.rows < args.customers:
        ap.error("need --customers >= 1 and --rows >= --customers")
    if not 0 <= args.changed_share <= 1:
        ap.error("--changed-share lies in [0, 1]")
    if not args.no_git and shutil.which("git") is None:
        ap.error("git not found (use --no-git)")
    m = generate(
        args.out,
        seed=args.seed,
        features=args.features,
        steps=args.steps,
        rows=args.rows,
        customers=args.customers,
        subscriptions=args.subscriptions,
        changed_share=args.changed_share,
        with_git=not args.no_git,
        force=args.force,
        distinct=args.distinct,
        json_rows=args.json_rows,
    )
    print(
        json.dumps({"sizes": m["sizes"], "generation_seconds": m["generation_seconds"]}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
