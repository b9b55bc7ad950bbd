"""A CSV file whose lines end in two ways (rows appended on another system) is named
at the first line that ends unlike line 1, for usage snapshots and request records
alike, instead of the reader's "state machine" message."""

from __future__ import annotations

from pathlib import Path

import pytest

from infercost.usage.line_ends import mixed_line_end
from tests.helpers import EXAMPLES, run_cli

STACK = EXAMPLES / "support-assistant"
ROW = "c1,pro,support_assistant,3,2026-11"
RECORD = "2026-11-03T09:00:00Z,t1,support_assistant,c1,pro,openai/gpt-4o-mini,5,0,10,0.5"
RECORDS_HEADER = (
    "time,unit_id,feature,customer,subscription,item,input_tokens,cached_input_tokens,"
    "output_tokens,reported_cost"
)
ADVICE = (
    ": the reader needs one kind of line end throughout a CSV file. Convert the file to "
    "one (for example with dos2unix or unix2dos) and run again.\n\n"
)
CRLF_AFTER_LF = 'ends with CR LF ("\\r\\n") but line 1 with LF ("\\n")'
LF_AFTER_CRLF = 'ends with LF ("\\n") but line 1 with CR LF ("\\r\\n")'


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (b"a\nb\r\nc\n", (2, b"\r\n", b"\n")),
        (b"a\r\nb\r\nc\nd\r\n", (3, b"\n", b"\r\n")),
        (b"a\nb\nc", None),
        (b"a\r\nb\r\nc\r\n", None),
        (b'"x\ry"\nb\n', None),  # a bare "\r" is not a line end
        (b"", None),
    ],
)
@pytest.mark.parametrize("chunk", [1, 2, 3, 1 << 20])  # "\r\n" split across two reads
def test_the_first_line_that_ends_unlike_line_one(
    tmp_path: Path, text: bytes, found: tuple | None, chunk: int
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(text)
    assert mixed_line_end(path, chunk) == found


def test_a_usage_snapshot_with_mixed_line_ends(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    header = "customer,subscription,feature,units,period"
    Path("u.csv").write_bytes(f"{header}\n{ROW}\n{ROW}\r\n".encode())
    code, stdout, err = run_cli(["breakdown", str(STACK), "--usage", "u.csv"])
    assert (code, stdout) == (1, "")
    assert err == (
        f"Error: Invalid usage file\n\n  on u.csv line 3:\n  3: {ROW}\n\n"
        f"Line 3 {CRLF_AFTER_LF}{ADVICE}"
    )


def test_request_records_with_mixed_line_ends(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("r.csv").write_bytes(f"{RECORDS_HEADER}\r\n{RECORD}\n".encode())
    code, stdout, err = run_cli(
        ["usage", "import", str(STACK), "r.csv", "--from", "records", "--out", "o.csv"]
    )
    assert (code, stdout, Path("o.csv").exists()) == (1, "", False)
    assert err == (
        f"Error: Unreadable records file\n\n  on r.csv line 2:\n  2: {RECORD}\n\n"
        f"Line 2 {LF_AFTER_CRLF}{ADVICE}"
    )
