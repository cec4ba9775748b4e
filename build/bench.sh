#!/usr/bin/env bash
# Whole-process cost of `dotnet build` (packed SDK) on the quickstart sample (N = 12) and on generated stacks
# of N components (tests/Hsm.Benchmarks: `generate <dir> <N> <seed>`), interleaved with a
# <Project Sdk="Microsoft.Build.NoTargets/3.7.0"> baseline built by the same machinery (same packages
# folder, same flags, in its own folder). uv is disabled (HsmPythonSync=none) and the Compose parser is
# not called (HsmComposeValidate=false), so only Hsm is measured. See docs/performance.md (issue 16).
#
# Each round builds, for every stack, one after the other: (1) nothing changed, (2) one 1-of-N selection
# changed (the sample's vector-db-client group, the generator's bench-switch group), (3) the first build of a
# fresh copy (obj/hsm and every generated file removed, the original pyproject.toml back), each followed by
# the NoTargets baseline. The figure is CPU time (user + system of the build's processes: the machine is
# shared, CPU time moves less with its load than wall time), the ratio is the median of the per-pair ratios
# hsm / base, the overhead the median of the per-pair differences; peak memory is GNU time's maximum RSS.
# It prints every pair, then the issue's table for our side, then (unless smoke) the in-process pipeline.
#
# Needs bc and the .NET SDK; GNU time (/usr/bin/time, Debian package `time`, installed here with apt-get when
# missing and running as root) for the memory row, which is left out without it.
#
# Usage: build/bench.sh [pairs=5] [sizes="100 1000 10000"]
#        build/bench.sh --smoke        one round, the sample and N = 100, no pipeline (what CI runs)
#   HSM_BENCH_SEED (42)  HSM_BENCH_BDN=1 (also run BenchmarkDotNet)  HSM_BENCH_KEEP=1 (keep the work folder)
#   HSM_BENCH_ONLY="noop change fresh pipeline" (what to run; default all)
#   HSM_BENCH_FEED=dir HSM_BENCH_VERSION=v   use an already packed Hsm.Sdk (no pack)
#   HSM_BENCH_VARIANTS="name=dir ..."   also measure other builds of the task folder (a lever against the
#       packed one): each gets its own copy of every stack, built with -p:HsmTasksAssembly=dir/Hsm.Tasks.dll,
#       in the same rounds, in turn with the packed one (`hsm`).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; set -- 1 "100"; fi
pairs="${1:-5}"
sizes="${2-100 1000 10000}"
seed="${HSM_BENCH_SEED:-42}"
only="${HSM_BENCH_ONLY:-noop change fresh pipeline}"
[ "$smoke" = 1 ] && only="${HSM_BENCH_ONLY:-noop change fresh}"
want() { [[ " $only " == *" $1 "* ]]; }
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDTERMINALLOGGER=off DOTNET_CLI_USE_MSBUILD_SERVER=0

gnutime=1
if ! /usr/bin/time -f %M true >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bench: installing GNU time (Debian package 'time') for peak-memory figures" >&2
    (apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq time >/dev/null; }) || true
  fi
  /usr/bin/time -f %M true >/dev/null 2>&1 || { gnutime=0; echo "bench: no GNU time at /usr/bin/time: no peak-memory figures (Debian: apt-get install time)" >&2; }
fi
command -v bc >/dev/null || { echo "bench: needs bc" >&2; exit 1; }

work="$(mktemp -d /tmp/hsm-bench.XXXXXX)"
[ "${HSM_BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
export NUGET_PACKAGES="$work/packages"
if [ -n "${HSM_BENCH_FEED:-}" ]; then
  ver="${HSM_BENCH_VERSION:?HSM_BENCH_FEED needs HSM_BENCH_VERSION}"
  mkdir -p "$work/feed"; cp "$HSM_BENCH_FEED/Hsm.Sdk.$ver.nupkg" "$work/feed/"
else
  ver="0.1.0-bench$(date +%Y%m%d%H%M%S)"
fi
echo "bench: work folder $work, SDK $ver, pairs $pairs, sizes $sizes, seed $seed, load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${HSM_BENCH_FEED:-}" ] || dotnet pack "$repo/src/Hsm.Sdk/Hsm.Sdk.csproj" -c Release -o "$work/feed" -p:HsmVersion="$ver" -nodeReuse:false >/dev/null
need_tool=0; [ -n "$sizes" ] && need_tool=1; want pipeline && need_tool=1
if [ "$need_tool" = 1 ]; then
  dotnet build "$repo/tests/Hsm.Benchmarks/Hsm.Benchmarks.csproj" -c Release -o "$work/benchtool" -nodeReuse:false -v:q >/dev/null
