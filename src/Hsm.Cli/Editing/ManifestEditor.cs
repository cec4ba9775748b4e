namespace Hsm.Cli.Editing;

/// <summary>
/// The edits of hsm.yaml that the commands make (add, remove, select, mode), each a splice through
/// <see cref="YamlEditor"/>. Sections are "libraries" or "services"; the original tool's legacy keys
/// (dependencies.packages, services.containers, …) are edited where the file uses them.
/// </summary>
public static class ManifestEditor
{
    private static readonly string[] SectionOrder = { "project", "libraries", "dependencies", "services", "modes" };

    private static PMap RootMap(YamlText doc) =>
        doc.Root as PMap ?? throw new EditException("hsm.yaml is not a map of sections; edit it by hand.");

    private static string[] SectionKeys(string section) => section == "libraries" ? new[] { "libraries", "dependencies" } : new[] { "services" };
    private static string[] StandaloneKeys(string section) => section == "libraries" ? new[] { "standalone", "packages" } : new[] { "standalone", "containers" };
    private static string[] GroupKeys(string section) => section == "libraries" ? new[] { "groups", "package_groups" } : new[] { "groups", "container_groups" };

    private static PEntry? Find(PMap? map, string[] keys) => map is null ? null : keys.Select(map.Get).FirstOrDefault(e => e != null);

    private static string[] After(string key) => SectionOrder.SkipWhile(k => k != key).Skip(1).ToArray();

    /// <summary>Sets root[section][sub] = value, creating what is missing (the new section goes where the usual order puts it).</summary>
    private static YamlText SetIn(YamlText doc, string section, string[] subKeys, object value, string? comment = null, bool? flowLists = null)
    {
        var root = RootMap(doc);
        var ed = new YamlEditor(doc);
        if (flowLists is bool f) ed.PreferFlowLists = f;
        var sec = Find(root, SectionKeys(section));
        if (sec is null) return ed.Insert(root, section, new YMap { { subKeys[0], value } }, null, After(section));
        if (sec.Value is PScalar { IsNull: true }) return ed.FillNull(root, sec, new YMap { { subKeys[0], value } });
        if (sec.Value is not PMap sm) throw new EditException($"'{sec.Key.Value}' is not a map.", sec.Value.Start);
        var sub = Find(sm, subKeys);
        if (sub is null)
        {
            if (sm.Entries.Count == 0 && !sm.Flow) throw new EditException($"'{sec.Key.Value}' is empty.", sm.Start);
            return ed.Insert(sm, subKeys[0], value, comment);
        }
        return ed.Set(sm, sub.Key.Value, value);
    }

    // ---- standalone ----

    public static (PSeq? Seq, PMap? Section) Standalone(YamlText doc, string section)
    {
        var sec = Find(RootMap(doc), SectionKeys(section))?.Value as PMap;
        return (Find(sec, StandaloneKeys(section))?.Value as PSeq, sec);
    }

    public static string? ItemName(PNode item) => item switch
    {
        PScalar s when !s.IsNull => s.Value,
        PMap m => (m.Get("name")?.Value as PScalar)?.Value,
        _ => null,
    };

    public static int IndexOfStandalone(YamlText doc, string section, string name)
    {
        var (seq, _) = Standalone(doc, section);
        return seq?.Items.FindIndex(i => string.Equals(ItemName(i), name, StringComparison.OrdinalIgnoreCase)) ?? -1;
    }

    /// <summary>Appends a standalone entry: `name`, or `{ name: n, mode: m, profile: p }` when a mode or profile is given.</summary>
    public static YamlText AddStandalone(YamlText doc, string section, string name, string? mode = null, string? profile = null)
    {
        object item = name;
        if (mode != null || profile != null)
        {
            var m = new YMap { { "name", name } };
            if (mode != null) m.Add("mode", mode);
            if (profile != null) m.Add("profile", profile);
            item = m;
        }
        var (seq, _) = Standalone(doc, section);
        if (seq != null) return new YamlEditor(doc).Append(seq, item);
        // A new standalone list is a block list (in a block map): removing its last entry removes it again.
        return SetIn(doc, section, StandaloneKeys(section), new YList { item }, flowLists: false);
    }

