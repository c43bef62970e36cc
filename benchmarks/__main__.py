"""Time qoderlog against ``grep -c`` on a generated Qoder-style corpus, as whole processes.

``python -m benchmarks`` generates the corpus with the project's seeded
generator (1M lines by default, and 5M for the memory check), then runs each
command several times, interleaved, and reports medians, the ratio to
``grep -c`` measured in the same run, and each command's peak RSS (from
``wait4``). Results go to ``benchmarks/results.json`` and
``benchmarks/RESULTS.md``. ``--quick`` runs a small corpus once (for CI; no
targets are checked).
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
import time
from pathlib import Path

from qoderlog.synth import write_corpus, write_inbox

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
TARGETS = {
    "parse --stats": 6.0,
    "analyze --format json": 7.0,
    "read_events": 8.0,
}


def measure(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run of ``command``; raises if it fails.

    Peak RSS comes from GNU time when installed (``wait4`` on a child forked
    from this Python process would count the fork's copy of it), else from
    ``wait4``.
    """
    memory_file = cwd / ".rss"
    timed = (
        ["/usr/bin/time", "-f", "%M", "-o", str(memory_file), *command] if Path("/usr/bin/time").exists() else command
    )
    # Output goes to a real file: GNU grep stops at the first match when stdout is /dev/null.
    with open(cwd / ".stdout", "wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen(timed, cwd=cwd, stdout=sink, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        error = process.stderr.read().decode(errors="replace")[-500:] if process.stderr else ""
        raise RuntimeError(f"{' '.join(command)} exited {code}: {error}")
    peak = usage.ru_maxrss
    if timed is not command:
        peak = int(memory_file.read_text().split()[-1])
    return elapsed, peak


def commands(corpus: Path, work: Path, inbox: Path) -> dict[str, list[str]]:
    """The commands of the suite, by name."""
    qoderlog = [PYTHON, "-m", "qoderlog"]
    read = f"import qoderlog; print(len(qoderlog.read_events([{str(corpus)!r}])))"
    suite = {
        "grep -c": ["grep", "-c", "GoProcessService", str(corpus)],
        "parse --stats": [*qoderlog, "parse", str(corpus), "--stats"],
        "parse --format parquet": [
            *qoderlog,
            "parse",
            str(corpus),
            "--format",
            "parquet",
            "-o",
            str(work / "e.parquet"),
        ],
        "analyze --format json": [*qoderlog, "analyze", str(corpus), "--format", "json", "-o", str(work / "a.json")],
        "analyze --format html": [*qoderlog, "analyze", str(corpus), "--format", "html", "-o", str(work / "a.html")],
        "read_events": [PYTHON, "-c", read],
    }
    for workers in (1, 2):
        # The analysis of the inbox; the fleet report it ends with is the same work for any number of workers,
        # so it is timed on its own below.
        suite[f"batch {workers} worker(s)"] = [
            "sh",
            "-c",
            f"rm -rf {work / 'wh'} && {PYTHON} -m qoderlog batch {inbox} --out {work / 'wh'} --workers {workers}"
            " --no-fleet-report",
        ]
    suite["fleet --format html"] = [*qoderlog, "fleet", str(work / "wh"), "-o", str(work / "fleet.html")]
    if shutil.which("lnav"):
        suite["lnav (index only)"] = ["lnav", "-n", "-c", ";SELECT count(*) FROM all_logs", str(corpus)]
    return suite


def run(lines: int, runs: int, uploads: int, big_lines: int | None, out: Path) -> dict:
    """Generate the inputs, time every command ``runs`` times interleaved, write the results."""
    with tempfile.TemporaryDirectory(prefix="qoderlog-bench-") as folder:
        work = Path(folder)
        corpus = work / "corpus.log"
        write_corpus(corpus, lines=lines, seed=0)
        inbox = work / "inbox"
        write_inbox(inbox, uploads=uploads, seed=0)
        suite = commands(corpus, work, inbox)
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name in suite}
        for _ in range(runs):
            for name, command in suite.items():
                samples[name].append(measure(command, work))
        results = {
            name: {
                "median_s": round(statistics.median(t for t, _ in values), 3),
                "peak_rss_mb": round(max(m for _, m in values) / 1024, 1),
            }
            for name, values in samples.items()
        }
        grep = results["grep -c"]["median_s"]
        for value in results.values():
            value["x_grep"] = round(value["median_s"] / grep, 1) if grep > 0 else None
        memory = {}
        if big_lines:
            # The same 2% Qoder share (5x the sessions, events and findings), and 5x the noise around the same
            # Qoder content: what memory follows is the analysis's content, not the file's size.
            share = 0.02 * lines / big_lines
            for label, qoder_share in (("", 0.02), (f" (Qoder share {share:.2%})", share)):
                big = work / "big.log"
                write_corpus(big, lines=big_lines, seed=0, qoder_share=qoder_share)
                for name in ("parse --stats", "analyze --format json"):
                    command = [c.replace(str(corpus), str(big)) for c in suite[name]]
                    memory[name + label] = round(measure(command, work)[1] / 1024, 1)
    report = {
        "machine": machine(),
        "lines": lines,
        "corpus_bytes": None,
        "runs": runs,
        "uploads": uploads,
        "results": results,
        "memory_big_mb": memory,
        "big_lines": big_lines,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (out / "RESULTS.md").write_text(markdown(report), encoding="utf-8")
    return report


def machine() -> dict[str, str | int]:
    """What the numbers were measured on."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count() or 0,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def markdown(report: dict) -> str:
    """The results as a Markdown table with the machine and the targets."""
    m = report["machine"]
    rows = [
        "# Benchmark results",
        "",
        f"Generated by `python -m benchmarks` on {m['cores']} cores ({m['cpu']}), Python {m['python']}, {m['system']}.",
        f"Corpus: {report['lines']:,} lines from `qoderlog.synth.write_corpus` (seed 0, ~2% Qoder lines); "
        f"batch inbox: {report['uploads']} uploads; median of {report['runs']} interleaved run(s).",
        "",
        "| command | median (s) | x grep -c | target | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, value in report["results"].items():
        target = TARGETS.get(name)
        mark = ""
        if target is not None and value["x_grep"] is not None:
            mark = f"≤ {target:g}x {'met' if value['x_grep'] <= target else 'not met'}"
        rows.append(f"| `{name}` | {value['median_s']} | {value['x_grep']} | {mark} | {value['peak_rss_mb']} |")
    results = report["results"]
    if "analyze --format html" in results and "analyze --format json" in results:
        extra = results["analyze --format html"]["median_s"] - results["analyze --format json"]["median_s"]
        rows += ["", f"HTML rendering adds {extra:.2f} s to `analyze` (target ≤ 1 s)."]
    if "batch 1 worker(s)" in results and "batch 2 worker(s)" in results:
        ratio = results["batch 2 worker(s)"]["median_s"] / results["batch 1 worker(s)"]["median_s"]
        rows += ["", f"Batch: 2 workers take {ratio:.2f}x the time of 1 worker (target ≤ 0.6x)."]
    if report["memory_big_mb"]:
        rows += [
            "",
            f"Peak RSS on {report['big_lines']:,} lines (target: ≤ 150 MB and within 1.2x of the "
            f"{report['lines']:,}-line figure):",
            "",
            f"| command | {report['lines']:,} lines (MB) | {report['big_lines']:,} lines (MB) | ratio |",
            "|---|---:|---:|---:|",
        ]
        for name, mb in report["memory_big_mb"].items():
            small = report["results"].get(name.split(" (")[0], {}).get("peak_rss_mb")
            ratio = f"{mb / small:.2f}" if small else ""
            rows.append(f"| `{name}` | {small} | {mb} | {ratio} |")
    return "\n".join(rows) + "\n"


def main() -> None:
    """Parse the arguments and run the suite."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--uploads", type=int, default=500)
    parser.add_argument("--big-lines", type=int, default=5_000_000)
    parser.add_argument("--quick", action="store_true", help="20k lines, one run, 10 uploads, no 5M corpus")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    if args.quick:
        args.lines, args.runs, args.uploads, args.big_lines = 20_000, 1, 10, 0
    report = run(args.lines, args.runs, args.uploads, args.big_lines or None, args.out)
    sys.stdout.write(markdown(report))


if __name__ == "__main__":
    main()
