#!/usr/bin/env bash
# Whole-process timing of issue 10's speed line: `frontdesk import csv` of 100,000 appointments
# into a new ENCRYPTED practice database (`init` as a practice runs it), then the same file
# again (nothing changes). The file is written by `benches/import.rs` (the same deterministic
# export the criterion bench reads), so every run measures the same bytes.
#
#   benches/import_e2e.sh            # builds the release binary, prints wall / CPU / max RSS
#   ROWS=20000 benches/import_e2e.sh # a smaller file
#
# Figures and the machine: docs/BENCHMARKS.md ("Import").
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${ROWS:-100000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --bin frontdesk --quiet
IMPORT_CSV_OUT="$work/export.csv" IMPORT_ROWS="$rows" cargo bench --bench import --quiet
bin="$PWD/target/release/frontdesk"
export HOME="$work/home" FRONTDESK_NOW="2026-11-20T10:00:00-05:00"
export FRONTDESK_ADMIN_PASSWORD="correct horse battery" FRONTDESK_PIN="correct horse battery"
config="$work/home/frontdesk.toml"
db="$work/home/practice.db"
"$bin" --config "$config" --db "$db" init --practice-name "Bench Practice" \
    --practice-phone "+12015550100" --time-zone America/New_York --admin-user ana >/dev/null
echo "file: $(wc -l <"$work/export.csv") lines, $(du -h "$work/export.csv" | cut -f1); database encrypted: $(head -c 16 "$db" | grep -qa 'SQLite format' && echo no || echo yes)"

measure() {
    local label="$1"; shift
    /usr/bin/time -f "$label: wall %e s, CPU %U user + %S sys, max RSS %M kB" \
        "$bin" --config "$config" --db "$db" --as ana "$@" import csv "$work/export.csv" >"$work/out.txt"
    tail -n 3 "$work/out.txt" | sed 's/^/    /'
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
measure "import into the new database"
measure "the same file again"
echo "database: $(du -h "$db" | cut -f1)"
