"""Run one hostile case through every command in one process; print what each did, and the peak memory.

``python run_case.py CASE_FOLDER TARGET OUT [--patterns DIR] [--batch]`` runs
``parse --stats`` on the target alone, then on the target and ``good.log``:
``parse --stats --format json``, ``parse`` to JSON lines and Parquet,
``analyze`` in all four formats, and (with ``--batch``) ``batch`` with the
case folder as its inbox. Everything is written under OUT. It prints one
JSON object: per command the exit status and stderr, and ``maxrss_mb``.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import time

from qoderlog.cli import main


def run(argv: list[str]) -> dict[str, object]:
    err = io.StringIO()
    sys.argv = ["qoderlog", *argv]
    started = time.perf_counter()
    with contextlib.redirect_stderr(err):
        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return {"exit": code, "stderr": err.getvalue(), "seconds": round(time.perf_counter() - started, 2)}


def main_case() -> None:
    folder, target, out = sys.argv[1:4]
    extra = sys.argv[4:]
    patterns = ["--patterns", extra[extra.index("--patterns") + 1]] if "--patterns" in extra else []
    both = [target, f"{folder}/good.log"]
    results = {
        "alone": run(["parse", target, "--stats", "--format", "json", "-o", f"{out}/alone.json", *patterns]),
        "stats": run(["parse", *both, "--stats", "--format", "json", "-o", f"{out}/stats.json", *patterns]),
        "jsonl": run(["parse", *both, "-o", f"{out}/events.jsonl", *patterns]),
        "parquet": run(["parse", *both, "--format", "parquet", "-o", f"{out}/events.parquet", *patterns]),
    }
    for fmt in ("text", "json", "html", "markdown"):
        results[f"analyze-{fmt}"] = run(["analyze", *both, "--format", fmt, "-o", f"{out}/report.{fmt}", *patterns])
    if "--batch" in extra:
        results["batch"] = run(["batch", folder, "--out", f"{out}/warehouse", "--workers", "1"])
    print(json.dumps({"results": results, "maxrss_mb": round(peak_rss_kb() / 1024, 1)}))


def peak_rss_kb() -> int:
    """This process's peak RSS. Not ``getrusage``: on Linux its ``ru_maxrss`` survives fork and exec, so a child
    of a big pytest process would report the parent's peak; ``VmHWM`` belongs to this program's memory alone."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main_case()