fi
tool="$work/benchtool/Hsm.Benchmarks"

. "$repo/build/bench-common.sh"   # mk DIR SDK-LINE
props="-p:HsmPythonSync=none -p:HsmComposeValidate=false"

# variants: "hsm" (the packed task folder) and HSM_BENCH_VARIANTS; each has its own copy of the stacks
variants="hsm"; declare -A vprops=([hsm]="")
for kv in ${HSM_BENCH_VARIANTS:-}; do
  v="${kv%%=*}"; variants="$variants $v"; vprops[$v]="-p:HsmTasksAssembly=${kv#*=}/Hsm.Tasks.dll"
done

# b dir extra-props -> prints "wall_s cpu_s maxrss_kb" (maxrss "-" without GNU time)
b() {
  local w u s m
  if [ "$gnutime" = 1 ]; then
    (cd "$1" && /usr/bin/time -f '%e %U %S %M' -o "$work/tm" dotnet build hsm.proj --no-restore -nodeReuse:false $props $2 -v:q >"$work/out" 2>&1) \
      || { cat "$work/out" >&2; echo "bench: build of $1 failed" >&2; exit 1; }
    read -r w u s m < <(tail -1 "$work/tm")
  else
    local TIMEFORMAT='%R %U %S'
    { time (cd "$1" && dotnet build hsm.proj --no-restore -nodeReuse:false $props $2 -v:q >"$work/out" 2>&1) ; } 2>"$work/tm" \
      || { cat "$work/out" >&2; echo "bench: build of $1 failed" >&2; exit 1; }
    read -r w u s < <(tail -1 "$work/tm"); m=-
  fi
  echo "$w $(echo "$u + $s" | bc) $m"
}
fresh() {
  rm -rf "$1/obj/hsm" "$1/docker-compose.hsm.yml" "$1/hsm.lock" "$1"/.env.hsm*
  cp "$1/pyproject.toml.orig" "$1/pyproject.toml" 2>/dev/null || true
}

mk "$work/base" '<Project Sdk="Microsoft.Build.NoTargets"><PropertyGroup><TargetFramework>netstandard2.0</TargetFramework></PropertyGroup></Project>'
mk "$work/hsm-sample" '<Project Sdk="Hsm.Sdk" />'
sample "$work/hsm-sample"
cp "$work/hsm-sample/pyproject.toml" "$work/hsm-sample/pyproject.toml.orig"
stacks="sample"
for n in $sizes; do
  "$tool" generate "$work/hsm-n$n" "$n" "$seed" | sed 's/^/bench: /'
  mk "$work/hsm-n$n" '<Project Sdk="Hsm.Sdk" />'
  cp "$work/hsm-n$n/pyproject.toml" "$work/hsm-n$n/pyproject.toml.orig"
  stacks="$stacks n$n"
done
for v in $variants; do
  [ "$v" = hsm ] && continue
  for d in $stacks; do cp -r "$work/hsm-$d" "$work/$v-$d"; done
done
(cd "$work/base" && dotnet restore hsm.proj -nodeReuse:false -v:q >/dev/null)
b "$work/base" "" >/dev/null; b "$work/base" "" >/dev/null
for d in $stacks; do
  for v in $variants; do
    (cd "$work/$v-$d" && dotnet restore hsm.proj -nodeReuse:false -v:q >/dev/null)
    b "$work/$v-$d" "${vprops[$v]}" >/dev/null; b "$work/$v-$d" "${vprops[$v]}" >/dev/null   # first build (full chain), then one no-op to settle
  done
done

# T["variant scenario stack"] = " wall cpu rss|wall cpu rss|..." (one entry per round)
declare -A T
measure() { # scenario stack
  local sc="$1" d="$2" v
  for v in $variants; do
    case "$sc" in change) toggle "$work/$v-$d" ;; fresh) fresh "$work/$v-$d" ;; esac
    T["$v $sc $d"]+="$(b "$work/$v-$d" "${vprops[$v]}")|"
  done
  T["base $sc $d"]+="$(b "$work/base" "")|"
}
scenarios=""
for sc in noop change fresh; do want "$sc" && scenarios="$scenarios $sc"; done
for i in $(seq 1 "$pairs"); do
  for d in $stacks; do
    for sc in $scenarios; do measure "$sc" "$d"; done
  done
  echo "bench: round $i of $pairs done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done