    /// <summary>
    /// Removes a standalone entry. The last entry of a block list takes the `standalone` key with it (and a
    /// section left empty); the last entry of a flow list leaves `[]`. Each is the inverse of the add.
    /// </summary>
    public static YamlText RemoveStandalone(YamlText doc, string section, string name)
    {
        var (seq, sec) = Standalone(doc, section);
        int i = IndexOfStandalone(doc, section, name);
        if (seq is null || i < 0) throw new EditException($"'{name}' is not a standalone entry of '{section}'.");
        if (seq.Items.Count > 1 || seq.Flow) return new YamlEditor(doc).RemoveAt(seq, i);
        return RemoveSub(doc, section, Find(sec, StandaloneKeys(section))!.Key.Value, null);
    }

    private static YamlText RemoveSub(YamlText doc, string section, string key, string? comment)
    {
        var root = RootMap(doc);
        var secEntry = Find(root, SectionKeys(section))!;
        var sec = (PMap)secEntry.Value;
        var ed = new YamlEditor(doc);
        if (sec.Entries.Count == 1)
            return ed.Remove(root, secEntry.Key.Value);
        return ed.Remove(sec, key, comment);
    }

    // ---- groups ----

    public static (PEntry? Group, PMap? Groups) Group(YamlText doc, string section, string group)
    {
        var sec = Find(RootMap(doc), SectionKeys(section))?.Value as PMap;
        var groups = Find(sec, GroupKeys(section))?.Value as PMap;
        var g = groups?.Entries.FirstOrDefault(e => string.Equals(e.Key.Value, group, StringComparison.OrdinalIgnoreCase));
        return (g, groups);
    }

    /// <summary>The options a group entry selects (empty when it has no selection).</summary>
    public static List<string> Selection(YamlText doc, string section, string group)
    {
        var (g, _) = Group(doc, section, group);
        var sel = (g?.Value as PMap)?.Get("selection")?.Value;
        return sel switch
        {
            PScalar s when !s.IsNull => new List<string> { s.Value },
            PSeq q => q.Items.OfType<PScalar>().Select(x => x.Value).ToList(),
            _ => new List<string>(),
        };
    }

    /// <summary>Adds a group entry (with the registry group's comment above it).</summary>
    public static YamlText AddGroup(YamlText doc, string section, string group, object? selection, string? comment, string? mode = null, string? profile = null)
    {
        var body = new YMap();
        if (selection != null) body.Add("selection", selection);
        if (mode != null) body.Add("mode", mode);
        if (profile != null) body.Add("profile", profile);
        var (g, groups) = Group(doc, section, group);
        if (g != null) throw new EditException($"Group '{group}' is already in hsm.yaml.", g.Key.Start);
        if (groups != null)
        {
            var ed = new YamlEditor(doc);
            return groups.Flow || groups.Entries.Count > 0 ? ed.Insert(groups, group, body.Count == 0 ? YNull.Instance : body, comment) : throw new EditException("The groups map is empty.", groups.Start);
        }
        var sec = Find(RootMap(doc), SectionKeys(section));
        var gk = sec?.Value is PMap sm ? Find(sm, GroupKeys(section)) : null;
        if (gk != null && gk.Value is PScalar { IsNull: true })
            return new YamlEditor(doc).FillNull((PMap)sec!.Value, gk, new YMap { { group, new YCommented(comment, body.Count == 0 ? YNull.Instance : body) } });
        // A new 'groups' map: the comment goes above the group inside it.
        return SetIn(doc, section, GroupKeys(section), new GroupsWithComment(group, body, comment).Map);
    }

    private sealed record GroupsWithComment(string Group, YMap Body, string? Comment)
    {
        public YMap Map => new() { { Group, new YCommented(Comment, Body.Count == 0 ? YNull.Instance : Body) } };
    }

    /// <summary>Removes a group entry (and the registry comment line above it); a `groups` map left empty goes too.</summary>
    public static YamlText RemoveGroup(YamlText doc, string section, string group, string? comment)
    {
        var (g, groups) = Group(doc, section, group);
        if (g is null || groups is null) throw new EditException($"Group '{group}' is not in hsm.yaml.");
        if (groups.Entries.Count == 1 && !groups.Flow)
        {
            var sec = (PMap)Find(RootMap(doc), SectionKeys(section))!.Value;
            var gkey = Find(sec, GroupKeys(section))!.Key.Value;
            return RemoveSub(doc, section, gkey, null);
        }
        return new YamlEditor(doc).Remove(groups, g.Key.Value, comment);
    }

