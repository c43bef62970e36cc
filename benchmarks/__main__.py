"""Time qoderlog against ``grep -c`` on a generated Qoder-style corpus, as whole processes.

``python -m benchmarks`` generates the corpus with the project's seeded
generator (1M lines by default, and 5M for the memory check), then runs each
command several times, interleaved, and reports medians, the ratio to
``grep -c`` measured in the same run, and each command's peak RSS (from
``wait4``). Two corpus mixes (``CORPORA``: the generator's own, and a loud
one where ~15% of the lines are warnings and worse), the 5M-line size of
both, what mining costs against the scan, and the start-up of the command
and a 2 MB bundle's whole run against a bare interpreter. The bytecode is
compiled and the pattern cache filled first, as a user's second run finds
them. Results go to ``benchmarks/results.json`` and ``benchmarks/RESULTS.md``.
``--quick`` runs a small corpus once (for CI; no targets are checked).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import qoderlog
from qoderlog.synth import write_corpus, write_inbox

from .stages import markdown as stages_markdown

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
TARGETS = {
    "parse --stats": 6.0,
    "analyze --format json": 8.0,
}
STARTUP_TARGETS = {"qoderlog --version": 2.0, "analyze --format json (2 MB bundle)": 6.0}


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


CORPORA: dict[str, dict[str, float | None]] = {
    "default": {"qoder_share": 0.02, "loud_share": None},
    "loud": {"qoder_share": 0.03, "loud_share": 0.2},
}
"""The corpus mixes: the generator's own noise mix (~2% Qoder lines), and one where a fifth of the noise records
(~15% of the lines) are at warning level or above with 3% Qoder lines — every such line is framed and mined."""
BUNDLE_BYTES = 2_000_000
"""The support engineer's common case: a zipped bundle holding this many bytes of logs."""
_LOUD_LINE = re.compile(rb"^\d{4}-\d\d-\d\d [\d:.]+ \[(?:warning|error|critical)\]", re.M)


def _reader(corpus: Path, *, fast: bool) -> str:
    """A program counting ``corpus``'s events in one process, with the block scanner or the reference reader."""
    return (
        "from qoderlog.events import iter_events; "
        f"print(sum(1 for _ in iter_events([{str(corpus)!r}], fast={fast}, jobs=1)))"
    )


def commands(corpus: Path, work: Path, inbox: Path | None) -> dict[str, list[str]]:
    """The commands timed on a corpus, by name (with an inbox, the batch and fleet commands too)."""
    qoderlog = [PYTHON, "-m", "qoderlog"]
    read = f"import qoderlog; print(len(qoderlog.read_events([{str(corpus)!r}])))"
    suite = {
        "grep -c": ["grep", "-c", "GoProcessService", str(corpus)],
        "parse --stats": [*qoderlog, "parse", str(corpus), "--stats"],
        "analyze --format json": [*qoderlog, "analyze", str(corpus), "--format", "json", "-o", str(work / "a.json")],
        # The rows above read a big file on every core (--jobs defaults to them); these, in one process.
        "parse --stats --jobs 1": [*qoderlog, "parse", str(corpus), "--stats", "--jobs", "1"],
        "analyze --format json --jobs 1": [
            *qoderlog,
            "analyze",
            str(corpus),
            "--format",
            "json",
            "--jobs",
            "1",
            "-o",
            str(work / "a1.json"),
        ],
    }
    if shutil.which("lnav"):
        suite["lnav (index only)"] = ["lnav", "-n", "-c", ";SELECT count(*) FROM all_logs", str(corpus)]
    if inbox is None:
        return suite
    suite.update(
        {
            "parse --format parquet": [
                *qoderlog,
                "parse",
                str(corpus),
                "--format",
                "parquet",
                "-o",
                str(work / "e.parquet"),
            ],
            "analyze --format html": [
                *qoderlog,
                "analyze",
                str(corpus),
                "--format",
                "html",
                "-o",
                str(work / "a.html"),
            ],
            "read_events": [PYTHON, "-c", read],
            # The block scanner against the line-by-line reference reader it must equal, one process each.
            "iter_events (block scanner)": [PYTHON, "-c", _reader(corpus, fast=True)],
            "iter_events (reference reader)": [PYTHON, "-c", _reader(corpus, fast=False)],
        }
    )
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
    return suite


def mining_commands(corpus: Path) -> dict[str, list[str]]:
    """The engine with and without mining, as whole processes: the difference is what mining costs."""
    code = "from qoderlog.engine import analyze; analyze([{path!r}], mine={mine})"
    return {f"engine, mine={mine}": [PYTHON, "-c", code.format(path=str(corpus), mine=mine)] for mine in (False, True)}


