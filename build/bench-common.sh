# Shared by bench.sh and bench-cli.sh (sourced after $work and $ver are set).
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
