#!/usr/bin/env bash
# Records real traces with the project's own recorder (`idlewatch record`) on this machine, under
# Xvfb so the user's idle state is real: X11 idle time from xprintidle, input from xdotool.
#
#   test/scenarios/record-real.sh [OUT_DIR]      (default: test/scenarios/recorded)
#
# Two recordings, 60 s each at 1000 ms with a 5 s idle threshold:
#  - xvfb-idle-cpu-miner: a "miner" that a watcher starts once X has seen no input for 8 s and
#    kills as soon as input arrives, exactly as idle-waiting miners behave. The miner is a copy of
#    the node binary placed in /tmp/.x/ and named xmrig, burning one core with an xmrig-style
#    command line (stratum URL, wallet, --donate-level 1, -a rx/0). Label: miner.
#  - xvfb-active-busy-job: a long CPU job (an ordinary node script from a project folder) started
#    while the person is active, running on through the idle stretch and after the return.
#    Label: benign.
# Needs Xvfb, xprintidle and xdotool. Ground truth lives in labels.json beside the traces.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$(cd "${1:-$ROOT/test/scenarios/recorded}" && pwd)"
WORK="$(mktemp -d /tmp/idlewatch-record.XXXXXX)"
# The benign job lives where people keep their work, not in a temp folder.
PROJECT="$HOME/projects/render-demo"
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  cat "$WORK/record.log" >&2 2>/dev/null || true
  [[ -f "$WORK/miner.pid" ]] && kill "$(cat "$WORK/miner.pid")" 2>/dev/null || true
  rm -rf "$WORK" /tmp/.x "$PROJECT"
  rmdir "$HOME/projects" 2>/dev/null || true
}
trap cleanup EXIT

for tool in Xvfb xprintidle xdotool node; do
  command -v "$tool" >/dev/null || { echo "record-real: $tool not found" >&2; exit 1; }
done

(cd "$ROOT" && node scripts/build.mjs cli)
CLI="$ROOT/out/cli/idlewatch.js"

# -displayfd: Xvfb picks a free display itself (no clash with another X server on this machine).
# -noreset: without a window manager the server resets whenever its last client leaves, which
# would zero the idle counter between two xprintidle runs.
exec 3>"$WORK/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
PIDS+=($!)
exec 3>&-
for _ in $(seq 100); do [[ -s "$WORK/display" ]] && break; sleep 0.1; done
export DISPLAY=":$(head -n1 "$WORK/display")"
for _ in $(seq 50); do xprintidle >/dev/null 2>&1 && break; sleep 0.1; done
xprintidle >/dev/null || { echo "record-real: Xvfb did not come up on $DISPLAY" >&2; exit 1; }
# No session bus here: keep D-Bus from autolaunching one on the X display (the recorder falls
# through to the X11 idle source, which is what this recording is about).
export DBUS_SESSION_BUS_ADDRESS="unix:path=$WORK/no-session-bus"

# A person at the keyboard: the mouse moves every ~1.5 s for `secs` seconds.
use_machine() {
  local secs=$1 end=$((SECONDS + $1))
  while ((SECONDS < end)); do
    xdotool mousemove $((RANDOM % 1200 + 20)) $((RANDOM % 760 + 20))
    sleep 1.5
  done
}

REC=0
record() { # name
  node "$CLI" record --idle-threshold 5 --interval 1000 --duration 60 --out "$OUT/$1.jsonl.gz" 2>>"$WORK/record.log" &
  REC=$!
}

# --- 1. The idle-waiting miner -------------------------------------------------------------
mkdir -p /tmp/.x
cp "$(command -v node)" /tmp/.x/xmrig
cat >/tmp/.x/rx.js <<'JS'
// Burns one core until killed, like one RandomX hashing thread.
let x = 0;
for (;;) x = (x * 1103515245 + 12345) % 2147483648;
JS
cat >"$WORK/watch.sh" <<'SH'
#!/usr/bin/env bash
# Starts the miner after 8 s without input; kills it within ~0.3 s of input.
running=0
while :; do
  idle=$(xprintidle)
  if ((running == 0 && idle > 8000)); then
    /tmp/.x/xmrig /tmp/.x/rx.js -o stratum+tcp://pool.example.org:3333 -u 44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A --donate-level 1 -a rx/0 &
    echo $! >"$1/miner.pid"
    running=1
  elif ((running == 1 && idle < 1000)); then
    kill "$(cat "$1/miner.pid")" 2>/dev/null
    running=0
  fi
  sleep 0.25
done
SH
chmod +x "$WORK/watch.sh"

echo "recording xvfb-idle-cpu-miner (60 s)" >&2
use_machine 3
record xvfb-idle-cpu-miner
"$WORK/watch.sh" "$WORK" &
WATCH=$!
PIDS+=("$WATCH")
use_machine 12   # active
sleep 22         # away: idle after 5 s, miner starts after 8 s
use_machine 8    # back: the miner is killed
sleep 16         # away again: the miner comes back
use_machine 4
wait "$REC"
kill "$WATCH" 2>/dev/null || true
[[ -f "$WORK/miner.pid" ]] && kill "$(cat "$WORK/miner.pid")" 2>/dev/null || true
rm -f "$WORK/miner.pid"

# --- 2. A busy job started while active ------------------------------------------------------
mkdir -p "$PROJECT"
cat >"$PROJECT/render-job.js" <<'JS'
// A long single-threaded batch job (think: a render or an export the person started).
const end = Date.now() + 120_000;
let x = 0;
while (Date.now() < end) x = Math.sin(x + 1);
JS
echo "recording xvfb-active-busy-job (60 s)" >&2
use_machine 3
record xvfb-active-busy-job
use_machine 6
(cd "$PROJECT" && exec node render-job.js --frames 1-240) &
JOB=$!
PIDS+=("$JOB")
use_machine 8
sleep 30         # away while it keeps going
use_machine 14   # back: still going
wait "$REC"
kill "$JOB" 2>/dev/null || true
ls -l "$OUT"/*.jsonl.gz >&2
