#!/usr/bin/env python3
"""Folder dependencies of src/Hsm.Tasks: for each folder, the folders whose types or namespaces it uses.
Prints the edges (with an example per edge) and any cycle. Usage: build/folder-deps.py [src/Hsm.Tasks]"""
import os, re, sys, itertools
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src", "Hsm.Tasks")
files = {}
for d in sorted(os.listdir(root)):
    p = os.path.join(root, d)
    if not os.path.isdir(p) or d in ("obj", "bin"): continue
    for dp, _, fs in os.walk(p):
        for f in fs:
            if f.endswith(".cs"): files.setdefault(d, []).append(os.path.join(dp, f))
strip = lambda s: re.sub(r'"(?:\\.|[^"\\])*"', '""', re.sub(r'//.*', '', re.sub(r'/\*.*?\*/', '', s, flags=re.S)))
text = {d: {f: strip(open(f, encoding="utf-8").read()) for f in fs} for d, fs in files.items()}
decl = re.compile(r'\b(?:class|record|struct|enum|interface)\s+([A-Z]\w*)')
types = {}
for d, fs in text.items():
    for t in fs.values():
        for m in decl.finditer(t): types.setdefault(m.group(1), set()).add(d)
# types declared in more than one folder (nested names like Entry) are ambiguous: ignored
owner = {t: next(iter(ds)) for t, ds in types.items() if len(ds) == 1}
edges = {}
for d, fs in text.items():
    for f, t in fs.items():
        for m in re.finditer(r'\busing\s+(?:static\s+)?Hsm\.(\w+)', t):
            if m.group(1) in files and m.group(1) != d: edges.setdefault((d, m.group(1)), set()).add(os.path.basename(f) + ": using Hsm." + m.group(1))
        for m in re.finditer(r'\b(?:Hsm\.)?(\w+)\.([A-Z]\w*)', t):
            if m.group(1) in files and m.group(1) != d and m.group(2) in owner and owner[m.group(2)] == m.group(1):
                edges.setdefault((d, m.group(1)), set()).add(os.path.basename(f) + ": " + m.group(0))
        for w in set(re.findall(r'\b([A-Z]\w*)\b', t)):
            o = owner.get(w)
            if o and o != d: edges.setdefault((d, o), set()).add(os.path.basename(f) + ": " + w)
for (a, b), why in sorted(edges.items()):
    print(f"{a:12} -> {b:12} {sorted(why)[:4]}")
# cycles (strongly connected components)
g = {}
for a, b in edges: g.setdefault(a, set()).add(b)
idx, low, st, on, sccs, c = {}, {}, [], set(), [], [0]
def sc(v):
    idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in g.get(v, ()):
        if w not in idx: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in list(files): 
    if v not in idx: sc(v)
print("CYCLES:" if sccs else "no cycles")
for comp in sccs:
    print("  ", comp)
    for a, b in itertools.permutations(comp, 2):
        if (a, b) in edges: print(f"     {a} -> {b}: {sorted(edges[(a,b)])[:6]}")
sys.exit(1 if sccs else 0)