# field k (1 wall, 2 cpu, 3 rss) of every round of "variant scenario stack"
col() { local IFS='|' e; for e in ${T["$1"]}; do [ -n "$e" ] && echo "$e" | awk -v k="$2" '{print $k}'; done; }
declare -A R   # R["variant scenario stack"] = "ratio hsm_cpu base_cpu diff rss_hsm rss_base"
echo; echo "== every pair (CPU s = user + system; wall s; peak RSS MiB)"
printf '%-8s %-7s %-7s %5s  %9s %9s %7s  %8s %8s  %8s %8s\n' variant scen stack pair cpu base ratio wall base-wall rss base-rss
for d in $stacks; do for sc in $scenarios; do for v in $variants; do
  mapfile -t hc < <(col "$v $sc $d" 2); mapfile -t bc_ < <(col "base $sc $d" 2)
  mapfile -t hw < <(col "$v $sc $d" 1); mapfile -t bw < <(col "base $sc $d" 1)
  mapfile -t hm < <(col "$v $sc $d" 3); mapfile -t bm < <(col "base $sc $d" 3)
  ratios=(); diffs=()
  for i in "${!hc[@]}"; do
    r=$(echo "${hc[$i]} / ${bc_[$i]}" | bc -l); ratios+=("$r"); diffs+=("$(echo "${hc[$i]} - ${bc_[$i]}" | bc -l)")
    printf '%-8s %-7s %-7s %5d  %9.3f %9.3f %7.3f  %8.3f %8.3f  %8s %8s\n' "$v" "$sc" "$d" $((i+1)) "${hc[$i]}" "${bc_[$i]}" "$r" "${hw[$i]}" "${bw[$i]}" \
      "$([ "${hm[$i]}" = - ] && echo - || echo "$(( ${hm[$i]} / 1024 ))")" "$([ "${bm[$i]}" = - ] && echo - || echo "$(( ${bm[$i]} / 1024 ))")"
  done
  mh=-; mb=-
  [ "$gnutime" = 1 ] && { mh=$(echo "$(median "${hm[@]}") / 1024" | bc -l); mb=$(echo "$(median "${bm[@]}") / 1024" | bc -l); }
  R["$v $sc $d"]="$(median "${ratios[@]}") $(median "${hc[@]}") $(median "${bc_[@]}") $(median "${diffs[@]}") $mh $mb"
done; done; done

label() { [ "$1" = sample ] && echo "N=12 (sample)" || printf 'N=%s' "$(printf "%'d" "${1#n}" 2>/dev/null || echo "${1#n}")"; }
for v in $variants; do
  echo; echo "== table ($v): CPU ratio to NoTargets (median of per-pair ratios), then hsm / base CPU seconds (medians) and the overhead"
  printf '| scenario |'; for d in $stacks; do printf ' %s |' "$(label "$d")"; done; echo
  printf '|---|'; for d in $stacks; do printf -- '---|'; done; echo
  for sc in $scenarios; do
    case "$sc" in noop) name="nothing changed" ;; change) name="one 1-of-N selection changed" ;; fresh) name="first build of a fresh copy" ;; esac
    printf '| %s |' "$name"
    for d in $stacks; do
      read -r r hc bcpu df _ _ <<<"${R["$v $sc $d"]}"
      printf ' %.2f× (%.2f / %.2f s, %+.2f s) |' "$r" "$hc" "$bcpu" "$df"
    done; echo
  done
  if [ "$gnutime" = 1 ]; then
    for sc in change fresh; do
      want "$sc" || continue
      printf '| peak memory, %s (MiB) |' "$([ "$sc" = change ] && echo "selection change" || echo "fresh copy")"
      for d in $stacks; do read -r _ _ _ _ mh mb <<<"${R["$v $sc $d"]}"; printf ' %.0f / %.0f |' "$mh" "$mb"; done; echo
    done
  fi
done

# in-process pipeline (steady state after a warm-up round)
want pipeline && for n in $sizes; do
  echo; echo "== in-process pipeline, n$n (Stopwatch, median of $pairs after a warm-up)"
  "$tool" pipeline "$work/hsm-n$n" "$pairs"
done
if [ "${HSM_BENCH_BDN:-0}" = 1 ]; then
  echo; echo "== BenchmarkDotNet (in-process toolchain)"
  (cd "$work" && "$tool" --filter '*' --inProcess --artifacts "$work/bdn" >/dev/null 2>&1 || true)
  cat "$work"/bdn/results/*-report-github.md 2>/dev/null || echo "(BenchmarkDotNet produced no report)"
fi

echo; echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), .NET SDK $(dotnet --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
