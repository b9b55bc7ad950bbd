#!/usr/bin/env python3
"""Run the infercost benchmarks and print figures against their targets.

    python bench/run.py                 # generate into a temp dir, measure, clean up
    python bench/run.py --data DIR      # reuse DIR (generated there first if empty)

Every command runs in a child process (``python -m infercost ...``); wall time is
measured around the child and its peak resident set size is read from the
child's own rusage (``os.wait4``). The report always exits 0: a MISS is a
figure to look at, not a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.dont_write_bytecode = True  # keep bench/ free of __pycache__

import hostspeed  # noqa: E402
from generate import generate  # noqa: E402

GIB = 1024**3
MIB = 1024**2

# ---------------------------------------------------------------------------
# running one child


@dataclass
class Sample:
    rc: int
    wall: float  # seconds, spawn to reap
    rss: int | None  # peak resident set size of the child, bytes
    stdout: bytes
    stderr: str
    timed_out: bool = False


def _maxrss_bytes(ru: Any) -> int:
    # Linux and the BSDs report KiB, macOS bytes.
    return int(ru.ru_maxrss) if sys.platform == "darwin" else int(ru.ru_maxrss) * 1024


def run_child(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Sample:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        timed_out = threading.Event()
        reaped = threading.Lock()

        def on_timeout() -> None:
            with reaped:
                if proc.returncode is None:
                    timed_out.set()
                    proc.kill()

        timer = threading.Timer(timeout, on_timeout)
        timer.daemon = True
        timer.start()
        rss: int | None
        try:
            if hasattr(os, "wait4"):
                _, status, ru = os.wait4(proc.pid, 0)
                wall = time.perf_counter() - t0
                with reaped:
                    proc.returncode = os.waitstatus_to_exitcode(status)
                rss = _maxrss_bytes(ru)
            else:  # no per-child rusage on this platform
                proc.wait()
                wall = time.perf_counter() - t0
                rss = None
        finally:
            timer.cancel()
        out.seek(0)
        err.seek(0)
        return Sample(
            proc.returncode,
            wall,
            rss,
            out.read(),
            err.read().decode("utf-8", "replace"),
            timed_out.is_set(),
        )


def error_line(sample: Sample) -> str:
    if sample.timed_out:
        return "timed out"
    lines = [ln.strip() for ln in sample.stderr.splitlines() if ln.strip()]
    if not lines:
        return f"exit code {sample.rc}, no stderr"
    # a Python traceback says what went wrong on its last line
    line = lines[-1] if lines[0].startswith("Traceback") else lines[0]
    return line if len(line) <= 90 else line[:87] + "..."


# ---------------------------------------------------------------------------
# measurements


@dataclass
class Bench:
    name: str
    argv: list[str]
    cwd: Path
    runs: int
    ok_codes: tuple[int, ...] = (0,)
    # figure reported: wall time of the child, or a time the child prints itself
    inner_time: bool = False
    target_s: Callable[[dict[str, Result]], float | None] | None = None
    target_text: str = "-"
    target_rss: int | None = None
    # a peak-RSS target taken from an earlier result (e.g. twice breakdown's)
    target_rss_from: Callable[[dict[str, Result]], int | None] | None = None
    describe: Callable[[bytes], str] | None = None
    skip_reason: str | None = None


@dataclass
class Result:
    name: str
    times: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    error: str | None = None
    note: str = ""
    target_s: float | None = None
    target_text: str = "-"
    target_rss: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.times)

    @property
    def min(self) -> float | None:
        return min(self.times) if self.ok else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.ok else None

    @property
    def peak_rss(self) -> int | None:
        return max(self.rss) if self.ok and self.rss else None

    def ratios(self) -> list[float]:
        out = []
        if self.ok and self.target_s:
            out.append(self.median / self.target_s)
        if self.ok and self.target_rss and self.peak_rss is not None:
            out.append(self.peak_rss / self.target_rss)
        return out

    def verdict(self) -> str:
        if not self.ok:
            return "n/a"
        r = self.ratios()
        if not r:
            return "-"
        return "PASS" if max(r) <= 1 else "MISS"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "error": self.error,
            "note": self.note,
            "runs": len(self.times),
            "times_s": [round(t, 4) for t in self.times],
            "min_s": self.min,
            "median_s": self.median,
            "peak_rss_bytes": self.peak_rss,
            "target_s": self.target_s,
            "target_rss_bytes": self.target_rss,
            "ratios": self.ratios(),
            "verdict": self.verdict(),
        }


def measure(
    b: Bench,
    env: dict[str, str],
    warmup: int,
    timeout: float,
    done: dict[str, Result],
    verbose: bool,
) -> Result:
    res = Result(b.name, target_text=b.target_text, target_rss=b.target_rss)
    res.target_s = b.target_s(done) if b.target_s else None
    if res.target_rss is None and b.target_rss_from is not None:
        res.target_rss = b.target_rss_from(done)
    if b.skip_reason:
        res.error = b.skip_reason
        return res
    last: Sample | None = None
    for i in range(warmup + b.runs):
        s = run_child(b.argv, b.cwd, env, timeout)
        if s.rc not in b.ok_codes or s.timed_out:
            res.error = f"error: {error_line(s)}"
            if verbose:
                print(f"  {b.name}: exit {s.rc}\n{s.stderr.rstrip()}", file=sys.stderr)
            return res
        if b.inner_time:
            try:
                figure = float(s.stdout.split()[0])
            except (IndexError, ValueError):
                res.error = "error: child printed no timing"
                return res
        else:
            figure = s.wall
        if i >= warmup:
            res.times.append(figure)
            if s.rss is not None:
                res.rss.append(s.rss)
        last = s
        if verbose:
            tag = "warm-up" if i < warmup else f"run {i - warmup + 1}"
            print(f"  {b.name} {tag}: {figure:.3f} s", file=sys.stderr, flush=True)
    if last is not None and b.describe:
        try:
            res.note = b.describe(last.stdout)
        except Exception as exc:  # a summary is a courtesy, never fatal
            res.note = f"output not understood: {type(exc).__name__}: {exc}"[:120]
    return res


# ---------------------------------------------------------------------------
# output summaries (sanity checks that a fast figure is a real one)


def _json(stdout: bytes) -> Any:
    return json.loads(stdout)


def describe_breakdown(stdout: bytes) -> str:
    d = _json(stdout)
    tot = d.get("totals") or {}
    return (
        f"{len(d.get('features', []))} features, {len(d.get('subscriptions', []))} "
        f"subscriptions, {len(d.get('customers', []))} customers, "
        f"COGS {tot.get('cogs')}, margin {tot.get('margin')}"
    )


def describe_plan(stdout: bytes) -> str:
    d = _json(stdout)
    actions: dict[str, int] = {}
    for f in d.get("features", []):
        actions[f.get("action")] = actions.get(f.get("action"), 0) + 1
    parts = ", ".join(f"{n} {a}" for a, n in sorted(actions.items(), key=lambda x: str(x[0])))
    return f"features: {parts or 'none'}; {len(d.get('changes', []))} changes"


def describe_check(stdout: bytes) -> str:
    d = _json(stdout)
    counts: dict[str, int] = {}
    for r in d.get("results", []):
        counts[r.get("status")] = counts.get(r.get("status"), 0) + 1
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda x: str(x[0])))
    return f"passed={d.get('passed')}; results: {parts or 'none'}"


def describe_inner(what: str) -> Callable[[bytes], str]:
    def f(stdout: bytes) -> str:
        fields = stdout.split()
        return f"{fields[1].decode()} {what}" if len(fields) > 1 else ""

    return f


# ---------------------------------------------------------------------------
# snippets run in a child for in-process timings

READ_STACK_AT = r"""
import sys, time
from pathlib import Path
try:
    from infercost.vcs import read_stack_at
