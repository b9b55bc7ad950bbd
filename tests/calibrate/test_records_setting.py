"""The ``records`` setting of the infercost block: check reads it for drift when the
command line names no records; the flag overrides it; bad settings are located errors."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from infercost.config.loader import display_path
from tests.helpers import hcl, run_cli, write_files

SETTINGS = """
    infercost {
      currency = "USD"
      usage    = "usage.csv"
      %s
    }
"""
STACK = hcl(
    """
    price_sheet "p" {
      currency  = "USD"
      effective = "2026-11-01"
      model "m" {
        input_per_mtok  = 1.00
        output_per_mtok = 2.00
      }
    }
    unit "ticket" {}
    workflow "answer" {
      step "draft" {
        uses          = "p/m"
        input_tokens  = 1000
        output_tokens = 100
        cacheable     = false
      }
    }
    feature "support" {
      unit             = unit.ticket
      workflow         = workflow.answer
      revenue_per_unit = 0.50
    }
    guardrail "drift" {
      scope     = "feature"
      condition = self.drift_pct <= 20
      message   = "drift ${self.drift_pct}%"
    }
    """
)
HEADER = "time,unit_id,feature,item,input_tokens,output_tokens\n"
# Declared: 1000 in x $1 + 100 out x $2 per Mtok = $0.0012 a ticket.
# Records: t1 (1000 in, 100 out) and t2 (2000 in, 200 out): $0.0036 over 2 tickets =
# $0.0018 a ticket, so drift = 0.0018 / 0.0012 - 1 = +50 %.
HEAVY = (
    HEADER
    + "2026-11-03T09:00:00Z,t1,support,p/m,1000,100\n"
    + "2026-11-03T09:05:00Z,t2,support,p/m,2000,200\n"
)
# As declared: two tickets of 1000 in, 100 out: drift 0 %.
LIGHT = (
    HEADER
    + "2026-11-03T09:00:00Z,t1,support,p/m,1000,100\n"
    + "2026-11-03T09:05:00Z,t2,support,p/m,1000,100\n"
)


def stack(tmp_path: Path, setting: str) -> Path:
    (tmp_path / "stack" / "records").mkdir(parents=True, exist_ok=True)
    return write_files(
        tmp_path / "stack",
        {
            "main.hcl": hcl(SETTINGS % setting) + STACK,
            "usage.csv": "feature,units\nsupport,100\n",
            "records/2026-11-03.csv": HEAVY,
            "light.csv": LIGHT,
        },
    )


def drift(result) -> tuple[str, D]:  # type: ignore[no-untyped-def]
    doc = json.loads(result.stdout, parse_float=D, parse_int=D)
    (row,) = [r for r in doc["results"] if r["guardrail"] == "drift"]
    return row["status"], row["values"]["drift_pct"]


def test_check_reads_the_stacks_records_setting_for_drift(tmp_path: Path) -> None:
    directory = stack(tmp_path, 'records = { from = "records", files = ["records/*.csv"] }')
    result = run_cli(["check", str(directory), "-o", "json"])
    assert result.code == 2, result.stderr
    assert drift(result) == ("fail", D(50))


def test_a_single_path_and_the_default_source(tmp_path: Path) -> None:
    directory = stack(tmp_path, 'records = { files = "light.csv" }')
    result = run_cli(["check", str(directory), "-o", "json"])
    assert result.code == 0, result.stderr
    assert drift(result) == ("pass", D(0))


def test_the_flag_overrides_the_setting(tmp_path: Path) -> None:
    directory = stack(tmp_path, 'records = { from = "records", files = ["records/*.csv"] }')
    result = run_cli(
        ["check", str(directory), "--records", str(directory / "light.csv"), "-o", "json"]
    )
    assert result.code == 0, result.stderr
    assert drift(result) == ("pass", D(0))


@pytest.mark.parametrize(
    ("setting", "summary", "detail"),
    [
        (
            'records = { from = "otle", files = ["a.jsonl"] }',
            "Invalid records source",
            'Did you mean "otel"?',
        ),
        (
            'records = { form = "otel", files = ["a.jsonl"] }',
            "Unsupported argument",
            'Did you mean "from"?',
        ),
        ('records = { from = "otel" }', "Incorrect attribute value type", "records.files"),
        ('records = "records/*.csv"', "Incorrect attribute value type", "must be an object"),
        (
            'records = { from = "focus", files = ["a.csv"] }',
            "Invalid records source",
            "records, otel, litellm",
        ),
    ],
)
def test_a_bad_setting_is_a_located_error(
    tmp_path: Path, setting: str, summary: str, detail: str
) -> None:
    directory = stack(tmp_path, setting)
    result = run_cli(["check", str(directory)])
    assert result.code == 1
    assert summary in result.stderr and detail in result.stderr
    assert "main.hcl line 4" in result.stderr or "main.hcl:4" in result.stderr, result.stderr


def test_files_must_exist_and_stay_inside_the_repository(tmp_path: Path) -> None:
    directory = stack(tmp_path, 'records = { files = ["nothing/*.csv"] }')
    result = run_cli(["check", str(directory)])
    assert result.code == 1
    assert '"nothing/*.csv" matches no file' in result.stderr
    (tmp_path / "outside.csv").write_text(LIGHT)
    directory = stack(tmp_path, 'records = { files = ["../outside.csv"] }')
    result = run_cli(["check", str(directory)])
    assert result.code == 1
    assert "Path outside the repository" in result.stderr


def test_calibrate_reads_the_setting_when_no_file_is_named(tmp_path: Path) -> None:
    directory = stack(tmp_path, 'records = { from = "records", files = ["records/*.csv"] }')
    result = run_cli(["calibrate", str(directory), "-o", "json"])
    assert result.code == 0, result.stderr
    (feature,) = json.loads(result.stdout, parse_float=D, parse_int=D)["features"]
    # The heavy records: $0.0018 a ticket against $0.0012 declared.
    assert feature["cost_per_unit"]["observed"] == D("0.0018")
    assert feature["cost_per_unit"]["drift_pct"] == D(50)
    missing = run_cli(["calibrate", str(stack(tmp_path / "other", ""))])
    assert missing.code == 1 and "Missing --from" in missing.stderr


# -- validate reads the setting's files as check does --------------------------------


def test_validate_reads_the_setting_and_says_so(tmp_path: Path) -> None:
    directory = stack(tmp_path, 'records = { from = "records", files = ["records/*.csv"] }')
    result = run_cli(["validate", str(directory)])
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout.startswith(
        "Success! The configuration is valid (1 features, 1 workflows, 1 steps, 1 price "
        f"items; usage {display_path(directory / 'usage.csv')}: 1 rows; "
        "records: 2 in the records format)."
    ), result.stdout


@pytest.mark.parametrize("command", ["validate", "check"])
def test_validate_refuses_missing_records_files_as_check_does(tmp_path: Path, command: str) -> None:
    directory = stack(tmp_path, 'records = { files = ["nothing/*.csv"] }')
    result = run_cli([command, str(directory)])
    assert result.code == 1
    assert result.stderr.startswith(
        "Error: Records file not found\n\n"
        f"  on {display_path(directory / 'main.hcl')} line 4, in infercost:\n"
    ), result.stderr
    assert (
        'records.files: "nothing/*.csv" matches no file (paths are relative to the stack '
        "directory)." in result.stderr
    )


@pytest.mark.parametrize("command", ["validate", "check"])
def test_validate_refuses_a_bad_record_as_check_does(tmp_path: Path, command: str) -> None:
    directory = stack(tmp_path, 'records = { files = "bad.csv" }')
    (directory / "bad.csv").write_text(HEADER + "2026-11-03T09:00:00Z,t1,support,p/m,-5,100\n")
    result = run_cli([command, str(directory)])
    assert result.code == 1
    assert result.stderr.startswith(
        f"Error: Invalid record\n\n  on {display_path(directory / 'bad.csv')} line 2:\n"
    ), result.stderr
    assert result.stderr.endswith(
        "record 1: input_tokens must be a whole number >= 0, not -5. To skip such records, "
        'add "invalid_tokens" to skip in the records "records" block.\n\n'
    ), result.stderr
