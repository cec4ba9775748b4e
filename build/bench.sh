#!/usr/bin/env bash
# Whole-process timings of `dotnet build` (packed SDK) on the quickstart sample and on generated stacks
# of N components (tests/Hsm.Benchmarks: `generate <dir> <N> <seed>`), interleaved with a
# <Project Sdk="Microsoft.Build.NoTargets/3.7.0"> baseline built by the same machinery (same packages
# folder, same flags, in its own folder). uv is disabled (HsmPythonSync=none) and the Compose parser is
# not called (HsmComposeValidate=false), so only Hsm is measured. See docs/performance.md.
#
# Measures, each as interleaved pairs (hsm, baseline) with the median and the ratio per pair:
#   1. no-op `dotnet build` (second build, nothing changed), for the sample and every N;
#   2. rebuild after one selection change (a 1-of-N library group flipped) at every N, paired with the
#      no-op build that follows it;
#   3. the in-process pipeline per phase (Stopwatch medians; BenchmarkDotNet with HSM_BENCH_BDN=1);
#   4. peak memory (max RSS of the build's processes, GNU time) of the no-op, the rebuild and a full
#      build (obj/hsm and generated files removed) at every N, against the baseline's.
#
# Needs GNU time (/usr/bin/time -f): Debian's `time` package (installed here with apt-get when missing
# and running as root), bc, and the .NET SDK. The machine is shared: repeat, and read the ratios.
#
# Usage: build/bench.sh [pairs=5] [sizes="100 1000 10000"]
#   HSM_BENCH_SEED (42)  HSM_BENCH_BDN=1 (also run BenchmarkDotNet)  HSM_BENCH_KEEP=1 (keep the work folder)
#   HSM_BENCH_ONLY="noop rebuild full pipeline" (the sections to run; default all)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
pairs="${1:-5}"
sizes="${2:-100 1000 10000}"
seed="${HSM_BENCH_SEED:-42}"
only="${HSM_BENCH_ONLY:-noop rebuild full pipeline}"
want() { [[ " $only " == *" $1 "* ]]; }
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDTERMINALLOGGER=off DOTNET_CLI_USE_MSBUILD_SERVER=0

if ! /usr/bin/time -f %M true >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bench: installing GNU time (Debian package 'time') for peak-memory figures" >&2
    (apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq time >/dev/null; })
  else
    echo "bench: needs GNU time at /usr/bin/time (Debian: apt-get install time)" >&2; exit 1
  fi
fi
command -v bc >/dev/null || { echo "bench: needs bc" >&2; exit 1; }

