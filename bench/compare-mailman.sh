#!/usr/bin/env bash
# Compares RunnerHost's queue round trip with GNU Mailman 3.3.8 and with a C floor, in one run on
# one machine, and prints every figure and the target ratios of issue 7 (see docs/benchmarks.md).
#
#   bash bench/compare-mailman.sh            # about 3-6 minutes on 2 cores
#
# Sizes can be overridden: DURABLE_N (durable round trips), NOFSYNC_N, MAILMAN_N, LATENCY_N,
# DRAIN_SIZES ("1000 10000 100000"), MASTER_RUNNERS (runner slices for cold start and RSS, 5), KILLS (5).
# Everything runs under $TMPDIR (default /tmp), so all three
# sides use the same filesystem.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
DURABLE_N=${DURABLE_N:-2000}
NOFSYNC_N=${NOFSYNC_N:-20000}
MAILMAN_N=${MAILMAN_N:-1000}
LATENCY_N=${LATENCY_N:-200}
DRAIN_SIZES=${DRAIN_SIZES:-"1000 10000 100000"}
MASTER_RUNNERS=${MASTER_RUNNERS:-5}
KILLS=${KILLS:-5}
SIZE=1200   # bytes per floor message: about the size of one encoded 1 KB queue entry
PY=/usr/bin/python3   # Debian's python3, which sees the mailman3 package

work=$(mktemp -d "${TMPDIR:-/tmp}/compare-mailman.XXXXXX")
trap 'rm -rf "$work"' EXIT
results="$work/results.jsonl"
: > "$results"
record() { tee -a "$results"; }

# --- Mailman 3.3.8 from Debian ------------------------------------------------------------------
if ! dpkg-query -W -f='${Status}' mailman3 2>/dev/null | grep -q 'install ok installed'; then
  echo "== installing Debian's mailman3 (services are not started)" >&2
  [ "$(id -u)" -eq 0 ] || { echo "installing mailman3 needs root" >&2; exit 1; }
  # policy-rc.d exit 101 forbids service starts during the install; only ours is removed again.
  created_policy=no
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created_policy=yes
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends mailman3 >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends mailman3 >&2; }
  [ "$created_policy" = yes ] && rm -f /usr/sbin/policy-rc.d
fi
echo "mailman3 $(dpkg-query -W -f='${Version}' mailman3)" >&2

# --- builds --------------------------------------------------------------------------------------
echo "== building RunnerHost (Release) and the C floor" >&2
dotnet build -c Release "$root/src/Host" -v quiet -nologo >&2
gcc -O2 -o "$work/floor" "$here/floor.c"
rh() { dotnet run -c Release --no-build --project "$root/src/Host" -- bench "$@" --json; }
floor() { local d; d=$(mktemp -d "$work/floor.XXXXXX"); "$work/floor" "$d" "$@"; rm -rf "$d"; }

# --- measurements --------------------------------------------------------------------------------
echo "== Mailman 3.3.8 ($MAILMAN_N messages)" >&2
(cd "$work" && "$PY" "$here/mailman_bench.py" "$MAILMAN_N") | record

echo "== C floor" >&2
floor "$DURABLE_N" "$SIZE" fsync | record
floor "$NOFSYNC_N" "$SIZE" nofsync | record
floor "$DURABLE_N" "$SIZE" fsync --round-trip | record
floor "$NOFSYNC_N" "$SIZE" nofsync --round-trip | record

echo "== RunnerHost" >&2
rh switchboard --messages "$DURABLE_N" --producers 1 | record
rh switchboard --messages "$DURABLE_N" --producers 8 | record
rh switchboard --messages "$NOFSYNC_N" --producers 1 --no-fsync | record
rh latency --messages "$LATENCY_N" | record
# shellcheck disable=SC2086
rh drain $(printf -- '--backlog %s ' $DRAIN_SIZES) | record
echo "== RunnerHost master (cold start, restart after SIGKILL, RSS)" >&2
rh cold-start --runners "$MASTER_RUNNERS" | record
rh restart --kills "$KILLS" | record
rh rss --runners "$MASTER_RUNNERS" | record

# --- ratios --------------------------------------------------------------------------------------
"$PY" - "$results" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def one(**kw):
    return next(r for r in rows if all(r.get(k) == v for k, v in kw.items()))