def startup_commands(bundle: Path, work: Path) -> dict[str, list[str]]:
    """Start-up and a small bundle's whole run, against the interpreter's own start."""
    qoderlog = [PYTHON, "-m", "qoderlog"]
    return {
        "python -I -c pass": [PYTHON, "-I", "-c", "pass"],
        "qoderlog --version": [*qoderlog, "--version"],
        "qoderlog rules": [*qoderlog, "rules"],
        "parse --stats (2 MB bundle)": [*qoderlog, "parse", str(bundle), "--stats"],
        "analyze --format json (2 MB bundle)": [
            *qoderlog,
            "analyze",
            str(bundle),
            "--format",
            "json",
            "-o",
            str(work / "b.json"),
        ],
    }


def interleaved(suite: dict[str, list[str]], runs: int, work: Path, base: str) -> dict[str, dict[str, float | None]]:
    """``runs`` interleaved runs of every command: medians, peak RSS, the ratio to the ``base`` command's median."""
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in suite}
    for _ in range(runs):
        for name, command in suite.items():
            samples[name].append(measure(command, work))
    results: dict[str, dict[str, float | None]] = {
        name: {
            "median_s": round(statistics.median(t for t, _ in values), 3),
            "peak_rss_mb": round(max(m for _, m in values) / 1024, 1),
        }
        for name, values in samples.items()
    }
    floor = results[base]["median_s"] or 0.0
    for value in results.values():
        value["x_base"] = round((value["median_s"] or 0.0) / floor, 1) if floor > 0 else None
    return results


def _corpus(path: Path, lines: int, mix: str) -> float:
    """Write the corpus of ``mix``; the share of its lines that are warning-and-above headers."""
    write_corpus(path, lines=lines, seed=0, **CORPORA[mix])  # type: ignore[arg-type]
    loud = total = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 24):
            loud += len(_LOUD_LINE.findall(block))
            total += block.count(b"\n")
    return round(loud / total, 4) if total else 0.0


