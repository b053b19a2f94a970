#!/usr/bin/env bash
# Server load benchmark: wrk on loopback against the release latchkey-server.
#
#   bash bench/server/run.sh
#
# Measures POST /sdk/v1/sessions/authenticate (a valid session in the Basic
# header) and POST /sdk/v1/passwords/authenticate (a user created first) at a
# few concurrency levels, plus two cheaper frontend calls as baselines, and
# profiles the server with `perf` when it is available. Writes
# bench/results/server-<UTC time>.json (gitignored) and prints a Markdown
# table. A benchmark, not a test: it reports numbers and never fails on them
# (it exits non-zero only when it cannot run at all).
#
# Knobs (environment): BENCH_DURATION (seconds per run, default 10),
# BENCH_CONNECTIONS (default "2 16 64"), BENCH_THREADS (wrk threads, default 2),
# BENCH_PROFILE=0 to skip perf.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-"2 16 64"}
THREADS=${BENCH_THREADS:-2}
PROFILE=${BENCH_PROFILE:-1}
ORIGIN=http://localhost:5173
LUA=$ROOT/bench/server/request.lua

say() { printf '==> %s\n' "$*" >&2; }

# --- tools (idempotent) --------------------------------------------------------
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() { # package...
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null 2>&1
  }
}
if ! command -v wrk >/dev/null; then
  say "installing wrk (apt)"
  apt_install wrk || { echo "cannot install wrk" >&2; exit 1; }
fi
for tool in curl base64; do
  command -v "$tool" >/dev/null || apt_install "$tool" || { echo "$tool missing" >&2; exit 1; }
done
if [ "$PROFILE" = 1 ] && ! command -v perf >/dev/null; then
  say "installing perf (apt linux-perf; optional)"
  apt_install linux-perf || say "perf unavailable: the profile section is skipped"
fi
command -v perf >/dev/null || PROFILE=0

# --- build and start the server ---------------------------------------------------
say "cargo build --release -p latchkey-server"
cargo build --release -p latchkey-server >&2
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/latchkey-server

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$ROOT/bench/results"
RUN=$ROOT/bench/results/server-$STAMP
mkdir -p "$RUN"
OUT=$ROOT/bench/results/server-$STAMP.json
DATA=$RUN/data # on disk (the repository's file system), not tmpfs

"$BIN" --port 0 --data-dir "$DATA" --rate-limit off >"$RUN/server.log" 2>&1 &
SERVER_PID=$!
cleanup() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
trap cleanup EXIT
URL=""
for _ in $(seq 1 300); do
  URL=$(grep -Eo 'listening on http://[^ ]+' "$RUN/server.log" | head -1 | cut -d' ' -f3 || true)
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$URL" ] || { cat "$RUN/server.log" >&2; echo "the server did not start" >&2; exit 1; }
URL=${URL/localhost/127.0.0.1}
json_field() { tr -d '\n' | sed -E "s/.*\"$1\" *: *\"([^\"]*)\".*/\1/"; }
PUBLIC_TOKEN=$(json_field public_token <"$DATA/credentials.json")
say "server $URL (pid $SERVER_PID), data in $DATA"

# --- fixtures: a user with a password and a long session ---------------------------
EMAIL=bench@example.com
PASSWORD=violet-harbor-quantum-47-lantern
b64() { printf '%s' "$1" | base64 -w0; }
LOGGED_OUT=$(b64 "$PUBLIC_TOKEN:$PUBLIC_TOKEN")
created=$(curl -sS -X POST "$URL/sdk/v1/passwords" -H "Authorization: Basic $LOGGED_OUT" \
  -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"session_duration_minutes\":527040}")