mm = one(scenario="mailman-switchboard")
mm_runner = one(scenario="mailman-runner")
floor_f = one(scenario="floor", fsync=True, round_trip=False)
floor_n = one(scenario="floor", fsync=False, round_trip=False)
floor_frt = one(scenario="floor", fsync=True, round_trip=True)
floor_nrt = one(scenario="floor", fsync=False, round_trip=True)
rh1 = one(scenario="switchboard", producers=1, fsync=True)
rh8 = one(scenario="switchboard", producers=8, fsync=True)
rhn = one(scenario="switchboard", fsync=False)
lat = one(scenario="latency")
drains = {r["backlog"]: r for r in rows if r["scenario"] == "drain"}
print()
print("figures (msgs/s unless noted)")
for name, r in [("Mailman 3.3.8 switchboard round trip (fsync file)", mm),
                ("Mailman 3.3.8 runner loop, 1 producer process (sleep_time 1 s)", mm_runner),
                ("floor write+fsync+rename", floor_f), ("floor write+rename (no fsync)", floor_n),
                ("floor full round trip, fsync", floor_frt), ("floor full round trip, no fsync", floor_nrt),
                ("RunnerHost durable, 1 producer", rh1), ("RunnerHost durable, 8 producers", rh8),
                ("RunnerHost no fsync, 1 producer", rhn)]:
    extra = f"  (dir fsyncs {r['dir_fsyncs']} for {r['messages']})" if "dir_fsyncs" in r and r["fsync"] else ""
    print(f"  {name:<64} {r['msgs_per_s']:>10.0f}{extra}")
print(f"  {'RunnerHost idle latency p50 / p99 / max (ms)':<64} {lat['p50_ms']:>10.2f} / {lat['p99_ms']:.2f} / {lat['max_ms']:.2f}")
for size in sorted(drains):
    print(f"  {'RunnerHost drain ' + str(size) + ' (us/msg)':<64} {drains[size]['us_per_msg']:>10.1f}")
cold = one(scenario="cold-start")
restart = one(scenario="restart")
rss = one(scenario="rss")
print(f"  {'RunnerHost cold start, ' + str(cold['runners']) + ' runners all running, min / median (s)':<64} {cold['min_s']:>10.2f} / {cold['median_s']:.2f}")
print(f"  {'RunnerHost restart after SIGKILL p50 / max (s), backoff ' + restart['restart_backoff']:<64} {restart['p50_s']:>10.2f} / {restart['max_s']:.2f}")
print(f"  {'RunnerHost RSS master (MB)':<64} {rss['master_mb']:>10.1f}")
print(f"  {'RunnerHost RSS per runner min / median / max (MB), ' + str(rss['runners']) + ' runners':<64} {rss['runner_min_mb']:>10.1f} / {rss['runner_median_mb']:.1f} / {rss['runner_max_mb']:.1f}")
print()
print("targets")
checks = []
def check(name, value, ok, target):
    checks.append(ok)
    print(f"  {'MET ' if ok else 'MISS'} {name:<58} {value:>8.2f}   target {target}")
r = rh1["msgs_per_s"] / mm["msgs_per_s"]; check("durable 1 producer / Mailman switchboard", r, r >= 3, ">= 3")
r = rh8["msgs_per_s"] / floor_f["msgs_per_s"]; check("durable 8 producers / floor write+fsync+rename", r, r >= 2, ">= 2")
r = rhn["msgs_per_s"] / floor_n["msgs_per_s"]; check("no fsync / floor write+rename", r, r >= 0.7, ">= 0.7")
check("idle latency p50 (ms)", lat["p50_ms"], lat["p50_ms"] <= 2, "<= 2")
check("idle latency p99 (ms)", lat["p99_ms"], lat["p99_ms"] <= 20, "<= 20")
if 1000 in drains and max(drains) >= 100000:
    big = drains[max(drains)]
    r = big["us_per_msg"] / drains[1000]["us_per_msg"]; check(f"drain cost per message {max(drains)} / 1000", r, r <= 1.3, "<= 1.3")
print(f"\n{sum(checks)} of {len(checks)} targets met")
PYEOF
