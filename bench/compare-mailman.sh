#!/usr/bin/env bash
# Compares RunnerHost's queue round trip with GNU Mailman 3.3.8 and with a C floor, in one run on
# one machine, and prints every figure and the target ratios of issue 7 (see docs/benchmarks.md).
#
#   bash bench/compare-mailman.sh            # about 8-11 minutes on 2 cores (5 of them end to end)
#
# Sizes can be overridden: DURABLE_N (durable round trips), NOFSYNC_N, MAILMAN_N, LATENCY_N,
# LATENCY_PAUSE_MS (idle time before each latency message, 20), DRAIN_SIZES ("1000 10000 100000"),
# MASTER_RUNNERS (runner slices for cold start and RSS, 5), KILLS (5), JETSTREAM_N (round trips per
# JetStream row, 2000).
#
# JETSTREAM=auto (default) adds RunnerHost's round trip on the JetStream back end (1 and 8 producers,
# 1 and 3 replicas) when nats-server is installed: each row starts its own throw-away nats-server (a
# three-node loopback cluster for 3 replicas) with its store on the filesystem under test; no skips them.
# BENCH_ONLY=switchboard runs RunnerHost's switchboard rows alone (file and JetStream; no Mailman, no C
# floors but the warm-up, no master scenarios, no targets).
#
# The end-to-end scenario (bench/e2e/, docs/benchmarks.md "End to end"): Mailman's and RunnerHost's
# real masters, one list of 10 members, posts over LMTP, delivery to one SMTP sink; E2E=no skips it,
# BENCH_ONLY=e2e runs it alone (with the build and the filesystem warm-up it needs). Sizes:
# E2E_POSTS (RunnerHost posts per row, 1000), E2E_MAILMAN_POSTS (Mailman's, 100: it is far slower),
# E2E_CLIENTS ("1 8 32" LMTP connections), E2E_IDLE_POSTS / E2E_MAILMAN_IDLE_POSTS (one post at a
# time into the idle system, 50 / 10), E2E_STALL_S (give up a row after this long without a delivery, 60).
#
# All three sides (Mailman, the C floor, RunnerHost) run on the same filesystem, each scenario in its
# own fresh directory. BENCH_FS chooses it:
#   loop (default)  a fresh journaled ext4 (mkfs.ext4 defaults, as Debian installs it) in a zero-filled
#                   BENCH_FS_SIZE (4G) image under ${TMPDIR:-/tmp}, loop-mounted for this run and
#                   unmounted and deleted on exit. Needs root; otherwise, or when the mount fails, it
#                   warns and falls back to dir. A reused filesystem, above all ext4 without a
#                   journal, can vary 3-10x between identical runs (see docs/benchmarks.md).
#   dir             ${TMPDIR:-/tmp} as it is.
# The builds stay in the repository's usual output directories; only the data and temp files move.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
DURABLE_N=${DURABLE_N:-10000}   # long enough to measure a warm process (cold start has its own scenario)
NOFSYNC_N=${NOFSYNC_N:-50000}
MAILMAN_N=${MAILMAN_N:-1000}
LATENCY_N=${LATENCY_N:-200}
LATENCY_PAUSE_MS=${LATENCY_PAUSE_MS:-20}
DRAIN_SIZES=${DRAIN_SIZES:-"1000 10000 100000"}
MASTER_RUNNERS=${MASTER_RUNNERS:-5}
KILLS=${KILLS:-5}
JETSTREAM_N=${JETSTREAM_N:-2000}
LOOP_N=${LOOP_N:-20000}   # entries for the runner-loop row with a runner that reads the parsed message
JETSTREAM=${JETSTREAM:-auto}
BENCH_ONLY=${BENCH_ONLY:-}
E2E=${E2E:-yes}
E2E_POSTS=${E2E_POSTS:-1000}
E2E_MAILMAN_POSTS=${E2E_MAILMAN_POSTS:-100}
E2E_CLIENTS=${E2E_CLIENTS:-"1 8 32"}
E2E_IDLE_POSTS=${E2E_IDLE_POSTS:-50}
E2E_MAILMAN_IDLE_POSTS=${E2E_MAILMAN_IDLE_POSTS:-10}
E2E_STALL_S=${E2E_STALL_S:-60}
SIZE=1200   # bytes per floor message: about the size of one encoded 1 KB queue entry
PY=/usr/bin/python3   # Debian's python3, which sees the mailman3 package
BENCH_FS=${BENCH_FS:-loop}
BENCH_FS_SIZE=${BENCH_FS_SIZE:-4G}
base=${TMPDIR:-/tmp}
case $BENCH_FS in
  loop|dir) ;;
  *) echo "BENCH_FS must be loop or dir, not '$BENCH_FS'" >&2; exit 2 ;;
