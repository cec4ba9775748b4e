using System.Text;

namespace Hsm.Cli.Editing;

/// <summary>A unified diff (3 lines of context) of two texts, line by line (LCS).</summary>
public static class UnifiedDiff
{
    public static string[] Lines(string text)
    {
        var lines = text.Split('\n');
        // A final line break does not make an extra empty line.
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    /// <summary>The edit script: (' ' | '-' | '+', line) in order.</summary>
    public static List<(char Op, string Line)> Script(string a, string b)
    {
        var x = Lines(a); var y = Lines(b);
        int pre = 0;
        while (pre < x.Length && pre < y.Length && x[pre] == y[pre]) pre++;
        int suf = 0;
        while (suf < x.Length - pre && suf < y.Length - pre && x[^(suf + 1)] == y[^(suf + 1)]) suf++;
        var xs = x[pre..^suf]; var ys = y[pre..^suf];
        var lcs = new int[xs.Length + 1, ys.Length + 1];
        for (int i = xs.Length - 1; i >= 0; i--)
            for (int j = ys.Length - 1; j >= 0; j--)
                lcs[i, j] = xs[i] == ys[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var ops = new List<(char, string)>();
        ops.AddRange(x[..pre].Select(l => (' ', l)));
        int p = 0, q = 0;
        while (p < xs.Length || q < ys.Length)
        {
            if (p < xs.Length && q < ys.Length && xs[p] == ys[q]) { ops.Add((' ', xs[p])); p++; q++; }
            // On a tie the removal comes first, as git and diff(1) print a changed line: - old, then + new.
            else if (p < xs.Length && (q == ys.Length || lcs[p + 1, q] >= lcs[p, q + 1])) ops.Add(('-', xs[p++]));
            else ops.Add(('+', ys[q++]));
        }
        ops.AddRange(x[^suf..].Select(l => (' ', l)));
        return ops;
    }

    public static string Create(string a, string b, string label, int context = 3)
    {
        var ops = Script(a, b);
        var sb = new StringBuilder();
        sb.Append("--- a/").Append(label).Append('\n').Append("+++ b/").Append(label).Append('\n');
        int n = ops.Count, k = 0;
        while (k < n)
        {
            if (ops[k].Op == ' ') { k++; continue; }
            int start = Math.Max(0, k - context);
            int end = k;
            // Extend the hunk while changes are within 2*context lines of each other.
            int last = k;
            for (int m = k; m < n; m++)
            {
                if (ops[m].Op != ' ') last = m;
                else if (m - last > 2 * context) break;
            }
            end = Math.Min(n, last + context + 1);
            int aStart = 1 + ops.Take(start).Count(o => o.Op != '+');
            int bStart = 1 + ops.Take(start).Count(o => o.Op != '-');
            var hunk = ops.Skip(start).Take(end - start).ToList();
            int aLen = hunk.Count(o => o.Op != '+'), bLen = hunk.Count(o => o.Op != '-');
            sb.Append($"@@ -{aStart},{aLen} +{bStart},{bLen} @@\n");
            foreach (var (op, line) in hunk) sb.Append(op).Append(line.TrimEnd('\r')).Append('\n');
            k = end;
        }
        return sb.ToString();
    }
}