ver="0.1.0-bench$(date +%Y%m%d%H%M%S)"
work="$(mktemp -d /tmp/hsm-bench.XXXXXX)"
[ "${HSM_BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
export NUGET_PACKAGES="$work/packages"
echo "bench: work folder $work, SDK $ver, pairs $pairs, sizes $sizes, seed $seed"
dotnet pack "$repo/src/Hsm.Sdk/Hsm.Sdk.csproj" -c Release -o "$work/feed" -p:HsmVersion="$ver" -nodeReuse:false >/dev/null
dotnet build "$repo/tests/Hsm.Benchmarks/Hsm.Benchmarks.csproj" -c Release -o "$work/benchtool" -nodeReuse:false -v:q >/dev/null
tool="$work/benchtool/Hsm.Benchmarks"

. "$repo/build/bench-common.sh"   # mk DIR SDK-LINE
props="-p:HsmPythonSync=none -p:HsmComposeValidate=false"
# b dir -> prints "seconds maxrss_kb"
b() {
  local s e
  s=$(date +%s.%N)
  (cd "$1" && /usr/bin/time -f '%M' -o "$work/rss" dotnet build hsm.proj --no-restore -nodeReuse:false $props -v:q >"$work/out" 2>&1) \
    || { cat "$work/out" >&2; echo "bench: build of $1 failed" >&2; exit 1; }
  e=$(date +%s.%N)
  echo "$(echo "$e - $s" | bc) $(tail -1 "$work/rss")"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
toggle() { sed -i -E 's/selection: ([^ ]+)   # bench-switch: ([^ ]+)/selection: \2   # bench-switch: \1/' "$1/hsm.yaml"; }

mk "$work/base" '<Project Sdk="Microsoft.Build.NoTargets"><PropertyGroup><TargetFramework>netstandard2.0</TargetFramework></PropertyGroup></Project>'
mk "$work/sample" '<Project Sdk="Hsm.Sdk" />'
cp -r "$repo/samples/quickstart/hsm.yaml" "$repo/samples/quickstart/hsm-registry" "$repo/samples/quickstart/packages" "$repo/samples/quickstart/config" "$work/sample/"
git -C "$repo" show HEAD:samples/quickstart/pyproject.toml > "$work/sample/pyproject.toml" 2>/dev/null || cp "$repo/samples/quickstart/pyproject.toml" "$work/sample/"
stacks="sample"
for n in $sizes; do
  "$tool" generate "$work/n$n" "$n" "$seed" | sed 's/^/bench: /'
  mk "$work/n$n" '<Project Sdk="Hsm.Sdk" />'
  cp "$work/n$n/pyproject.toml" "$work/n$n/pyproject.toml.orig"
  stacks="$stacks n$n"
done
for d in base $stacks; do
  (cd "$work/$d" && dotnet restore hsm.proj -nodeReuse:false -v:q >/dev/null)
  b "$work/$d" >/dev/null; b "$work/$d" >/dev/null   # first build (full chain), then one no-op to settle
done

summary=()
report_pairs() { # title, arrays via names: times-a times-b
  local title="$1"; local -n xa_="$2"; local -n xb_="$3"; local -n ra_="$4"; local -n rb_="$5"; local label_a="$6" label_b="$7"
  echo; echo "== $title"
  printf 'pair  %10s  %10s  ratio   %12s  %12s\n' "$label_a(s)" "$label_b(s)" "$label_a(MB)" "$label_b(MB)"
  local i ratios=()
  for i in "${!xa_[@]}"; do
    local r; r=$(echo "${xa_[$i]} / ${xb_[$i]}" | bc -l); ratios+=("$r")
    printf '%4d  %10.3f  %10.3f  %5.3f   %12.1f  %12.1f\n' $((i+1)) "${xa_[$i]}" "${xb_[$i]}" "$r" "$(echo "${ra_[$i]}/1024" | bc -l)" "$(echo "${rb_[$i]}/1024" | bc -l)"
  done
  local ma mb mr mra mrb
  ma=$(median "${xa_[@]}"); mb=$(median "${xb_[@]}"); mr=$(median "${ratios[@]}")
  mra=$(median "${ra_[@]}"); mrb=$(median "${rb_[@]}")
  printf 'median: %s %.3f s, %s %.3f s, ratio of medians %.3f, median of ratios %.3f, difference %.3f s; peak RSS %.1f MB vs %.1f MB (+%.1f MB)\n' \
    "$label_a" "$ma" "$label_b" "$mb" "$(echo "$ma / $mb" | bc -l)" "$mr" "$(echo "$ma - $mb" | bc -l)" \
    "$(echo "$mra/1024" | bc -l)" "$(echo "$mrb/1024" | bc -l)" "$(echo "($mra-$mrb)/1024" | bc -l)"
  summary+=("$(printf '%-34s %-9s %8.3f s  %-9s %8.3f s  ratio %.3f  diff %+.3f s  RSS %7.1f / %7.1f MB (%+.1f)' "$title" "$label_a" "$ma" "$label_b" "$mb" "$mr" "$(echo "$ma - $mb" | bc -l)" "$(echo "$mra/1024" | bc -l)" "$(echo "$mrb/1024" | bc -l)" "$(echo "($mra-$mrb)/1024" | bc -l)")")
}

# 1. no-op builds
want noop && for d in $stacks; do
  th=(); tb=(); rh=(); rb=()
  for i in $(seq 1 "$pairs"); do
    read -r t r < <(b "$work/$d"); th+=("$t"); rh+=("$r")
    read -r t r < <(b "$work/base"); tb+=("$t"); rb+=("$r")
  done
  report_pairs "no-op build, $d" th tb rh rb hsm base
done

# 2. rebuild after one selection change, paired with the no-op build after it (and the baseline)
want rebuild && for n in $sizes; do
  d="n$n"; tr=(); tn=(); rr=(); rn=(); tb=(); rb=()
  for i in $(seq 1 "$pairs"); do
    toggle "$work/$d"
    read -r t r < <(b "$work/$d"); tr+=("$t"); rr+=("$r")
    read -r t r < <(b "$work/$d"); tn+=("$t"); rn+=("$r")
    read -r t r < <(b "$work/base"); tb+=("$t"); rb+=("$r")
  done
  report_pairs "selection change, $d" tr tn rr rn rebuild no-op
  report_pairs "selection change vs base, $d" tr tb rr rb rebuild base
done

# 4. full build (nothing generated yet, obj/hsm removed) against the baseline, for peak memory
want full && for n in $sizes; do
  d="n$n"; tf=(); rf=(); tb=(); rb=()
  for i in $(seq 1 "$pairs"); do
    rm -rf "$work/$d/obj/hsm" "$work/$d/docker-compose.hsm.yml" "$work/$d/hsm.lock" "$work/$d"/.env.hsm*
    cp "$work/$d/pyproject.toml.orig" "$work/$d/pyproject.toml" 2>/dev/null || true
    read -r t r < <(b "$work/$d"); tf+=("$t"); rf+=("$r")
    read -r t r < <(b "$work/base"); tb+=("$t"); rb+=("$r")
  done
  report_pairs "full build, $d" tf tb rf rb full base
done

# 3. in-process pipeline (steady state after a warm-up round)
want pipeline && for n in $sizes; do
  echo; echo "== in-process pipeline, n$n (Stopwatch, median of $pairs after a warm-up)"
  "$tool" pipeline "$work/n$n" "$pairs"
done
if [ "${HSM_BENCH_BDN:-0}" = 1 ]; then
  echo; echo "== BenchmarkDotNet (in-process toolchain)"
  (cd "$work" && "$tool" --filter '*' --inProcess --artifacts "$work/bdn" >/dev/null 2>&1 || true)
  cat "$work"/bdn/results/*-report-github.md 2>/dev/null || echo "(BenchmarkDotNet produced no report)"
fi

echo; echo "== summary (medians; ratio = median of per-pair ratios; RSS = median peak, MB)"
printf '%s\n' "${summary[@]}"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), .NET SDK $(dotnet --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