    /// <summary>1-of-N: the selection becomes <paramref name="option"/> (replacing any other).</summary>
    public static YamlText SelectOne(YamlText doc, string section, string group, string option, string? comment)
    {
        var (g, _) = Group(doc, section, group);
        if (g is null) return AddGroup(doc, section, group, option, comment);
        return SetGroupKey(doc, section, group, "selection", option);
    }

    /// <summary>M-of-N: appends <paramref name="option"/> to the selection (a scalar selection becomes a list).</summary>
    public static YamlText AddOption(YamlText doc, string section, string group, string option, string? comment)
    {
        var (g, _) = Group(doc, section, group);
        if (g is null) return AddGroup(doc, section, group, new YList { option }, comment);
        var body = g.Value as PMap;
        var sel = body?.Get("selection");
        if (sel?.Value is PSeq seq)
        {
            if (seq.Items.Any(i => ItemName(i) == option)) return doc;
            if (seq.Items.Count == 0 && !seq.Flow) throw new EditException("Empty block selection.", seq.Start);
            return new YamlEditor(doc).Append(seq, option);
        }
        if (sel?.Value is PScalar s && !s.IsNull)
            return s.Value == option ? doc : new YamlEditor(doc).Replace(s, new YFlow(new YList { s.Value, option }));
        return SetGroupKey(doc, section, group, "selection", new YList { option });
    }

    /// <summary>Removes an option from a list selection; a group whose single selection is removed goes as a whole.</summary>
    public static YamlText RemoveOption(YamlText doc, string section, string group, string option, string? comment)
    {
        var (g, _) = Group(doc, section, group);
        if (g is null) throw new EditException($"Group '{group}' is not in hsm.yaml.");
        var entry = (g.Value as PMap)?.Get("selection");
        var sel = entry?.Value;
        if (sel is PSeq seq)
        {
            int i = seq.Items.FindIndex(x => ItemName(x) == option);
            if (i < 0) throw new EditException($"'{option}' is not selected in group '{group}'.", seq.Start);
            if (seq.Items.Count == 1 && !seq.Flow) return new YamlEditor(doc).EmptyBlockList(entry!);
            return new YamlEditor(doc).RemoveAt(seq, i);
        }
        if (sel is PScalar s && s.Value == option) return RemoveGroup(doc, section, group, comment);
        throw new EditException($"'{option}' is not selected in group '{group}'.", sel?.Start ?? g.Key.Start);
    }

    /// <summary>Sets group[key] (selection, mode, profile); a group with a null body gets a map.</summary>
    public static YamlText SetGroupKey(YamlText doc, string section, string group, string key, object value)
    {
        var (g, groups) = Group(doc, section, group);
        if (g is null) throw new EditException($"Group '{group}' is not in hsm.yaml.");
        var ed = new YamlEditor(doc);
        if (g.Value is PScalar { IsNull: true }) return ed.FillNull(groups!, g, new YMap { { key, value } });
        if (g.Value is not PMap body) throw new EditException($"Group '{group}' is not a map.", g.Value.Start);
        var existing = body.Get(key);
        if (existing != null && existing.Value is PSeq { Flow: false } blockSeq && value is YList list)
        {
            // Replace a block list item by item: the list keeps its style.
            var cur = doc;
            var keep = blockSeq.Items.Select(ItemName).ToList();
            foreach (var add in list.OfType<string>().Where(x => !keep.Contains(x)))
                cur = new YamlEditor(cur).Append(CurrentSeq(cur, section, group, key), add);
            foreach (var drop in keep.Where(x => x is null || !list.Contains(x)))
            {
                var current = CurrentEntry(cur, section, group, key);
                var seq = (PSeq)current.Value;
                int i = seq.Items.FindIndex(it => ItemName(it) == drop);
                if (seq.Items.Count == 1) return new YamlEditor(cur).EmptyBlockList(current);
                cur = new YamlEditor(cur).RemoveAt(seq, i);
            }
            return cur;
        }
        if (existing != null && existing.Value is PSeq { Flow: true } && value is string one) value = new YFlow(new YList { one });
        if (body.Entries.Count == 0 && !body.Flow) throw new EditException($"Group '{group}' is empty.", body.Start);
        return ed.Set(body, key, value is YList l2 ? new YFlow(l2) : value);
    }