esac
case $JETSTREAM in
  auto) if PATH="$PATH:/usr/sbin" command -v nats-server >/dev/null; then JETSTREAM=yes; else
          echo "compare-mailman: nats-server not found; the JetStream rows are skipped (Debian: apt-get install nats-server)" >&2; JETSTREAM=no; fi ;;
  yes|no) ;;
  *) echo "JETSTREAM must be auto, yes or no, not '$JETSTREAM'" >&2; exit 2 ;;
esac
case $BENCH_ONLY in
  ""|switchboard|e2e) ;;
  *) echo "BENCH_ONLY must be empty, switchboard or e2e, not '$BENCH_ONLY'" >&2; exit 2 ;;
esac
case $E2E in
  yes|no) ;;
  *) echo "E2E must be yes or no, not '$E2E'" >&2; exit 2 ;;
esac
[ "$BENCH_ONLY" = e2e ] && E2E=yes

# --- the filesystem under test, and its removal on every exit path ------------------------------
work= img= mnt=
teardown_loop() {
  if [ -n "$mnt" ]; then
    if mountpoint -q "$mnt"; then
      local tries=0
      until umount "$mnt" 2>/dev/null; do
        tries=$((tries + 1))
        if [ "$tries" -ge 20 ]; then
          echo "compare-mailman: $mnt still busy after 10 s; detaching it lazily" >&2
          umount -l "$mnt" || true
          break
        fi
        sleep 0.5
      done
    fi
    rmdir "$mnt" 2>/dev/null || true
    mnt=
  fi
  if [ -n "$img" ]; then
    # Only the loop devices backed by this run's image (its name is unique to the run).
    local dev
    for dev in $(losetup --list --noheadings --output NAME --associated "$img" 2>/dev/null); do
      losetup --detach "$dev" 2>/dev/null || true
    done
    rm -f "$img"
    img=
  fi
}
cleanup() {
  local rc=$?
  trap '' INT TERM HUP   # a second Ctrl-C must not cut the unmount short
  # A loop filesystem goes as a whole; a directory under $TMPDIR is removed.
  if [ -z "$mnt" ] && [ -n "$work" ] && [ -d "$work" ]; then rm -rf "$work"; fi
  teardown_loop
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Creates, formats and mounts a fresh image; on failure sets $why and returns 1.
why=
setup_loop() {
  local out
  [ "$(id -u)" -eq 0 ] || { why="not root"; return 1; }
  for out in losetup mkfs.ext4 mount umount mountpoint; do
    command -v "$out" >/dev/null || { why="$out not found"; return 1; }
  done
  img=$(mktemp "$base/compare-mailman-fs.XXXXXX") || { why="mktemp in $base failed"; return 1; }
  # Written in full, not sparse: otherwise the first writes into each region of the image also
  # allocate blocks in the backing file, which slows whichever side happens to be measured first.
  out=$(dd if=/dev/zero of="$img" bs=4M count="$BENCH_FS_SIZE" iflag=count_bytes conv=fsync status=none 2>&1) || { why="dd: $out"; return 1; }
  out=$(mkfs.ext4 -q -F "$img" 2>&1) || { why="mkfs.ext4: $out"; return 1; }
  mnt=$(mktemp -d "$base/compare-mailman-mnt.XXXXXX") || { why="mktemp -d in $base failed"; return 1; }
  out=$(mount -t ext4 -o loop "$img" "$mnt" 2>&1) || { why=$out; return 1; }
  return 0
}

# "DEVICE FSTYPE OPTIONS JOURNAL" of the filesystem holding $1.
describe_fs() {
  local src fstype opts name journal=unknown
  read -r src fstype opts < <(findmnt --noheadings --output SOURCE,FSTYPE,OPTIONS --target "$1")
  name=$(basename "$(readlink -f "$src")")
  case $fstype in
    ext3|ext4)
      if compgen -G "/proc/fs/jbd2/$name-*" >/dev/null; then journal=yes
      elif [ -r "/sys/fs/ext4/$name/journal_task" ]; then
        if [ "$(cat "/sys/fs/ext4/$name/journal_task")" = "<none>" ]; then journal=no; else journal=yes; fi
      fi ;;
    ext2|tmpfs|ramfs) journal=no ;;
    xfs) journal=yes ;;
    btrfs) journal="no (copy-on-write, fsync log tree)" ;;
  esac
  echo "$src $fstype $opts $journal"
}