def _bundle(work: Path) -> Path:
    """A zip of one ``main.log`` of about ``BUNDLE_BYTES`` bytes (the default mix)."""
    log = work / "bundle-main.log"
    write_corpus(log, lines=BUNDLE_BYTES // 94, seed=1)
    bundle = work / "bundle.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(log, "logs/20250822T090000/main.log")
    log.unlink()
    return bundle


def _environment(work: Path) -> None:
    """Caches as a user's second run finds them: the bytecode compiled and written, the pattern cache filled."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(str(Path(qoderlog.__file__).parent), quiet=1)
    (work / "warm.log").write_text("", encoding="utf-8")
    measure([PYTHON, "-m", "qoderlog", "parse", str(work / "warm.log"), "--stats"], work)


def run(lines: int, runs: int, uploads: int, big_lines: int | None, out: Path) -> dict:
    """Generate the inputs, time every command ``runs`` times interleaved, write the results."""
    report: dict = {
        "machine": machine(),
        "lines": lines,
        "runs": runs,
        "uploads": uploads,
        "big_lines": big_lines,
        "load_before": _load(),
    }
    with tempfile.TemporaryDirectory(prefix="qoderlog-bench-") as folder:
        work = Path(folder)
        _environment(work)
        corpus = work / "corpus.log"
        inbox = work / "inbox"
        write_inbox(inbox, uploads=uploads, seed=0)
        report["loud_lines"] = {"default": _corpus(corpus, lines, "default")}
        report["results"] = interleaved(commands(corpus, work, inbox), runs, work, "grep -c")
        loud = work / "loud.log"
        report["loud_lines"]["loud"] = _corpus(loud, lines, "loud")
        report["loud"] = interleaved(commands(loud, work, None), runs, work, "grep -c")
        report["stages"] = _stages(corpus, runs)
        report["mining"] = {
            mix: interleaved(
                {"parse --stats": commands(path, work, None)["parse --stats"], **mining_commands(path)},
                runs,
                work,
                "parse --stats",
            )
            for mix, path in (("default", corpus), ("loud", loud))
        }
        report["startup"] = interleaved(startup_commands(_bundle(work), work), max(runs, 5), work, "python -I -c pass")
        report["big"] = {}
        if big_lines:
            corpus.unlink()
            loud.unlink()
            big = work / "big.log"
            for mix in CORPORA:
                report["loud_lines"][f"{mix}, big"] = _corpus(big, big_lines, mix)
                report["big"][mix] = interleaved(commands(big, work, None), max(1, runs // 2), work, "grep -c")
        report["load_after"] = _load()
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (out / "RESULTS.md").write_text(markdown(report), encoding="utf-8")
    return report


def _stages(corpus: Path, runs: int) -> dict:
    """``benchmarks.stages`` on ``corpus``, in a process of its own (its caches and memory are not this one's)."""
    command = [PYTHON, "-m", "benchmarks.stages", str(corpus), "--runs", str(runs), "--json"]
    return json.loads(subprocess.run(command, check=True, capture_output=True, cwd=HERE.parent).stdout)


def _load() -> list[float]:
    """The 1, 5 and 15 minute load averages: how busy the machine was."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


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


def _table(results: dict, base: str, targets: dict[str, float] | None = None, rss: bool = True) -> list[str]:
    rows = [
        f"| command | median (s) | x {base} | target | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, value in results.items():
        target = (targets or {}).get(name)
        mark = ""
        if target is not None and value["x_base"] is not None:
            mark = f"≤ {target:g}x {'met' if value['x_base'] <= target else 'not met'}"
        memory = value["peak_rss_mb"] if rss else ""
        rows.append(f"| `{name}` | {value['median_s']} | {value['x_base']} | {mark} | {memory} |")
    return rows


def markdown(report: dict) -> str:
    """The results as Markdown tables with the machine, its load and the targets."""
    m = report["machine"]
    shares = report.get("loud_lines", {})
    rows = [
        "# Benchmark results",
        "",
        f"Generated by `python -m benchmarks` on {m['cores']} cores ({m['cpu']}), Python {m['python']}, {m['system']};",
        f"load average {report.get('load_before')} before, {report.get('load_after')} after. Medians of "
        f"{report['runs']} interleaved run(s), bytecode compiled and the pattern cache filled first.",
        "",
        f"## {report['lines']:,} lines, the default mix",
        "",
        f"`qoderlog.synth.write_corpus` (seed 0, ~2% Qoder lines, {shares.get('default', 0):.1%} of the lines "
        f"warning-and-above headers); batch inbox: {report['uploads']} uploads.",
        "",
        *_table(report["results"], "grep -c", TARGETS),
    ]
    results = report["results"]
    if "analyze --format html" in results and "analyze --format json" in results:
        extra = results["analyze --format html"]["median_s"] - results["analyze --format json"]["median_s"]
        rows += ["", f"HTML rendering adds {extra:.2f} s to `analyze` (target ≤ 1 s)."]
    if "batch 1 worker(s)" in results and "batch 2 worker(s)" in results:
        ratio = results["batch 2 worker(s)"]["median_s"] / results["batch 1 worker(s)"]["median_s"]
        rows += ["", f"Batch: 2 workers take {ratio:.2f}x the time of 1 worker (target ≤ 0.6x)."]
    scanner, reference = results.get("iter_events (block scanner)"), results.get("iter_events (reference reader)")
    if scanner and reference and scanner["median_s"]:
        rows += [
            "",
            f"The block scanner reads the corpus {reference['median_s'] / scanner['median_s']:.1f}x as fast as the "
            "line-by-line reference reader it is tested against (`iter_events`, one process, start-up included).",
        ]
    if "loud" in report:
        rows += [
            "",
            f"## {report['lines']:,} lines, the loud mix",
            "",
            f"3% Qoder lines; a fifth of the noise records at warning level or above: {shares.get('loud', 0):.1%} "
            "of the lines are warning-and-above headers, each framed, matched and mined.",
            "",
            *_table(report["loud"], "grep -c", TARGETS),
        ]
    if report.get("stages"):
        rows += [
            "",
            f"## Where the time goes: {report['lines']:,} lines, the default mix, one process",
            "",
            "`python -m benchmarks.stages CORPUS`: CPU seconds (medians) as each stage is added; `grep -c` as "
            "above. Each stage reads the bytes again.",
            "",
            *stages_markdown(report["stages"], report["results"]["grep -c"]["median_s"]),
        ]
    for mix, results in report.get("mining", {}).items():
        times = {name: value["median_s"] for name, value in results.items()}
        mining = times["engine, mine=True"] - times["engine, mine=False"]
        scan = times["parse --stats"]
        verdict = "less" if mining < scan else "more"
        rows += [
            "",
            f"Mining, {mix} mix: the engine with mining takes {times['engine, mine=True']} s, without "
            f"{times['engine, mine=False']} s: mining costs {mining:.2f} s, {verdict} than the scan "
            f"(`parse --stats`, {scan} s) — target: less.",
        ]
    if report.get("startup"):
        rows += [
            "",
            "## Start-up and a 2 MB bundle",
            "",
            f"A zipped bundle of one {BUNDLE_BYTES / 1e6:g} MB `main.log`; ratios to a bare interpreter start.",
            "",
            *_table(report["startup"], "python -I -c pass", STARTUP_TARGETS),
        ]
    for mix, results in report.get("big", {}).items():
        rows += [
            "",
            f"## {report['big_lines']:,} lines, the {mix} mix",
            "",
            f"{shares.get(mix + ', big', 0):.1%} of the lines warning-and-above headers. Peak RSS target for "
            "`analyze`: ≤ 150 MB; `parse` flat in file size.",
            "",
            *_table(results, "grep -c", TARGETS),
        ]
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