    private static PEntry CurrentEntry(YamlText doc, string section, string group, string key) =>
        ((PMap)Group(doc, section, group).Group!.Value).Get(key)!;

    private static PSeq CurrentSeq(YamlText doc, string section, string group, string key) => (PSeq)CurrentEntry(doc, section, group, key).Value;

    // ---- modes ----

    /// <summary>Sets the mode of a standalone entry: `- x` becomes `- { name: x, mode: dev }`; a map entry gets or changes its `mode`.</summary>
    public static YamlText SetStandaloneMode(YamlText doc, string section, string name, string mode)
    {
        var (seq, _) = Standalone(doc, section);
        int i = IndexOfStandalone(doc, section, name);
        if (seq is null || i < 0) throw new EditException($"'{name}' is not a standalone entry of '{section}'.");
        var item = seq.Items[i];
        var ed = new YamlEditor(doc);
        if (item is PScalar s) return ed.Replace(s, new YFlow(new YMap { { "name", s.Value }, { "mode", mode } }));
        return ed.Set((PMap)item, "mode", mode);
    }

    /// <summary>The edits `hsm mode --all` makes: every standalone entry, every group and every `modes` key.</summary>
    public static List<Func<YamlText, YamlText>> ModeEdits(Hsm.Manifest.ProjectManifest manifest, string mode)
    {
        var edits = new List<Func<YamlText, YamlText>>();
        foreach (var e in manifest.LibraryStandalone.Concat(manifest.ServiceStandalone))
            edits.Add(t => SetStandaloneMode(t, e.Section, e.Name, mode));
        foreach (var g in manifest.LibraryGroups.Concat(manifest.ServiceGroups))
            edits.Add(t => SetGroupKey(t, g.Section, g.Name, "mode", mode));
        foreach (var k in manifest.Modes.Keys.ToList())
            edits.Add(t => SetModesKey(t, k, mode));
        return edits;
    }

    /// <summary>
    /// `hsm mode --all`: each entry's edit made against the file as read and the splices applied together (a stack
    /// of thousands of entries is one parse, not one per entry); when two would touch, one after another. The same
    /// text either way (a test compares them).
    /// </summary>
    public static YamlText SetAllModes(YamlText doc, Hsm.Manifest.ProjectManifest manifest, string mode)
    {
        var edits = ModeEdits(manifest, mode);
        return doc.WithAll(edits.Select(f => f(doc))) ?? edits.Aggregate(doc, (t, f) => f(t));
    }

    /// <summary>Sets modes[name] (creating the `modes` map at the end of the file when missing).</summary>
    public static YamlText SetModesKey(YamlText doc, string name, string mode)
    {
        var root = RootMap(doc);
        var ed = new YamlEditor(doc);
        var modes = root.Get("modes");
        if (modes is null) return ed.Insert(root, "modes", new YMap { { name, mode } });
        if (modes.Value is PScalar { IsNull: true }) return ed.FillNull(root, modes, new YMap { { name, mode } });
        if (modes.Value is not PMap mm) throw new EditException("'modes' is not a map.", modes.Value.Start);
        var existing = mm.Entries.FirstOrDefault(e => string.Equals(e.Key.Value, name, StringComparison.OrdinalIgnoreCase));
        if (existing != null) return ed.Replace(existing.Value, mode);
        if (mm.Entries.Count == 0 && !mm.Flow) throw new EditException("'modes' is empty.", mm.Start);
        return ed.Insert(mm, name, mode);
    }

    /// <summary>Removes modes[name]; the `modes` map goes when it becomes empty.</summary>
    public static YamlText RemoveModesKey(YamlText doc, string name)
    {
        var root = RootMap(doc);
        var modes = root.Get("modes")?.Value as PMap ?? throw new EditException($"'{name}' is not in 'modes'.");
        var e = modes.Entries.FirstOrDefault(x => string.Equals(x.Key.Value, name, StringComparison.OrdinalIgnoreCase)) ?? throw new EditException($"'{name}' is not in 'modes'.");
        var ed = new YamlEditor(doc);
        if (modes.Entries.Count == 1 && !modes.Flow) return ed.Remove(root, "modes");
        return ed.Remove(modes, e.Key.Value);
    }
}
