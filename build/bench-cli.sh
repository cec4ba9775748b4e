#!/usr/bin/env bash
# Wall-clock time of `hsm sync` (the command-line tool, src/Hsm.Cli, with the packed SDK), what a user waits,
# per fast-path lever (docs/cli.md "Fast path"), interleaved with a NoTargets baseline. See docs/performance.md
# ("The command line: hsm sync"). Stacks: the quickstart sample (N = 12) and generated stacks of N components
# (tests/Hsm.Benchmarks `generate`, seed 42). uv is off (HsmPythonSync=none), Compose not parsed.
#
# Variants, run one after the other in every round (so the machine's drift hits them alike):
#   before     HSM_CLI_FAST=0: `dotnet build hsm.proj -t:HsmSync` with its implicit restore, no MSBuild server
#   norestore  the restore lever alone (--no-restore when up to date; DOTNET_CLI_USE_MSBUILD_SERVER=0, and
#              DOTNET_TieredPGO=1, the runtime's default, set so the tool leaves it alone)
#   nopgo      what a user with the server off gets: norestore plus DOTNET_TieredPGO=0 set by the tool
#   fast       both levers (the default: --no-restore when up to date, and the MSBuild server)
#   base       <Project Sdk="Microsoft.Build.NoTargets/3.7.0">: `dotnet build hsm.proj` as a user runs it
#   floor      the same NoTargets project, `dotnet build --no-restore` through the MSBuild server
# Scenarios: "nothing changed" (sync again) and "one selection changed" (a 1-of-N group flipped first).
# Node reuse and the server are the user's defaults here (MSBUILDDISABLENODEREUSE is unset); the MSBuild
# server and worker nodes this script starts are ended by their process ids at the end.
#
# Usage: build/bench-cli.sh [rounds=7] [sizes="1000"]      smoke (CI-sized): build/bench-cli.sh 1 ""
#   HSM_BENCH_SEED (42)  HSM_BENCH_KEEP=1 (keep the work folder)  HSM_BENCH_VARIANTS ("before norestore fast")
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-7}"
sizes="${2-1000}"
seed="${HSM_BENCH_SEED:-42}"
variants="${HSM_BENCH_VARIANTS:-before norestore nopgo fast}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDTERMINALLOGGER=off
command -v bc >/dev/null || { echo "bench-cli: needs bc" >&2; exit 1; }

