# Shared by bench.sh, bench-cli.sh and bench-compare.sh (sourced after $work and $ver are set; mk reads $ver
# when it is called, so a script may change it between projects).
# mk DIR SDK-LINE: a project folder resolving its SDK from the local feed in $work/feed, isolated from the
# repository's Directory.Build.* and nuget.config.
mk() {
  mkdir -p "$1"
  printf '<Project />\n' > "$1/Directory.Build.props"; printf '<Project />\n' > "$1/Directory.Build.targets"
  cat > "$1/nuget.config" <<NUGET
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><add key="local" value="$work/feed" /></packageSources></configuration>
NUGET
  printf '{ "msbuild-sdks": { "Hsm.Sdk": "%s", "Microsoft.Build.NoTargets": "3.7.0" } }\n' "$ver" > "$1/global.json"
  printf '%s\n' "$2" > "$1/hsm.proj"
}

# sample DIR: the quickstart sample's inputs copied into DIR (pyproject.toml as committed), its 1-of-N client
# group marked like the generator's, so one toggle serves every stack.
sample() {
  mkdir -p "$1"
  cp -r "$repo/samples/quickstart/hsm.yaml" "$repo/samples/quickstart/hsm-registry" "$repo/samples/quickstart/packages" "$repo/samples/quickstart/config" "$1/"
  git -C "$repo" show HEAD:samples/quickstart/pyproject.toml > "$1/pyproject.toml" 2>/dev/null || cp "$repo/samples/quickstart/pyproject.toml" "$1/"
  sed -i -E 's/selection: qdrant-adapter( *)#.*/selection: qdrant-adapter   # bench-switch: milvus-adapter/' "$1/hsm.yaml"
  grep -q 'bench-switch' "$1/hsm.yaml" || { echo "bench: no 1-of-N selection to flip in the sample" >&2; exit 1; }
}
# toggle DIR: flips the stack's bench-switch selection.
toggle() { sed -i -E 's/selection: ([^ ]+)   # bench-switch: ([^ ]+)/selection: \2   # bench-switch: \1/' "$1/hsm.yaml"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
