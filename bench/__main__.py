"""Run the benchmarks: ``python -m bench [--quick] [NAME ...]``; print a table, write bench/results.json.

Each benchmark runs its baseline beside Blether in the same run and reports ratios. Benchmarks 1-4
(ack_latency, modal_burst, reminder_lateness, fanout) run with the event-loop lag monitor beside them, and
so does chaos (``python -m bench chaos [--cycles N] [--postgres URL]``: bots SIGKILLed under injected faults;
tallies must be 0).
"""

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    ack_latency,
    chaos,
    fanout,
    grouping,
    processes,
    questionnaire_burst,
    reflection_burst,
    reminder_lateness,
    write_throughput,
)
from bench._util import table
from bench.lag import with_lag

RESULTS = Path(__file__).resolve().parent / "results.json"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _gap_s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f} s"


def _ack(quick: bool) -> dict[str, Any]:
    result, lag = asyncio.run(with_lag(ack_latency.run_async(50 if quick else 200, 3)))
    b, o = result["blether"], result["baseline"]
    return {
        **result,
        "lag": lag,
        "figure": f"p50 {_ms(b['p50'])} vs {_ms(o['p50'])}, p99 {_ms(b['p99'])} vs "
        f"{_ms(o['p99'])}; ratio p50 {result['ratio_p50']:.2f} p99 {result['ratio_p99']:.2f}",
        "target": "ratio ≤ 1.5",
    }


def _modal(quick: bool) -> dict[str, Any]:
    sizes = (50, 200) if quick else reflection_burst.SIZES
    result, lag = asyncio.run(with_lag(reflection_burst._run(sizes)))  # the burst's own coroutine, in our loop
    parts = [
        f"{r['size']}: p99 {_ms(r['submit_p99_s'])} max {_ms(r['submit_max_s'])} lost {r['lost']}"
        for r in result.values()
        if isinstance(r, dict)
    ]
    lost = sum(r["lost"] for r in result.values() if isinstance(r, dict))
    return {
        "name": "modal_burst",
        **result,
        "lag": lag,
        "figure": "; ".join(parts),
        "target": "p99 ≤ 500 ms at 200, lost 0",
        "passed": bool(result["met"]) and lost == 0,
    }


def _questionnaire(quick: bool) -> dict[str, Any]:
    result, lag = asyncio.run(with_lag(questionnaire_burst._run()))
    b, r = result["burst"], result["report"]
    return {
        "name": "questionnaire_burst",
        **result,
        "lag": lag,
        "figure": f"{b['people']} people × {b['pages']} pages ({b['submits']} submits): p50 {_ms(b['submit_p50_s'])}"
        f" p99 {_ms(b['submit_p99_s'])} vs ack-only {_ms(b['ack_p99_s'])}; lost {b['lost']}; report"
        f" {r['people']} × {r['items']} items in {r['report_s']:.2f} s",
        "target": "p99 ≤ 500 ms, lost 0; report time reported",
        "passed": bool(result["met"]),
    }


def _lateness(quick: bool) -> dict[str, Any]:
    count, spread = (2000, 2.0) if quick else (10_000, 5.0)
    result, lag = asyncio.run(with_lag(reminder_lateness._run(count, spread)))
    e, b, r = result["engine"], result["baseline"], result["reconcile"]
    return {
        **result,
        "lag": lag,
        "target": f"p99 ≤ 1 s; reconcile {count} ≤ 2 s",
        "figure": f"p50 {_ms(e['p50'])} / p99 {_ms(e['p99'])} vs call_at {_ms(b['p50'])} / {_ms(b['p99'])};"
        f" reconcile {count} in {r['recorded_s']:.2f} s",
    }


def _fanout(quick: bool) -> dict[str, Any]:
    posts, dms, channels = (200, 5, 50) if quick else (1000, 200, 100)
    result, lag = asyncio.run(with_lag(fanout.run_async(posts, dms, channels)))
    b, o = result["blether"], result["baseline"]
    return {
        **result,
        "lag": lag,
        "figure": f"{posts}+{dms} DMs: {b['wall_s']:.1f} s (floor {result['floors']['floor_blether_policy']:.1f} s,"
        f" bare {o['wall_s']:.1f} s); global 429 {b['global_429']} (bare {o['global_429']}),"
        f" route 429 {b['route_429']}; DM gap min {_gap_s(b['dm_gap_min_s'])} / median"
        f" {_gap_s(b['dm_gap_median_s'])} (bare min {_gap_s(o['dm_gap_min_s'])})",
    }


def _write(quick: bool) -> dict[str, Any]:
    result = write_throughput.run(1000 if quick else 5000)
    parts = []
    for backend in ("sqlite", "postgresql"):
        r = result[backend]
        if r is None:
            parts.append(f"{backend}: unreachable")
            continue
        parts.append(
            f"{backend}: batch ×{r['ratio_batch']:.1f} (record() loop ×{r['ratio_record_loop']:.0f}),"
            f" per row ×{r['ratio_per_row']:.1f} raw's time"
        )
    return {**result, "figure": "; ".join(parts), "target": "report (no target)", "passed": None}