except ImportError as exc:
    sys.exit(f"infercost.vcs.read_stack_at is not available yet ({exc})")
stack = Path(sys.argv[1])
t = time.perf_counter()
at_ref = read_stack_at(stack, sys.argv[2])
print(time.perf_counter() - t, len(at_ref.texts))
"""

PARSE_INFERCOST = r"""
import sys, time
from pathlib import Path
try:
    from infercost.config import hcl
except ImportError as exc:
    sys.exit(f"infercost.config.hcl is not importable yet ({exc})")
files = sorted(Path(sys.argv[1]).glob("*.hcl"))
if hasattr(hcl, "parse_file"):
    def parse(path):
        return hcl.parse_file(path)
elif hasattr(hcl, "parse_text"):
    def parse(path):
        return hcl.parse_text(path.read_text(encoding="utf-8"), str(path))
else:
    sys.exit("infercost.config.hcl has neither parse_file nor parse_text")
# grammar set-up is a start-up cost, kept out of the timing
getattr(hcl, "warm_up", lambda: None)()
parse(files[0])
t = time.perf_counter()
for f in files:
    parse(f)
print(time.perf_counter() - t, len(files))
"""

PARSE_HCL2 = r"""
import sys, time
from pathlib import Path
try:
    import hcl2
except ImportError as exc:
    sys.exit(f"python-hcl2 is not installed ({exc})")
