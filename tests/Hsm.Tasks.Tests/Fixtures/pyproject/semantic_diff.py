"""semantic_diff.py ORIGINAL NEW MANAGED_JSON
Checks with Python's own tomllib that NEW == ORIGINAL plus exactly the managed entries:
every managed requirement is in [project].dependencies and every managed source key in
[tool.uv.sources]; once those (and containers hsm had to create) are taken out, the documents are equal."""
import json, sys, tomllib

def load(p):
    with open(p, encoding="utf-8-sig") as fh:
        return tomllib.loads(fh.read())

orig, new = load(sys.argv[1]), load(sys.argv[2])
managed = json.loads(sys.argv[3])
problems = []
proj = new.setdefault("project", {})
deps = proj.get("dependencies", [])
for r in managed["requirements"]:
    if deps.count(r) != 1:
        problems.append(f"requirement {r!r} appears {deps.count(r)} times")
srcs = new.get("tool", {}).get("uv", {}).get("sources", {})
for k, v in managed["sources"].items():
    if k not in srcs:
        problems.append(f"source {k!r} missing")
    elif srcs[k] != tomllib.loads("x = " + v)["x"]:
        problems.append(f"source {k!r} is {srcs[k]!r}, expected {v}")
if "dependencies" in proj:
    proj["dependencies"] = [d for d in deps if d not in managed["requirements"]]
for k in managed["sources"]:
    srcs.pop(k, None)
# containers hsm created
if "project" not in orig:
    new.pop("project", None)
elif "dependencies" not in orig["project"] and proj.get("dependencies") == []:
    proj.pop("dependencies")
tool = new.get("tool", {})
otool = orig.get("tool", {})
if "uv" in tool and "sources" not in otool.get("uv", {}) and tool["uv"].get("sources") == {}:
    tool["uv"].pop("sources")
    if tool["uv"] == {} and "uv" not in otool:
        tool.pop("uv")
    if tool == {} and "tool" not in orig:
        new.pop("tool")
if new != orig:
    problems.append(f"documents differ outside managed entries:\n  original: {orig!r}\n  new:      {new!r}")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