SESSION_TOKEN=$(printf '%s' "$created" | json_field session_token)
[ ${#SESSION_TOKEN} -eq 44 ] || { echo "user creation failed: $created" >&2; exit 1; }
SIGNED_IN=$(b64 "$PUBLIC_TOKEN:$SESSION_TOKEN")
PASSWORD_BODY="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"session_duration_minutes\":60}"

# name|method|path|auth|body
ENDPOINTS=(
  "sessions_authenticate|POST|/sdk/v1/sessions/authenticate|$SIGNED_IN|{}"
  "passwords_authenticate|POST|/sdk/v1/passwords/authenticate|$LOGGED_OUT|$PASSWORD_BODY"
)
BASELINES=(
  "users_me|GET|/sdk/v1/users/me|$SIGNED_IN|"
  "bootstrap|GET|/sdk/v1/projects/bootstrap/$PUBLIC_TOKEN|$LOGGED_OUT|"
)

check() { # name method path auth body: one request must answer 200
  local code
  code=$(curl -s -o "$RUN/check-$1.json" -w '%{http_code}' -X "$2" "$URL$3" \
    -H "Authorization: Basic $4" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
    ${5:+-d "$5"})
  [ "$code" = 200 ] || { echo "$1: HTTP $code $(cat "$RUN/check-$1.json")" >&2; exit 1; }
}

cpu_ticks_of_server() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
machine_busy_idle() { awk '/^cpu /{idle=$5+$6; t=0; for(i=2;i<=NF;i++) t+=$i; print t-idle, idle; exit}' /proc/stat; }
HZ=$(getconf CLK_TCK)

RUNS_JSON=""
TABLE=""
wrk_run() { # name method path auth body connections seconds -> appends to RUNS_JSON
  local name=$1 method=$2 path=$3 auth=$4 body=$5 conns=$6 secs=$7
  local threads=$THREADS
  [ "$conns" -lt "$threads" ] && threads=$conns
  local cpu0 cpu1 m0 m1 line
  cpu0=$(cpu_ticks_of_server); read -r mb0 mi0 < <(machine_busy_idle)
  local wrk_out=$RUN/wrk-$name-c$conns.txt
  # `time` (bash keyword) gives wrk's own CPU use: it shares the two cores.
  { TIMEFORMAT='%U %S'; time BENCH_METHOD=$method BENCH_PATH=$path BENCH_AUTH=$auth BENCH_BODY=$body \
      BENCH_ORIGIN=$ORIGIN wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 30s -s "$LUA" "$URL" \
      >"$wrk_out"; } 2>"$wrk_out.time"
  line=$(sed -n 's/^BENCH_JSON //p' "$wrk_out")
  cpu1=$(cpu_ticks_of_server); read -r mb1 mi1 < <(machine_busy_idle)
  local server_cores machine_busy wrk_cores
  server_cores=$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$HZ" -v s="$secs" 'BEGIN{printf "%.2f", (b-a)/hz/s}')
  wrk_cores=$(awk -v s="$secs" 'NF == 2 {printf "%.2f", ($1 + $2) / s}' "$wrk_out.time")
  machine_busy=$(awk -v b0="$mb0" -v b1="$mb1" -v i0="$mi0" -v i1="$mi1" \
    'BEGIN{printf "%.0f", 100*(b1-b0)/((b1-b0)+(i1-i0))}')
  [ -n "$line" ] || { echo "wrk printed no result for $name" >&2; return; }
  local rps cpu_ms
  rps=$(sed -E 's/.*"rps": ([0-9.]+).*/\1/' <<<"$line")
  # Server CPU time per request: a cost that contention on a shared machine
  # distorts far less than throughput does.
  cpu_ms=$(awk -v c="$server_cores" -v r="$rps" 'BEGIN{printf "%.2f", (r > 0 ? 1000*c/r : 0)}')
  RUNS_JSON+="${RUNS_JSON:+,}
    {\"endpoint\": \"$name\", \"method\": \"$method\", \"path\": \"${path//$PUBLIC_TOKEN/{public_token\}}\", \"connections\": $conns, \"wrk_threads\": $threads, \"server_cpu_cores\": $server_cores, \"server_cpu_ms_per_request\": $cpu_ms, \"wrk_cpu_cores\": ${wrk_cores:-null}, \"machine_busy_percent\": $machine_busy, \"result\": $line}"
  local p50 p99 bad
  p50=$(sed -E 's/.*"p50": ([0-9.]+).*/\1/' <<<"$line")
  p99=$(sed -E 's/.*"p99": ([0-9.]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.*"non_2xx_3xx": ([0-9]+), "connect": ([0-9]+), "read": ([0-9]+), "write": ([0-9]+), "timeout": ([0-9]+).*/\1+\2+\3+\4+\5/' <<<"$line")
  TABLE+="| \`$method ${path//$PUBLIC_TOKEN/\{public_token\}}\` | $conns | $rps | $p50 | $p99 | $server_cores | $cpu_ms | ${wrk_cores:-?} | $machine_busy % | $((bad)) |
"
  say "$name c=$conns: $rps req/s, p50 $p50 ms, p99 $p99 ms, server $server_cores cores ($cpu_ms ms CPU/request), errors $((bad))"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_BEFORE%% *}" -v n="$(nproc)" 'BEGIN{exit !(l > n/2)}'; then
  say "warning: load average $LOAD_BEFORE on $(nproc) cores: other work shares the CPU, numbers will be low"
fi

for spec in "${ENDPOINTS[@]}" "${BASELINES[@]}"; do
  IFS='|' read -r name method path auth body <<<"$spec"
  check "$name" "$method" "$path" "$auth" "$body"
done

for spec in "${ENDPOINTS[@]}"; do
  IFS='|' read -r name method path auth body <<<"$spec"
  say "warm-up $name"
  BENCH_METHOD=$method BENCH_PATH=$path BENCH_AUTH=$auth BENCH_BODY=$body \
    wrk -t2 -c16 -d3s --timeout 30s -s "$LUA" "$URL" >/dev/null
  for c in $CONNECTIONS; do
    wrk_run "$name" "$method" "$path" "$auth" "$body" "$c" "$DURATION"
  done
done
for spec in "${BASELINES[@]}"; do
  IFS='|' read -r name method path auth body <<<"$spec"
  wrk_run "$name" "$method" "$path" "$auth" "$body" 16 "$DURATION"
done

# --- profile: where the server's CPU time goes (perf, flat, by symbol) -------------
PROFILE_JSON=""
PROFILE_TEXT=""
categorize() { # perf report lines -> "category percent" lines
  awk '
    /^#/ || NF < 3 { next }
    {
      pct = $1; sub(/%/, "", pct); pct += 0
      kernel = ($0 ~ /\[k\]/)
      sym = $0; sub(/.*\] /, "", sym)
      dso = $2
      if (kernel) c = "kernel (network stack, syscalls, scheduler)"
      else if (sym ~ /argon2|blake2|Blake2/) c = "Argon2id (argon2, blake2)"
      else if (sym ~ /crypto_bigint|rsa::|[Mm]onty|[Mm]ontgomery|BoxedUint|Uint/) c = "RSA signing (rsa, crypto-bigint)"
      else if (sym ~ /sqlite3|rusqlite/) c = "SQLite"
      else if (sym ~ /sha2|[Ss]ha256|compress256/) c = "SHA-256"
      else if (dso ~ /libc|ld-linux/ || sym ~ /malloc|free|memcpy|memmove|memset|realloc/) c = "libc (allocator, memcpy)"
      else if (sym ~ /serde|json/) c = "JSON (serde)"
      else if (sym ~ /tokio|hyper|axum|tower|mio|http::|h1|bytes::/) c = "tokio / hyper / axum"
      else c = "other"
      share[c] += pct
    }
    END { for (c in share) printf "%.1f\t%s\n", share[c], c }' | sort -rn
}
if [ "$PROFILE" = 1 ]; then
  for spec in "${ENDPOINTS[@]}"; do
    IFS='|' read -r name method path auth body <<<"$spec"
    say "profiling $name (16 connections, perf record -F 499)"
    BENCH_METHOD=$method BENCH_PATH=$path BENCH_AUTH=$auth BENCH_BODY=$body \
      wrk -t2 -c16 -d"${DURATION}s" --timeout 30s -s "$LUA" "$URL" >/dev/null &
    wrk_pid=$!
    sleep 1
    if perf record -F 499 -p "$SERVER_PID" -o "$RUN/perf-$name.data" -- sleep $((DURATION - 2)) \
      >/dev/null 2>&1; then
      perf report -i "$RUN/perf-$name.data" --no-children --sort dso,sym --stdio 2>/dev/null \
        >"$RUN/perf-$name.txt" || true
      shares=$(categorize <"$RUN/perf-$name.txt")
      samples=$(sed -n 's/^# Samples: \([0-9.]*[KM]*\) .*/\1 samples/p' "$RUN/perf-$name.txt" | head -1)
      PROFILE_TEXT+="
$name (perf, $samples):
$(sed 's/^/  /; s/\t/ %  /' <<<"$shares")
"
      entries=$(awk -F'\t' '{printf "%s{\"category\": \"%s\", \"percent\": %s}", (NR>1?", ":""), $2, $1}' <<<"$shares")
      PROFILE_JSON+="${PROFILE_JSON:+, }\"$name\": [$entries]"
    else
      say "perf record failed; skipping the profile"
    fi
    wait "$wrk_pid" || true
  done
fi

# --- results ------------------------------------------------------------------------
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
MEM_KB=$(awk '/MemTotal/{print $2}' /proc/meminfo)
MEM_GB=$(awk -v k="$MEM_KB" 'BEGIN{printf "%.1f", k/1024/1024}')
cat >"$OUT" <<EOF
{
  "date": "$STAMP",
  "git_commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "machine": {"nproc": $(nproc), "cpu": "$CPU_MODEL", "mem_total_gb": $MEM_GB, "kernel": "$(uname -r)",
              "load_average_before": "$LOAD_BEFORE"},
  "server": {"binary": "target/release/latchkey-server", "flags": "--rate-limit off", "data_dir": "${DATA#"$ROOT"/}"},
  "tool": "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $THREADS threads, ${DURATION} s per run, closed loop, same machine as the server",
  "runs": [$RUNS_JSON
  ],
  "profile": {${PROFILE_JSON}}
}
EOF

echo
echo "Machine: $(nproc) cores, $CPU_MODEL, ${MEM_GB} GB RAM; load average before: $LOAD_BEFORE"
echo
echo "| endpoint | connections | req/s | p50 ms | p99 ms | server CPU (cores) | server CPU ms / request | wrk CPU (cores) | machine busy | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s' "$TABLE"
[ -n "$PROFILE_TEXT" ] && printf '\nServer CPU profile (share of samples):%s\n' "$PROFILE_TEXT"
echo
echo "Results: ${OUT#"$ROOT"/} (raw wrk output and perf data in ${RUN#"$ROOT"/}/)"