def _memory(quick: bool) -> dict[str, Any]:
    result = processes.run_memory(1000)
    return {
        **result,
        "target": "ratio ≤ 1.5",
        "figure": f"{result['blether']['kib_per_member']:.2f} vs {result['bare']['kib_per_member']:.2f} KiB/member;"
        f" ratio {result['ratio_per_member']:.2f}; RSS {result['blether']['rss_after_kib'] // 1024} vs"
        f" {result['bare']['rss_after_kib'] // 1024} MiB",
    }


def _startup(quick: bool) -> dict[str, Any]:
    result = processes.run_startup(1 if quick else 3)
    return {
        **result,
        "target": "ratio ≤ 1.5 (at head)",
        "figure": f"{result['blether_at_head']['t_spawn_to_ready_s']:.2f} s at head,"
        f" {result['blether_fresh_db']['t_spawn_to_ready_s']:.2f} s fresh vs"
        f" {result['bare']['t_spawn_to_ready_s']:.2f} s; ratio {result['ratio_at_head']:.2f} /"
        f" {result['ratio_fresh_db']:.2f}",
    }


def _grouping(quick: bool) -> dict[str, Any]:
    result = grouping.run(quick)
    ours, rnd = result["blether"], result["random"]
    return {
        "name": "grouping",
        **result,
        "figure": f"10 sessions, 80 people, 39 communities: repeat pairings {ours['repeat_pairings']} vs "
        f"{rnd['repeat_pairings']} random; community pairs met {ours['distinct_community_pairs']} vs "
        f"{rnd['distinct_community_pairs']}; groups with two from one community "
        f"{ours['groups_with_two_from_one_community']} vs {rnd['groups_with_two_from_one_community']}; "
        f"500 people in {result['time_500_s']:.2f} s",
        "target": "fewer repeats and same-community groups than random; 500 people ≤ 1 s",
        "passed": ours["repeat_pairings"] < rnd["repeat_pairings"]
        and ours["groups_with_two_from_one_community"] < rnd["groups_with_two_from_one_community"]
        and result["time_500_s"] <= 1.0,
    }


def _chaos(quick: bool) -> dict[str, Any]:
    cycles = CHAOS_CYCLES or (chaos.QUICK_CYCLES if quick else chaos.CYCLES)
    result = chaos.run(cycles, verbose=True, postgres=CHAOS_POSTGRES)
    print(chaos.describe(result), flush=True)
    return {
        **result,
        "figure": f"{result['cycles']} cycles, {result['kills']} kills, {result['faults']} faults: missed"
        f" {result['missed']}, duplicates {result['duplicates']}, lost {result['lost_reflections']},"
        f" stuck {result['stuck']} (seed {result['seed']})",
        "target": "all 0",
    }


CHAOS_CYCLES = 0  # set by --cycles
CHAOS_POSTGRES: str | None = None  # set by --postgres


BENCHES: dict[str, Callable[[bool], dict[str, Any]]] = {
    "ack_latency": _ack,
    "modal_burst": _modal,
    "questionnaire_burst": _questionnaire,
    "reminder_lateness": _lateness,
    "fanout": _fanout,
    "write_throughput": _write,
    "memory": _memory,
    "startup": _startup,
    "grouping": _grouping,
    "chaos": _chaos,
}


def machine() -> dict[str, Any]:
    """Describe where the figures came from."""
    return {
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def main() -> None:
    """Run the chosen benchmarks, print a summary and write bench/results.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run, not the figures)")
    parser.add_argument("--cycles", type=int, default=0, help="chaos: cycles (default 200, 20 with --quick)")
    parser.add_argument("--postgres", metavar="URL", help="chaos: run on a fresh database on this PostgreSQL server")
    args = parser.parse_args()
    global CHAOS_CYCLES, CHAOS_POSTGRES
    CHAOS_CYCLES = args.cycles
    CHAOS_POSTGRES = args.postgres
    logging.basicConfig(level=logging.ERROR)
    names = args.names or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    results: dict[str, Any] = {
        "machine": machine(),
        "quick": args.quick,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "benchmarks": {},
    }
    rows = []
    for name in names:
        t0 = time.perf_counter()
        try:
            result = BENCHES[name](args.quick)
        except Exception as error:  # one broken benchmark should not hide the others' figures
            logging.getLogger(__name__).exception("%s failed", name)
            result = {"error": repr(error), "passed": False, "figure": f"ERROR {error!r}", "target": ""}
        result["elapsed_s"] = time.perf_counter() - t0
        results["benchmarks"][name] = result
        lag = result.get("lag")
        verdict = {True: "pass", False: "FAIL", None: "-"}[result.get("passed")]
        rows.append(
            [name, result["figure"], result["target"], verdict, f"{_ms(lag['p99'])} / {_ms(lag['max'])}" if lag else ""]
        )
        print(f"{name}: {result['figure']} [{verdict}] ({result['elapsed_s']:.0f} s)", flush=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    m = results["machine"]
    print(f"\n{m['cpu_count']} CPUs, Python {m['python']}, {m['platform']}{' (quick)' if args.quick else ''}")
    print(table(["benchmark", "figure (Blether vs baseline)", "target", "result", "loop lag p99 / max"], rows))
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