parse = getattr(hcl2, "parses_to_tree", None) or hcl2.parses
files = sorted(Path(sys.argv[1]).glob("*.hcl"))
texts = [f.read_text(encoding="utf-8") for f in files]
parse(texts[0])
t = time.perf_counter()
for text in texts:
    parse(text)
print(time.perf_counter() - t, len(files))
"""

READ_SNAPSHOT = r"""
import sys, time
from pathlib import Path
from infercost.usage.snapshot import read_snapshot
path = Path(sys.argv[1])
t = time.perf_counter()
snap = read_snapshot(path)
print(time.perf_counter() - t, snap.rows)
"""

# ---------------------------------------------------------------------------
# a single large file

ONE_FILE_LINES = 14_000


def one_file_stack(data: Path) -> tuple[Path, int]:
    """A stack of one .hcl file of at least ONE_FILE_LINES lines (SPEC target: validate
    in 1.5 s): the generated stack's files concatenated, with more features generated
    beside it when the stack is smaller."""
    out = data / "onefile"
    target = out / "main.hcl"
    if target.exists():
        return out, target.read_text(encoding="utf-8").count("\n")
    source = data / "onefile-source"
    features = 200
    while True:
        if source.exists():
            shutil.rmtree(source)
        generate(
            source,
            features=features,
            steps=features * 5,
            rows=1000,
            customers=100,
            with_git=False,
            quiet=True,
        )
        texts = [p.read_text(encoding="utf-8") for p in sorted((source / "stack").glob("*.hcl"))]
        text = "\n".join(texts)
        lines = text.count("\n")
        if lines >= ONE_FILE_LINES:
            break
        features = int(features * ONE_FILE_LINES / lines) + 1
    out.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    shutil.copy(source / "stack" / "usage.csv", out / "usage.csv")
    shutil.rmtree(source)
    return out, lines


# ---------------------------------------------------------------------------
# report


def fmt_s(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f} s"


def fmt_b(v: int | None) -> str:
    if v is None:
        return "-"
    return f"{v / GIB:.2f} GiB" if v >= GIB else f"{v / MIB:.0f} MiB"


def print_table(results: list[Result]) -> None:
    headers = ["measurement", "runs", "min", "median", "peak RSS", "target", "ratio", "result"]
    rows = []
    for r in results:
        if r.ok:
            ratios = r.ratios()
            rows.append(
                [
                    r.name,
                    str(len(r.times)),
                    fmt_s(r.min),
                    fmt_s(r.median),
                    fmt_b(r.peak_rss),
                    r.target_text,
                    " / ".join(f"{x:.2f}" for x in ratios) or "-",
                    r.verdict(),
                ]
            )
        else:
            rows.append([r.name, "0", "-", "-", "-", r.target_text, "-", f"n/a ({r.error})"])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    # the last column is free-form; do not pad it
    line = "  ".join(h.ljust(w) for h, w in zip(headers[:-1], widths[:-1], strict=True))
    print(line + "  " + headers[-1])
    print("-" * (len(line) + 8))
    for row in rows:
        print(
            "  ".join(c.ljust(w) for c, w in zip(row[:-1], widths[:-1], strict=True))
            + "  "
            + row[-1]
        )


def env_line(env: dict[str, str]) -> str:
    try:
        v = subprocess.run(
            [
                sys.executable,
                "-c",
                "import infercost; print(getattr(infercost, '__version__', '?'))",
            ],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        version = v.stdout.strip() if v.returncode == 0 else "not importable"
    except (OSError, subprocess.SubprocessError):
        version = "?"
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return (
        f"infercost {version} ({rev or 'no commit'}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )


# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data", type=Path, help="data directory to reuse (generated there when it holds no data)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    ap.add_argument(
        "--runs", type=int, default=3, help="timed runs of the large-stack commands (default 3)"
    )
    ap.add_argument(
        "--light-runs",
        type=int,
        default=10,
        help="timed runs of the small measurements (default 10)",
    )
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per child run")
    ap.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="WORD",
        help="run only measurements whose name contains WORD (repeatable)",
    )
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write results as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="show each run and errors")
    g = ap.add_argument_group("generation (when data is generated)")
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--features", type=int, default=200)
    g.add_argument("--steps", type=int, default=1000)
    g.add_argument("--rows", type=int, default=1_000_000)
    g.add_argument("--customers", type=int, default=50_000)
    g.add_argument(
        "--wide-customers",
        type=int,
        default=250_000,
        help="customers of the second data set, whose rows are about one group each",
    )
    g.add_argument("--json-rows", type=int, default=100_000, help="rows of the JSON snapshot")
    args = ap.parse_args(argv)
    print(hostspeed.line(), flush=True)

    tmp: Path | None = None
    if args.data is not None:
        data = args.data.resolve()
    else:
        tmp = Path(tempfile.mkdtemp(prefix="infercost-bench-"))
        data = tmp
    try:
        manifest_path = data / "manifest.json"
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            print(f"reusing data in {data}")
        else:
            print(f"generating data in {data} ...", flush=True)
            sizes = dict(
                seed=args.seed,
                features=args.features,
                steps=args.steps,
                rows=args.rows,
                customers=args.customers,
                quiet=True,
            )
            try:
                manifest = generate(data, with_git=shutil.which("git") is not None, **sizes)
            except subprocess.CalledProcessError as exc:
                print(f"git variant not built ({exc}); measuring without it", flush=True)
                manifest = generate(data, with_git=False, force=True, **sizes)
        wide_manifest = data / "wide" / "manifest.json"
        if wide_manifest.exists():
            wide = json.loads(wide_manifest.read_text(encoding="utf-8"))
        else:
            print(f"generating the wide data set in {data / 'wide'} ...", flush=True)
            wide = generate(
                data / "wide",
                seed=args.seed,
                features=args.features,
                steps=args.steps,
                rows=args.rows,
                customers=args.wide_customers,
                distinct=True,
                json_rows=args.json_rows,
                with_git=False,
                quiet=True,
            )
        run_all(args, data, manifest, wide)
    finally:
        if tmp is not None:
            if args.keep:
                print(f"data kept in {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    return 0


def run_all(
    args: argparse.Namespace, data: Path, manifest: dict[str, Any], wide: dict[str, Any]
) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("NO_COLOR", "1")
    py = [sys.executable]
    cli = [*py, "-m", "infercost"]

    stack = data / manifest["stack"]
    changed = data / manifest["changed"]
    usage = data / manifest["usage"]
    repo = data / manifest["gitrepo"] if manifest.get("gitrepo") else None
    git_stack = data / manifest["git_stack"] if manifest.get("git_stack") else None
    no_git = None if repo and repo.is_dir() else "no git repository variant in the data"
    example = REPO_ROOT / "examples" / "support-assistant"
    wide_stack = data / "wide" / wide["stack"]
    wide_usage = data / "wide" / wide["usage"]
    json_usage = data / "wide" / wide["usage_json"] if wide.get("usage_json") else None
    wsz = wide["sizes"]

    sz = manifest["sizes"]
    gen = manifest.get("generation_seconds", {})
    print(env_line(env))
    print(
        f"data: {sz['hcl_files']} .hcl files, {sz['hcl_lines']} lines, {sz['features']} "
        f"features, {sz['steps']} steps, {sz['subscriptions']} subscriptions; usage "
        f"{sz['rows']} rows, {sz['customers']} customers ({sz['usage_bytes'] / 1e6:.1f} MB); "
        f"{sz['changed_workflows']} workflows changed"
    )
    print(
        f"wide data: usage {wsz['rows']} rows, {wsz['customers']} customers, each row of a "
        f"customer a feature it has not used yet; JSON snapshot {wsz.get('json_rows', 0)} rows"
    )
    if gen:
        print("generation: " + ", ".join(f"{k} {v:.2f} s" for k, v in gen.items()))
    print(
        f"runs: {args.runs} (large stack), {args.light_runs} (small), "
        f"after {args.warmup} warm-up run(s)\n",
        flush=True,
    )

    def twice_breakdown(done: dict[str, Result]) -> float | None:
        b = done.get("breakdown")
        return 2 * b.median if b is not None and b.ok else None

    def breakdown_times(factor: float) -> Callable[[dict[str, Result]], float | None]:
        def target(done: dict[str, Result]) -> float | None:
            b = done.get("breakdown")
            return factor * b.median if b is not None and b.ok and b.median else None

        return target

    def twice_breakdown_rss(done: dict[str, Result]) -> int | None:
        b = done.get("breakdown")
        return 2 * b.peak_rss if b is not None and b.peak_rss else None

    one_file, one_file_lines = one_file_stack(data)
    formats_dir = data / "formats-out"
    formats_dir.mkdir(exist_ok=True)  # infercost refuses to create a missing directory
    every_format = ["-o", "text"]
    for fmt in ("json", "sarif", "junit", "markdown"):
        every_format += ["-o", f"{fmt}={formats_dir / ('check.' + fmt)}"]

    benches = [
        Bench(
            "breakdown",
            [*cli, "breakdown", str(stack), "--usage", str(usage), "-o", "json"],
            REPO_ROOT,
            args.runs,
            target_s=lambda d: 4.0,
            target_text="4 s, 1 GiB",
            target_rss=GIB,
            describe=describe_breakdown,
        ),
        Bench(
            "breakdown, 250k customers, ~1M groups",
            [*cli, "breakdown", str(wide_stack), "--usage", str(wide_usage), "-o", "json"],
            REPO_ROOT,
            args.runs,
            target_s=lambda d: 3.0,
            target_text="3 s, 512 MiB",
            target_rss=512 * MIB,
            describe=describe_breakdown,
        ),
        Bench(
            "read 100k-row JSON snapshot (in-process)",
            [*py, "-c", READ_SNAPSHOT, str(json_usage)],
            REPO_ROOT,
            args.light_runs,
            inner_time=True,
            target_s=lambda d: 1.0,
            target_text="1 s",
            describe=describe_inner("rows read"),
            skip_reason=None if json_usage else "no JSON snapshot in the data",
        ),
        Bench(
            "validate with the 100k-row JSON snapshot",
            [*cli, "validate", str(wide_stack), "--usage", str(json_usage)],
            REPO_ROOT,
            args.runs,
            skip_reason=None if json_usage else "no JSON snapshot in the data",
        ),
        Bench(
            "check example (warm)",
            [*cli, "check", "examples/support-assistant"],
            REPO_ROOT,
            args.light_runs,
            ok_codes=(0, 2),
            target_s=lambda d: 0.35,
            target_text="0.35 s",
            skip_reason=None if example.is_dir() else "error: examples/support-assistant not found",
        ),
        Bench(
            "validate example (warm)",
            [*cli, "validate", "examples/support-assistant"],
            REPO_ROOT,
            args.light_runs,
            target_s=lambda d: 0.5,
            target_text="0.5 s",
            skip_reason=None if example.is_dir() else "error: examples/support-assistant not found",
        ),
        Bench(
            "explain example (warm)",
            [*cli, "explain", "examples/support-assistant", "support_assistant"],
            REPO_ROOT,
            args.light_runs,
            target_s=lambda d: 0.5,
            target_text="0.5 s",
            skip_reason=None if example.is_dir() else "error: examples/support-assistant not found",
        ),
        Bench(
            "plan --base-dir",
            [
                *cli,
                "plan",
                str(changed),
                "--base-dir",
                str(stack),
                "--usage",
                str(usage),
                "-o",
                "json",
            ],
            REPO_ROOT,
            args.runs,
            target_s=twice_breakdown,
            target_text="2x breakdown",
            describe=describe_plan,
        ),
        Bench(
            "plan --base HEAD~1 (git)",
            [*cli, "plan", "stack", "--base", "HEAD~1", "--usage", str(usage), "-o", "json"],
            repo or REPO_ROOT,
            args.runs,
            describe=describe_plan,
            skip_reason=no_git,
        ),
        Bench(
            "read_stack_at HEAD~1 (in-process)",
            [*py, "-c", READ_STACK_AT, str(git_stack), "HEAD~1"],
            repo or REPO_ROOT,
            args.light_runs,
            inner_time=True,
            target_s=lambda d: 0.3,
            target_text="0.3 s",
            describe=describe_inner("files read"),
            skip_reason=no_git,
        ),
        Bench(
            # The measurement: ``check`` of the large stack against its own
            # breakdown (the same stack and snapshot, guardrails judged on top).
            "check",
            [*cli, "check", str(stack), "--usage", str(usage), "-o", "json"],
            REPO_ROOT,
            args.runs,
            ok_codes=(0, 2),
            target_s=breakdown_times(1.5),
            target_text="1.5x breakdown",
            target_rss_from=twice_breakdown_rss,
            describe=describe_check,
        ),
        Bench(
            # A pull request's check: two stacks priced and judged, and the plan between
            # them; held to what the plan alone may take plus half a breakdown.
            "check --base-dir",
            [
                *cli,
                "check",
                str(changed),
                "--base-dir",
                str(stack),
                "--usage",
                str(usage),
                "-o",
                "json",
            ],
            REPO_ROOT,
            args.runs,
            ok_codes=(0, 2),
            target_s=breakdown_times(2.5),
            target_text="2.5x breakdown",
            target_rss_from=twice_breakdown_rss,
            describe=describe_check,
        ),
        Bench(
            f"validate one {one_file_lines}-line file",
            [*cli, "validate", str(one_file)],
            REPO_ROOT,
            args.light_runs,
            target_s=lambda d: 1.5,
            target_text="1.5 s",
        ),
        Bench(
            "check --base-dir, every format",
            [
                *cli,
                "check",
                str(changed),
                "--base-dir",
                str(stack),
                "--usage",
                str(usage),
                *every_format,
            ],
            REPO_ROOT,
            1,
            ok_codes=(0, 2),
            target_rss_from=twice_breakdown_rss,
            target_text="RSS 2x breakdown",
        ),
        Bench(
            "infercost HCL parse, all files (in-process)",
            [*py, "-c", PARSE_INFERCOST, str(stack)],
            REPO_ROOT,
            args.light_runs,
            inner_time=True,
            describe=describe_inner("files parsed"),
        ),
        Bench(
            "fmt --check, all files",
            [*cli, "fmt", "--check", str(stack)],
            REPO_ROOT,
            args.light_runs,
            ok_codes=(0, 3),
            target_s=lambda d: 2.0,
            target_text="2 s",
        ),
        Bench(
            "python-hcl2 parse, reference",
            [*py, "-c", PARSE_HCL2, str(stack)],
            REPO_ROOT,
            args.light_runs,
            inner_time=True,
            describe=describe_inner("files parsed"),
        ),
    ]
    if args.only:
        benches = [b for b in benches if any(w.lower() in b.name.lower() for w in args.only)]

    done: dict[str, Result] = {}
    results: list[Result] = []
    for b in benches:
        print(f"measuring {b.name} ...", file=sys.stderr, flush=True)
        r = measure(b, env, args.warmup, args.timeout, done, args.verbose)
        done[b.name] = r
        results.append(r)

    print()
    print_table(results)
    notes = [r for r in results if r.note]
    if notes:
        print("\noutput of the last run:")
        for r in notes:
            print(f"  {r.name}: {r.note}")
    print(
        "\nratio = median / target (and peak RSS / target where one is set); "
        "result is a report, the exit code is always 0"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "environment": env_line(env),
                    "sizes": sz,
                    "generation_seconds": gen,
                    "results": [r.as_dict() for r in results],
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"results written to {args.json}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