if [ "$BENCH_FS" = loop ] && ! setup_loop; then
  echo "compare-mailman: WARNING: BENCH_FS=loop unavailable ($why); falling back to BENCH_FS=dir in $base, whose earlier file churn can move the figures (3-10x on ext4 without a journal)" >&2
  teardown_loop
  BENCH_FS=dir
fi
if [ "$BENCH_FS" = loop ]; then
  work=$(mktemp -d "$mnt/compare-mailman.XXXXXX")
else
  work=$(mktemp -d "$base/compare-mailman.XXXXXX")
fi
read -r fs_dev fs_type fs_opts fs_journal < <(describe_fs "$work")
fs_note="the existing filesystem of $base"
if [ "$BENCH_FS" = loop ]; then
  read -r b_dev b_type _ b_journal < <(describe_fs "$img")
  fs_note="fresh $BENCH_FS_SIZE zero-filled image $img on $b_dev $b_type, journal $b_journal"
fi
kernel=$(uname -r)
cores=$(nproc)
load=$(cut -d' ' -f1 /proc/loadavg)
echo "== filesystem (BENCH_FS=$BENCH_FS): $fs_dev $fs_type $fs_opts, journal $fs_journal; $fs_note" >&2
echo "== machine: nproc $cores, kernel $kernel, load average $load" >&2

results="$work/results.jsonl"
: > "$results"
record() { tee -a "$results"; }
"$PY" -c 'import json, sys; a = sys.argv[1:]; print(json.dumps(dict(zip(a[::2], a[1::2]))))' \
  scenario environment bench_fs "$BENCH_FS" dir "$work" device "$fs_dev" fstype "$fs_type" options "$fs_opts" \
  journal "$fs_journal" note "$fs_note" nproc "$cores" kernel "$kernel" load_start "$load" | record

# --- Mailman 3.3.8 from Debian ------------------------------------------------------------------
if [ "$BENCH_ONLY" != switchboard ] && ! dpkg-query -W -f='${Status}' mailman3 2>/dev/null | grep -q 'install ok installed'; then
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
if [ "$BENCH_ONLY" != switchboard ]; then echo "mailman3 $(dpkg-query -W -f='${Version}' mailman3)" >&2; fi

# --- builds --------------------------------------------------------------------------------------
echo "== building RunnerHost and its bench tool (Release) and the C floor" >&2
# bench/Tool builds src/Host (and its plugins) too: the end-to-end scenario runs that runner-host.dll.
dotnet build -c Release "$root/bench/Tool" -v quiet -nologo >&2
gcc -O2 -Wall -Wextra -o "$work/floor" "$here/floor.c"
# Each scenario gets a fresh directory on the filesystem under test: RunnerHost's bench tool
# (runner-host-bench) and Mailman's script make their throw-away directories under $TMPDIR.
rh() {
  local d; d=$(mktemp -d "$work/rh.XXXXXX")
  TMPDIR="$d" dotnet run -c Release --no-build --project "$root/bench/Tool" -- "$@" --json
  rm -rf "$d"
}
floor() { local d; d=$(mktemp -d "$work/floor.XXXXXX"); "$work/floor" "$d" "$@"; rm -rf "$d"; }
mailman() { local d; d=$(mktemp -d "$work/mailman.XXXXXX"); (cd "$d" && TMPDIR="$d" "$PY" "$here/mailman_bench.py" "$@"); rm -rf "$d"; }

# --- measurements --------------------------------------------------------------------------------
# A fresh ext4 runs its first few thousand fsyncs up to ~30 % slower (lazy initialization), which
# would handicap whichever side goes first (Mailman). One discarded pass of each kind warms it up.
echo "== warming up the filesystem (discarded)" >&2
floor "$DURABLE_N" "$SIZE" fsync --round-trip > /dev/null
floor "$NOFSYNC_N" "$SIZE" nofsync --round-trip > /dev/null
if [ -z "$BENCH_ONLY" ]; then
echo "== Mailman 3.3.8 ($MAILMAN_N messages)" >&2
mailman "$MAILMAN_N" | record

