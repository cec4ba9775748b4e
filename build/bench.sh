#!/usr/bin/env bash
# Whole-process timings of `dotnet build` on the sample stack (packed SDK), interleaved with a
# <Project Sdk="Microsoft.Build.NoTargets/3.7.0"> baseline built by the same machinery.
# Reports the median of N pairs and the ratio per pair. uv is disabled (HsmPythonSync=none) so only Hsm
# is measured. Usage: build/bench.sh [pairs=5]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
pairs="${1:-5}"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDTERMINALLOGGER=off
ver="0.1.0-bench$(date +%Y%m%d%H%M%S)"
work="$(mktemp -d /tmp/hsm-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export NUGET_PACKAGES="$work/packages"
dotnet pack "$repo/src/Hsm.Sdk/Hsm.Sdk.csproj" -c Release -o "$work/feed" -p:HsmVersion="$ver" -nodeReuse:false >/dev/null

mk() { # dir sdk-line
  mkdir -p "$1"
  printf '<Project />\n' > "$1/Directory.Build.props"; printf '<Project />\n' > "$1/Directory.Build.targets"
  cat > "$1/nuget.config" <<NUGET
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><add key="local" value="$work/feed" /></packageSources></configuration>
NUGET
  printf '{ "msbuild-sdks": { "Hsm.Sdk": "%s", "Microsoft.Build.NoTargets": "3.7.0" } }\n' "$ver" > "$1/global.json"
  printf '%s\n' "$2" > "$1/hsm.proj"
}
mk "$work/hsm" '<Project Sdk="Hsm.Sdk" />'
cp -r "$repo/samples/quickstart/hsm.yaml" "$repo/samples/quickstart/hsm-registry" "$repo/samples/quickstart/packages" "$repo/samples/quickstart/config" "$work/hsm/"
git -C "$repo" show HEAD:samples/quickstart/pyproject.toml > "$work/hsm/pyproject.toml" 2>/dev/null || cp "$repo/samples/quickstart/pyproject.toml" "$work/hsm/"
mk "$work/base" '<Project Sdk="Microsoft.Build.NoTargets"><PropertyGroup><TargetFramework>netstandard2.0</TargetFramework></PropertyGroup></Project>'

b() { (cd "$1" && dotnet build hsm.proj --no-restore -nodeReuse:false -p:HsmPythonSync=none -v:q >/dev/null); }
for d in hsm base; do (cd "$work/$d" && dotnet restore hsm.proj -nodeReuse:false -v:q >/dev/null); b "$work/$d"; b "$work/$d"; done

now() { date +%s.%N; }
declare -a th tb
for i in $(seq 1 "$pairs"); do
  s=$(now); b "$work/hsm"; e=$(now); th+=("$(echo "$e - $s" | bc)")
  s=$(now); b "$work/base"; e=$(now); tb+=("$(echo "$e - $s" | bc)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "pair  hsm(s)  notargets(s)  ratio"
for i in $(seq 0 $((pairs-1))); do printf '%4d  %6.3f  %12.3f  %5.3f\n' $((i+1)) "${th[$i]}" "${tb[$i]}" "$(echo "${th[$i]} / ${tb[$i]}" | bc -l)"; done
mh=$(median "${th[@]}"); mb=$(median "${tb[@]}")
printf 'median no-op build: hsm %.3f s, NoTargets %.3f s, ratio %.3f\n' "$mh" "$mb" "$(echo "$mh / $mb" | bc -l)"