ver="0.1.0-benchcli$(date +%Y%m%d%H%M%S)"
work="$(mktemp -d /tmp/hsm-bench-cli.XXXXXX)"
# The MSBuild server and reusable nodes this script starts: processes whose environment names this run's
# packages folder (no other process has it). Ended by id at the end; nothing else is touched.
mine() {
  local p
  for p in $(pgrep -u "$(id -u)" -f 'nodemode:' 2>/dev/null || true); do   # the server is the MSBuild apphost
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "NUGET_PACKAGES=$work/packages" && echo "$p"
  done
  return 0
}
cleanup() {
  local pids; pids=$(mine)
  [ -n "$pids" ] && { kill $pids 2>/dev/null || true; }
  [ "${HSM_BENCH_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
export NUGET_PACKAGES="$work/packages"
echo "bench-cli: work folder $work, SDK $ver, rounds $rounds, sizes 12 (sample) $sizes, seed $seed"
(
  export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0   # building this repo: no lingering nodes
  dotnet pack "$repo/src/Hsm.Sdk/Hsm.Sdk.csproj" -c Release -o "$work/feed" -p:HsmVersion="$ver" -nodeReuse:false >/dev/null
  dotnet build "$repo/src/Hsm.Cli/Hsm.Cli.csproj" -c Release -o "$work/cli" -p:HsmVersion="$ver" -nodeReuse:false -v:q >/dev/null
  dotnet build "$repo/tests/Hsm.Benchmarks/Hsm.Benchmarks.csproj" -c Release -o "$work/benchtool" -nodeReuse:false -v:q >/dev/null
)
hsm="$work/cli/hsm"

. "$repo/build/bench-common.sh"   # mk DIR SDK-LINE
props=(-p:HsmPythonSync=none -p:HsmComposeValidate=false -v:q)
mk "$work/base" '<Project Sdk="Microsoft.Build.NoTargets"><PropertyGroup><TargetFramework>netstandard2.0</TargetFramework></PropertyGroup></Project>'
mk "$work/sample" '<Project Sdk="Hsm.Sdk" />'
sample "$work/sample"
stacks="sample"
for n in $sizes; do
  "$work/benchtool/Hsm.Benchmarks" generate "$work/n$n" "$n" "$seed" | sed 's/^/bench-cli: /'
  mk "$work/n$n" '<Project Sdk="Hsm.Sdk" />'
  stacks="$stacks n$n"
done

# run variant dir -> seconds (wall clock of the whole command)
run() {
  local v="$1" d="$2" s e
  s=$(date +%s.%N)
  case "$v" in
    before)    (cd "$d" && env -u MSBUILDDISABLENODEREUSE -u DOTNET_CLI_USE_MSBUILD_SERVER -u DOTNET_TieredPGO HSM_CLI_FAST=0 "$hsm" sync "${props[@]}") ;;
    norestore) (cd "$d" && env -u MSBUILDDISABLENODEREUSE DOTNET_CLI_USE_MSBUILD_SERVER=0 HSM_CLI_FAST=1 DOTNET_TieredPGO=1 "$hsm" sync "${props[@]}") ;;
    nopgo)     (cd "$d" && env -u MSBUILDDISABLENODEREUSE -u DOTNET_TieredPGO DOTNET_CLI_USE_MSBUILD_SERVER=0 HSM_CLI_FAST=1 "$hsm" sync "${props[@]}") ;;
    fast)      (cd "$d" && env -u MSBUILDDISABLENODEREUSE -u DOTNET_CLI_USE_MSBUILD_SERVER -u DOTNET_TieredPGO -u HSM_CLI_FAST "$hsm" sync "${props[@]}") ;;
    base)      (cd "$d" && env -u MSBUILDDISABLENODEREUSE -u DOTNET_CLI_USE_MSBUILD_SERVER dotnet build hsm.proj -nologo -v:q) ;;
    floor)     (cd "$d" && env -u MSBUILDDISABLENODEREUSE DOTNET_CLI_USE_MSBUILD_SERVER=1 dotnet build hsm.proj --no-restore -nologo -v:q) ;;
  esac >"$work/out" 2>&1 || { cat "$work/out" >&2; echo "bench-cli: $v in $d failed" >&2; exit 1; }
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}

# Settle: the first syncs restore (and stamp), start the server, write the generated files.
for d in $stacks; do for v in before fast fast; do run "$v" "$work/$d" >/dev/null; done; done
for v in base base floor floor; do run "$v" "$work/base" >/dev/null; done

declare -A t
all="$variants base floor"
for i in $(seq 1 "$rounds"); do
  for d in $stacks; do
    for v in $variants; do
      t["$d noop $v"]+=" $(run "$v" "$work/$d")"
      toggle "$work/$d"
      t["$d change $v"]+=" $(run "$v" "$work/$d")"
    done
    for v in base floor; do t["$d - $v"]+=" $(run "$v" "$work/base")"; done
  done
  echo "bench-cli: round $i/$rounds done (load $(cut -d' ' -f1 /proc/loadavg))"
done

echo
echo "== hsm sync, wall clock, median of $rounds rounds (seconds; x = ratio to the NoTargets baseline of the same rounds)"
printf '%-8s %-22s' stack scenario; for v in $variants; do printf ' %16s' "$v"; done; printf ' %10s %10s\n' base floor
for d in $stacks; do
  # shellcheck disable=SC2086
  mb=$(median ${t["$d - base"]}); mf=$(median ${t["$d - floor"]})
  for sc in noop change; do
    printf '%-8s %-22s' "$d" "$([ $sc = noop ] && echo 'nothing changed' || echo 'one selection changed')"
    for v in $variants; do
      # shellcheck disable=SC2086
      m=$(median ${t["$d $sc $v"]}); printf ' %7.3f (x%5.2f)' "$m" "$(echo "$m / $mb" | bc -l)"
    done
    printf ' %10.3f %10.3f\n' "$mb" "$mf"
  done
done
echo "machine: $(nproc) cores, .NET SDK $(dotnet --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "${HSM_BENCH_RAW:-0}" = 1 ] && for k in "${!t[@]}"; do echo "raw: $k:${t[$k]}"; done | sort
exit 0