echo "== C floor" >&2
floor "$DURABLE_N" "$SIZE" fsync | record
floor "$NOFSYNC_N" "$SIZE" nofsync | record
floor "$DURABLE_N" "$SIZE" fsync --round-trip | record
floor "$NOFSYNC_N" "$SIZE" nofsync --round-trip | record
floor "$LATENCY_N" "$SIZE" --latency "$LATENCY_PAUSE_MS" | record
# RunnerHost's own durable enqueue (file fsync, rename, directory fsync) in C: one at a time, and in
# full rounds of 8 as its group commit does them: what the 1- and 8-producer figures can reach here.
floor "$DURABLE_N" "$SIZE" --group 1 | record
floor "$DURABLE_N" "$SIZE" --group 8 | record
# The journal commit ([queues] commit: journal) in C: record + fdatasync, rename without fsync, dequeue.
floor "$DURABLE_N" "$SIZE" --journal 8 | record
fi

if [ "$BENCH_ONLY" != e2e ]; then
echo "== RunnerHost" >&2
rh switchboard --messages "$DURABLE_N" --producers 1 | record
rh switchboard --messages "$DURABLE_N" --producers 8 | record
rh switchboard --messages "$DURABLE_N" --producers 1 --commit fsync | record
rh switchboard --messages "$DURABLE_N" --producers 8 --commit fsync | record
rh switchboard --messages "$NOFSYNC_N" --producers 1 --no-fsync | record
if [ "$JETSTREAM" = yes ]; then
  # The same round trip through [queues] backend: jetstream; each row on its own throw-away server(s),
  # started before and stopped after the timing, their stores under the row's TMPDIR.
  echo "== RunnerHost on JetStream ($JETSTREAM_N messages per row)" >&2
  for replicas in 1 3; do
    for producers in 1 8; do
      rh switchboard --backend jetstream --replicas "$replicas" --messages "$JETSTREAM_N" --producers "$producers" | record
    done
  done
fi
fi
if [ -z "$BENCH_ONLY" ]; then
rh latency --messages "$LATENCY_N" --pause-ms "$LATENCY_PAUSE_MS" | record
# shellcheck disable=SC2086
rh drain $(printf -- '--backlog %s ' $DRAIN_SIZES) | record
# The same loop with a runner that reads the parsed message: what the MIME parse adds per entry.
rh drain --backlog "$LOOP_N" --parse | record
echo "== RunnerHost master (cold start, restart after SIGKILL, RSS)" >&2
rh cold-start --runners "$MASTER_RUNNERS" | record
rh restart --kills "$KILLS" | record
rh rss --runners "$MASTER_RUNNERS" | record
fi

