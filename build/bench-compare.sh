#!/usr/bin/env bash
# Compares two versions of the SDK in one interleaved run: the working tree against a git revision
# (default: the first parent of HEAD), on the quickstart sample and on generated stacks. Both packages go
# into one local feed under distinct versions; every stack is copied once per version, and the builds
# alternate (base, new, base, new, …) so that machine load falls on both sides alike. Reports the median
# of the per-pair ratios new/base for a no-op build and for a rebuild after one selection change.
# Wall-clock and CPU (user+sys, GNU time) are both printed; read CPU on a shared machine.
#
# Usage: build/bench-compare.sh [base-rev=HEAD~1] [pairs=5] [sizes="1000"]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
rev="${1:-HEAD~1}"; pairs="${2:-5}"; sizes="${3:-1000}"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDTERMINALLOGGER=off DOTNET_CLI_USE_MSBUILD_SERVER=0
/usr/bin/time -f %M true >/dev/null 2>&1 || { echo "bench-compare: needs GNU time (Debian: apt-get install time)" >&2; exit 1; }

work="$(mktemp -d /tmp/hsm-compare.XXXXXX)"
trap 'git -C "$repo" worktree remove --force "$work/base-src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export NUGET_PACKAGES="$work/packages"
stamp=$(date +%Y%m%d%H%M%S)
vbase="0.1.0-cmpbase$stamp"; vnew="0.1.0-cmpnew$stamp"
git -C "$repo" worktree add --detach "$work/base-src" "$rev" >/dev/null 2>&1
echo "bench-compare: base $(git -C "$repo" rev-parse --short "$rev") vs working tree, pairs $pairs, sizes $sizes"
dotnet pack "$work/base-src/src/Hsm.Sdk/Hsm.Sdk.csproj" -c Release -o "$work/feed" -p:HsmVersion="$vbase" -nodeReuse:false >/dev/null
dotnet pack "$repo/src/Hsm.Sdk/Hsm.Sdk.csproj" -c Release -o "$work/feed" -p:HsmVersion="$vnew" -nodeReuse:false >/dev/null
dotnet build "$repo/tests/Hsm.Benchmarks/Hsm.Benchmarks.csproj" -c Release -o "$work/benchtool" -nodeReuse:false -v:q >/dev/null

. "$repo/build/bench-common.sh"   # mk (reads $ver), sample, toggle, median
props="-p:HsmPythonSync=none -p:HsmComposeValidate=false"
# b DIR -> "wall cpu": one build.
b() {
  local s e
  s=$(date +%s.%N)
  (cd "$1" && /usr/bin/time -f '%U %S' -o "$work/cpu" dotnet build hsm.proj --no-restore -nodeReuse:false $props -v:q >"$work/out" 2>&1) \
    || { cat "$work/out" >&2; echo "bench-compare: build of $1 failed" >&2; exit 1; }
  e=$(date +%s.%N)
  echo "$(echo "$e - $s" | bc) $(awk '{print $1 + $2}' "$work/cpu" | tail -1)"
}

sample "$work/sample-base"
names=(sample)
for n in $sizes; do "$work/benchtool/Hsm.Benchmarks" generate "$work/n$n-base" "$n" 42 >/dev/null; names+=("n$n"); done
for d in "${names[@]}"; do
  cp -r "$work/$d-base" "$work/$d-new"
  ver=$vbase mk "$work/$d-base" '<Project Sdk="Hsm.Sdk" />'; ver=$vnew mk "$work/$d-new" '<Project Sdk="Hsm.Sdk" />'
  for v in base new; do
    (cd "$work/$d-$v" && dotnet restore hsm.proj -nodeReuse:false -v:q >/dev/null)
    b "$work/$d-$v" >/dev/null; b "$work/$d-$v" >/dev/null
  done
done

# row TITLE -- runs `measure base` and `measure new` alternately; prints medians and the ratio new/base.
row() {
  local title="$1" i wb=() wn=() cb=() cn=() rw=() rc=()
  for i in $(seq 1 "$pairs"); do
    read -r w c < <(measure base); wb+=("$w"); cb+=("$c")
    read -r w c < <(measure new); wn+=("$w"); cn+=("$c")
    rw+=("$(echo "${wn[-1]} / ${wb[-1]}" | bc -l)"); rc+=("$(echo "${cn[-1]} / ${cb[-1]}" | bc -l)")
  done
  printf '%-32s wall %.3f / %.3f s (new/base %.3f)   cpu %.3f / %.3f s (new/base %.3f)\n' "$title" \
    "$(median "${wn[@]}")" "$(median "${wb[@]}")" "$(median "${rw[@]}")" "$(median "${cn[@]}")" "$(median "${cb[@]}")" "$(median "${rc[@]}")"
}
echo; echo "== medians: new / base (ratio = median of per-pair ratios)"
for d in "${names[@]}"; do
  measure() { b "$work/$d-$1"; }
  row "no-op build, $d"
  measure() { toggle "$work/$d-$1"; b "$work/$d-$1"; }
  row "selection change, $d"
done
echo "machine: $(nproc) cores, .NET SDK $(dotnet --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
