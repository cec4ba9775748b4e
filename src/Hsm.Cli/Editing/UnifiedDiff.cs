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

    /// <summary>Differences beyond this many lines are printed as one block (all of the old, then all of the new):
    /// Myers' search costs time (n+m)·d and memory d², so a rewritten 1 MiB file stays fast and small.</summary>
    public const int MaxDifferences = 2000;

    /// <summary>The edit script: (' ' | '-' | '+', line) in order; in each changed block the removals come first,
    /// as git and diff(1) print a changed line (- old, then + new).</summary>
    public static List<(char Op, string Line)> Script(string a, string b)
    {
        var x = Lines(a); var y = Lines(b);
        int pre = 0;
        while (pre < x.Length && pre < y.Length && x[pre] == y[pre]) pre++;
        int suf = 0;
        while (suf < x.Length - pre && suf < y.Length - pre && x[^(suf + 1)] == y[^(suf + 1)]) suf++;
        var ops = new List<(char, string)>(x.Length + y.Length);
        ops.AddRange(x[..pre].Select(l => (' ', l)));
        // Removals before additions within each changed block: additions wait until the block ends.
        var added = new List<(char, string)>();
        foreach (var op in Middle(x[pre..^suf], y[pre..^suf]))
        {
            if (op.Item1 == '+') { added.Add(op); continue; }
            if (op.Item1 == ' ') { ops.AddRange(added); added.Clear(); }
            ops.Add(op);
        }
        ops.AddRange(added);
        ops.AddRange(x[^suf..].Select(l => (' ', l)));
        return ops;
    }

    /// <summary>A shortest edit script of a and b (Myers' greedy search, one band of V per step), or, past
    /// <see cref="MaxDifferences"/>, all of a removed and all of b added.</summary>
    static IEnumerable<(char, string)> Middle(string[] a, string[] b)
    {
        int n = a.Length, m = b.Length;
        var trace = new List<int[]>();
        var v = new int[] { 0, 0, 0 }; // V for d = -1 as a band around k = 0: v[k + d + 1]
        int found = -1;
        for (int d = 0; d <= Math.Min(n + m, MaxDifferences) && found < 0; d++)
        {
            var next = new int[2 * d + 3]; // k = -d-1 .. d+1, offset d + 1
            for (int k = -d; k <= d; k += 2)
            {
                int Prev(int kk) => kk < -(d - 1) || kk > d - 1 ? -1 : v[kk + d]; // the last band: offset (d - 1) + 1
                int down = Prev(k + 1), right = Prev(k - 1);
                int xk = k == -d || (k != d && right < down) ? down : right + 1;
                if (d == 0) xk = 0;
                int yk = xk - k;
                while (xk < n && yk < m && a[xk] == b[yk]) { xk++; yk++; }
                next[k + d + 1] = xk;
                if (xk >= n && yk >= m) { found = d; break; }
            }
            trace.Add(next);
            v = next;
        }
        if (found < 0) return a.Select(l => ('-', l)).Concat(b.Select(l => ('+', l)));

        // Walk back from (n, m) through the bands.
        var ops = new List<(char, string)>();
        int px = n, py = m;
        for (int d = found; d > 0; d--)
        {
            var band = trace[d - 1]; // V after step d - 1: k = -(d-1) .. d-1, offset d
            int k = px - py;
            int X(int kk) => kk < -(d - 1) || kk > d - 1 ? -1 : band[kk + d];
            bool down = k == -d || (k != d && X(k - 1) < X(k + 1));
            int pk = down ? k + 1 : k - 1;
            int sx = X(pk), sy = sx - pk;
            int mx = down ? sx : sx + 1, my = mx - k; // after the one edit, before the snake
            while (px > mx && py > my) { px--; py--; ops.Add((' ', a[px])); }
            if (down) ops.Add(('+', b[sy])); else ops.Add(('-', a[sx]));
            px = sx; py = sy;
        }
        while (px > 0 && py > 0) { px--; py--; ops.Add((' ', a[px])); }
        ops.Reverse();
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
