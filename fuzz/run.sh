#!/bin/sh
# Run the harnesses one after another on one core: fuzz/run.sh SECONDS_EACH [HARNESS...]
# Logs go to fuzz/runs/<harness>-<date>.log, crashes to fuzz/runs/crash-*, the corpus grows in fuzz/corpus/<harness>.
set -u
cd "$(dirname "$0")/.."
each=${1:-600}
shift || true
harnesses=${*:-"reader framing patterns scan"}
python=${PYTHON:-.venv/bin/python}
mkdir -p fuzz/runs
[ -n "$(ls -A fuzz/corpus/reader 2>/dev/null)" ] || "$python" fuzz/seed_corpus.py
for name in $harnesses; do
    mkdir -p "fuzz/corpus/$name"
    stamp=$(date +%Y%m%dT%H%M%S)
    timeout $((each + 120)) "$python" "fuzz/fuzz_$name.py" \
        -max_total_time="$each" -timeout=30 -rss_limit_mb=1024 -max_len=65536 \
        -artifact_prefix="fuzz/runs/crash-$name-" -print_final_stats=1 \
        "fuzz/corpus/$name" >"fuzz/runs/$name-$stamp.log" 2>&1
    echo "$name: exit $? after $each s, log fuzz/runs/$name-$stamp.log"
done