# --- end to end: LMTP -> every member over SMTP, both masters for real (bench/e2e/) ---------------
e2e_rc=0
if [ "$E2E" = yes ] && { [ -z "$BENCH_ONLY" ] || [ "$BENCH_ONLY" = e2e ]; }; then
  echo "== end to end: RunnerHost ($E2E_POSTS posts per row) and Mailman 3.3.8 ($E2E_MAILMAN_POSTS posts per row: it is far slower), clients $E2E_CLIENTS" >&2
  host_dll=$(ls "$root"/src/Host/bin/Release/*/runner-host.dll | head -n 1)
  e2e_dir=$(mktemp -d "$work/e2e.XXXXXX")
  # e2e.py kills both masters and the sink on every exit path of its own (try/finally, SIGTERM, SIGHUP).
  "$PY" "$here/e2e/e2e.py" --work "$e2e_dir" --host-dll "$host_dll" --posts "$E2E_POSTS" \
    --mailman-posts "$E2E_MAILMAN_POSTS" --clients "$E2E_CLIENTS" --idle-posts "$E2E_IDLE_POSTS" \
    --mailman-idle-posts "$E2E_MAILMAN_IDLE_POSTS" --stall "$E2E_STALL_S" | record || e2e_rc=$?
  rm -rf "$e2e_dir"
fi

# --- ratios --------------------------------------------------------------------------------------
"$PY" - "$results" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def one(**kw):
    """The first row with these values, or None (BENCH_ONLY and JETSTREAM=no leave rows out)."""
    return next((r for r in rows if all(r.get(k) == v for k, v in kw.items())), None)
mm = one(scenario="mailman-switchboard")
mm_runner = one(scenario="mailman-runner")
floor_f = one(scenario="floor", fsync=True, round_trip=False)
floor_n = one(scenario="floor", fsync=False, round_trip=False)
floor_frt = one(scenario="floor", fsync=True, round_trip=True)
floor_nrt = one(scenario="floor", fsync=False, round_trip=True)
rh1 = one(scenario="switchboard", backend="file", producers=1, fsync=True, commit="journal")
rh8 = one(scenario="switchboard", backend="file", producers=8, fsync=True, commit="journal")
rh1f = one(scenario="switchboard", backend="file", producers=1, fsync=True, commit="fsync")
rh8f = one(scenario="switchboard", backend="file", producers=8, fsync=True, commit="fsync")
floor_j = one(scenario="floor-journal")
rhn = one(scenario="switchboard", backend="file", fsync=False)
lat = one(scenario="latency")
floor_lat = one(scenario="floor-latency")
group1 = one(scenario="floor-group", batch=1)
group8 = one(scenario="floor-group", batch=8)
env = one(scenario="environment")
drains = {r["backlog"]: r for r in rows if r["scenario"] == "drain" and not r.get("parse")}
drain_parsed = one(scenario="drain", parse=True)
jetstream = [r for r in rows if r["scenario"] == "switchboard" and r.get("backend") == "jetstream"]
print()
print(f"filesystem (BENCH_FS={env['bench_fs']}): {env['device']} {env['fstype']} {env['options']}, journal {env['journal']}; {env['note']}")
print(f"machine: nproc {env['nproc']}, kernel {env['kernel']}, load average {env['load_start']} at the start, {open('/proc/loadavg').read().split()[0]} at the end")
print()
print("figures (msgs/s unless noted)")
for name, r in [("Mailman 3.3.8 switchboard round trip (fsync file)", mm),
                ("Mailman 3.3.8 runner loop, 1 producer process (sleep_time 1 s)", mm_runner),
                ("floor write+fsync+rename", floor_f), ("floor write+rename (no fsync)", floor_n),
                ("floor full round trip, fsync", floor_frt), ("floor full round trip, no fsync", floor_nrt),
                ("floor RunnerHost's durable enqueue, 1 at a time", group1),
                ("floor RunnerHost's durable enqueue, full rounds of 8", group8),
                ("floor journal commit round trip (record + fdatasync, rename, dequeue)", floor_j),
                ("RunnerHost durable, 1 producer (commit: journal)", rh1), ("RunnerHost durable, 8 producers (commit: journal)", rh8),
                ("RunnerHost durable, 1 producer (commit: fsync)", rh1f), ("RunnerHost durable, 8 producers (commit: fsync)", rh8f),
                ("RunnerHost no fsync, 1 producer", rhn)]:
    if r is None:
        continue
    extra = f"  (dir fsyncs {r['dir_fsyncs']} for {r['messages']})" if "dir_fsyncs" in r and r["fsync"] else ""
    print(f"  {name:<64} {r['msgs_per_s']:>10.0f}{extra}")
for r in jetstream:
    name = f"RunnerHost JetStream R{r['replicas']}, {r['producers']} producer{'s' if r['producers'] > 1 else ''}"
    server = f"{r['server_cpu_us_per_msg']:.0f}" if "server_cpu_us_per_msg" in r else "n/a"
    print(f"  {name:<64} {r['msgs_per_s']:>10.0f}  (enqueue {r['messages'] / r['enqueue_s']:.0f}/s; CPU us/msg: host {r['cpu_us_per_msg']:.0f}, servers {server}; {r['messages']} msgs)")
if floor_lat is not None:
    print(f"  {'floor durable enqueue after ' + format(floor_lat['pause_ms'], 'g') + ' ms idle, p50 / p99 (ms)':<64} {floor_lat['p50_ms']:>10.2f} / {floor_lat['p99_ms']:.2f}")
    print(f"  {'  of which up to the rename, before the directory fsync':<64} {floor_lat['renamed_p50_ms']:>10.2f} / {floor_lat['renamed_p99_ms']:.2f}")
if lat is not None:
    print(f"  {'RunnerHost idle latency p50 / p99 / max (ms)':<64} {lat['p50_ms']:>10.2f} / {lat['p99_ms']:.2f} / {lat['max_ms']:.2f}")
for size in sorted(drains):
    d = drains[size]
    cost = f"  (CPU {d['cpu_us_per_msg']:.1f} us, {d['alloc_bytes_per_msg'] / 1024:.2f} KB allocated per msg)" if "cpu_us_per_msg" in d else ""
    print(f"  {'RunnerHost drain ' + str(size) + ' (us/msg)':<64} {d['us_per_msg']:>10.1f}{cost}")
if drain_parsed is not None:
    d = drain_parsed
    print(f"  {'RunnerHost drain ' + str(d['backlog']) + ', runner reads the parsed message (us/msg)':<64} {d['us_per_msg']:>10.1f}  (CPU {d['cpu_us_per_msg']:.1f} us, {d['alloc_bytes_per_msg'] / 1024:.2f} KB allocated per msg)")
cold = one(scenario="cold-start")
restart = one(scenario="restart")
rss = one(scenario="rss")
if cold is not None:
    print(f"  {'RunnerHost cold start, ' + str(cold['runners']) + ' runners all running, min / median (s)':<64} {cold['min_s']:>10.2f} / {cold['median_s']:.2f}")
if restart is not None:
    print(f"  {'RunnerHost restart after SIGKILL p50 / max (s), backoff ' + restart['restart_backoff']:<64} {restart['p50_s']:>10.2f} / {restart['max_s']:.2f}")
if rss is not None:
    print(f"  {'RunnerHost RSS master (MB)':<64} {rss['master_mb']:>10.1f}")
    print(f"  {'RunnerHost RSS per runner min / median / max (MB), ' + str(rss['runners']) + ' runners':<64} {rss['runner_min_mb']:>10.1f} / {rss['runner_median_mb']:.1f} / {rss['runner_max_mb']:.1f}")
e2e = [r for r in rows if r["scenario"] in ("e2e", "e2e-idle")]
if e2e:
    systems = {r["system"]: r for r in rows if r["scenario"] == "e2e-system"}
    names = {"runnerhost": "RunnerHost", "mailman": "Mailman 3.3.8"}
    sizes = ", ".join(f"{names[s]} {r['posts_per_row']}" for s, r in systems.items())
    print()
    print(f"end to end: a post from LMTP to each of {e2e[0]['members']} members over SMTP (posts per loaded row: {sizes})")
    print(f"  {'system':<14} {'clients':>8} {'posts':>6} {'accepted/s':>11} {'delivered/s':>12} {'p50 ms':>9} {'p99 ms':>9} {'CPU ms/post':>12}  exactly once")
    for r in e2e:
        idle = r["scenario"] == "e2e-idle"
        f = lambda v, spec: "-" if v is None else format(v, spec)
        once = "yes" if r["exactly_once"] else (f"NO: {r['accepted']}/{r['posts']} accepted, {r['refused']} refused, "
                                                f"{r['missing']} missing, {r['duplicates']} duplicated, {r['strays']} strays")
        print(f"  {names[r['system']]:<14} {'1, idle' if idle else r['clients']:>8} {r['posts']:>6} "
              f"{'-' if idle else f(r['accepted_per_s'], '.1f'):>11} {'-' if idle else f(r['delivered_per_s'], '.1f'):>12} "
              f"{f(r['p50_ms'], '.1f'):>9} {f(r['p99_ms'], '.1f'):>9} {r['cpu_ms_per_post']:>12.2f}  {once}")
    quiet = ", ".join(f"{names[s]} {r['quiet_cpu_ms_per_s']:.0f}" for s, r in systems.items() if "quiet_cpu_ms_per_s" in r)
    if quiet:
        print(f"  CPU ms per second of the whole process tree with no mail (included in CPU ms/post): {quiet}")
    print("  (idle: one post at a time, the next after every member has the previous one; latency from the LMTP 250")
    print("   to the last member's delivery. Loaded rows send as fast as the connections allow, so their latency")
    print("   includes the wait behind the backlog that builds up when posts are accepted faster than delivered.)")
    print()
    print("end-to-end targets")
    e2e_checks = []
    def e2e_check(name, value, ok, target):
        e2e_checks.append(ok)
        shown = "n/a" if value is None else f"{value:.2f}"
        print(f"  {'MET ' if ok else 'MISS'} {name:<58} {shown:>8}   target {target}")
    def row(system, clients=None, idle=False):
        return one(scenario="e2e-idle" if idle else "e2e", system=system, **({} if idle else {"clients": clients}))
    rh8e, mm8e = row("runnerhost", 8), row("mailman", 8)
    if rh8e and mm8e and mm8e["delivered_per_s"] > 0:
        ratio = rh8e["delivered_per_s"] / mm8e["delivered_per_s"]
        e2e_check("delivered posts/s RunnerHost / Mailman, 8 clients", ratio, ratio >= 10, ">= 10")
    rh_idle = row("runnerhost", idle=True)
    if rh_idle:
        e2e_check("RunnerHost latency p50, idle (ms)", rh_idle["p50_ms"], rh_idle["p50_ms"] is not None and rh_idle["p50_ms"] <= 20, "<= 20")
        e2e_check("RunnerHost latency p99, idle (ms)", rh_idle["p99_ms"], rh_idle["p99_ms"] is not None and rh_idle["p99_ms"] <= 100, "<= 100")
    for system in systems:
        mine = [r for r in e2e if r["system"] == system]
        bad = sum(not r["exactly_once"] for r in mine)
        e2e_check(f"{names[system]}: rows with every post to every member once", len(mine) - bad, bad == 0, f"all {len(mine)}")
    print(f"\n{sum(e2e_checks)} of {len(e2e_checks)} end-to-end targets met")
if mm is None:
    sys.exit(0)   # BENCH_ONLY: no Mailman and no floors to hold the targets against
print()
print("targets")
checks = []
def check(name, value, ok, target, context=""):
    checks.append(ok)
    print(f"  {'MET ' if ok else 'MISS'} {name:<58} {value:>8.2f}   target {target}{context}")
r = rh1["msgs_per_s"] / mm["msgs_per_s"]; check("durable 1 producer / Mailman switchboard", r, r >= 3, ">= 3",
    f"   (C floor of the journal commit: {floor_j['msgs_per_s'] / mm['msgs_per_s']:.2f}; of the fsync commit: {group1['msgs_per_s'] / mm['msgs_per_s']:.2f})" if floor_j else
    f"   (its C floor: {group1['msgs_per_s'] / mm['msgs_per_s']:.2f})")
r = rh8["msgs_per_s"] / floor_f["msgs_per_s"]; check("durable 8 producers / floor write+fsync+rename", r, r >= 2, ">= 2",
    f"   (its C floor: {group8['msgs_per_s'] / floor_f['msgs_per_s']:.2f})")
r = rhn["msgs_per_s"] / floor_n["msgs_per_s"]; check("no fsync / floor write+rename", r, r >= 0.35, ">= 0.35")
check("idle latency p50 (ms)", lat["p50_ms"], lat["p50_ms"] <= 2, "<= 2", f"   (floor p50 {floor_lat['p50_ms']:.2f} ms)")
check("idle latency p99 (ms)", lat["p99_ms"], lat["p99_ms"] <= 20, "<= 20")
if 1000 in drains and max(drains) >= 100000:
    big = drains[max(drains)]
    r = big["us_per_msg"] / drains[1000]["us_per_msg"]; check(f"drain cost per message {max(drains)} / 1000", r, r <= 1.3, "<= 1.3")
if drains and "cpu_us_per_msg" in drains[max(drains)]:
    big = drains[max(drains)]
    check(f"runner loop CPU per no-op entry, drain {max(drains)} (us)", big["cpu_us_per_msg"], big["cpu_us_per_msg"] <= 40, "<= 40")
    check(f"runner loop allocation per no-op entry, drain {max(drains)} (KB)", big["alloc_bytes_per_msg"] / 1024, big["alloc_bytes_per_msg"] <= 8192, "<= 8")
if cold is not None:
    check(f"cold start, {cold['runners']} runners, median (s)", cold["median_s"], cold["median_s"] <= 1, "<= 1")
if restart is not None:
    check("restart after SIGKILL p50 (s)", restart["p50_s"], restart["p50_s"] <= 0.3, "<= 0.3")
if rss is not None:
    check("RSS per runner process, median (MB)", rss["runner_median_mb"], rss["runner_median_mb"] <= 40, "<= 40")
print(f"\n{sum(checks)} of {len(checks)} targets met")
PYEOF
if [ "$e2e_rc" -ne 0 ]; then
  echo "compare-mailman: the end-to-end scenario FAILED (exit $e2e_rc): mail lost or duplicated, or a system did not run; see above" >&2
  exit 1
fi
