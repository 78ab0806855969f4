#!/usr/bin/env bash
# Issue 14's table on the clinic-group database, with one command:
#
#   benches/group_e2e.sh                 # database in /tmp/group (made once, ~2 min, ~3.5 GB)
#   GROUP_DIR=/elsewhere benches/group_e2e.sh
#   REGENERATE=1 benches/group_e2e.sh    # time the generator again (deletes the old file)
#
# 1. `frontdesk demo --seed-only --scale group` into $GROUP_DIR/g.db (encrypted, key beside
#    it), timed with /usr/bin/time, at a fixed FRONTDESK_NOW so every run writes the same rows;
# 2. the console's cold start to its first frame and its memory: the release binary on that
#    database in a pseudo-terminal (`benches/first_frame.py`), leaving after the first frame
#    (FRONTDESK_EXIT_AFTER_FIRST_FRAME), three runs;
# 3. the criterion bench `benches/group.rs` pointed at the database (FRONTDESK_GROUP_DB), with
#    one reminder batch to the fake Twilio on a copy of it (FRONTDESK_GROUP_BATCH).
#
# Figures and the machine: docs/BENCHMARKS.md ("Clinic group").
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${GROUP_DIR:-/tmp/group}"
db="$dir/g.db"
mkdir -p "$dir"
export FRONTDESK_NOW="${FRONTDESK_NOW:-2026-11-25T14:30:00Z}"
# The demo's files go under a HOME of their own; cargo and rustup keep finding theirs.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export HOME="$dir/home"
mkdir -p "$HOME"

cargo build --release --bin frontdesk --quiet
bin="$PWD/target/release/frontdesk"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ -n "${REGENERATE:-}" ]]; then rm -f "$db" "$db.key" "$db-wal" "$db-shm" "$db-journal"; fi
if [[ ! -f "$db" ]]; then
    # What earlier runs (the old file, the build) left for the kernel to write goes first:
    # the generator is timed, not the kernel catching up with someone else's writes.
    sync
    /usr/bin/time -f "generator: wall %e s, CPU %U user + %S sys, max RSS %M kB" \
        "$bin" demo --seed-only --scale group --db "$db"
fi
echo "database: $(du -h "$db" | cut -f1) ($(stat -c %s "$db") bytes); encrypted: $(head -c 16 "$db" | grep -qa 'SQLite format' && echo no || echo yes)"

for i in 1 2 3; do
    python3 benches/first_frame.py "$bin" demo --db "$db"
done

# FRONTDESK_GROUP_BATCH: also one reminder batch on a copy of the file (~3.5 GB more, removed after).
FRONTDESK_GROUP_DB="$db" FRONTDESK_GROUP_BATCH=1 cargo bench --bench group
