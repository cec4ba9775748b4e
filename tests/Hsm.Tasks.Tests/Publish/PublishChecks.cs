using k8s;
using k8s.Models;

namespace Hsm.Tests;

/// <summary>
/// The real checks of published output, shared by the unit and end-to-end tests: every Kubernetes resource
/// deserializes strictly into the official models (NuGet KubernetesClient: an unknown or misspelt field
/// is an error), and `../shared/tools/kustomize build` accepts the base.
/// </summary>
public static class PublishChecks
{
    static readonly Dictionary<string, Type> Kinds = new(StringComparer.Ordinal)
    {
        ["Deployment"] = typeof(V1Deployment),
        ["Service"] = typeof(V1Service),
        ["ConfigMap"] = typeof(V1ConfigMap),
        ["Secret"] = typeof(V1Secret),
        ["PersistentVolumeClaim"] = typeof(V1PersistentVolumeClaim),
    };

    /// <summary>Deserializes one resource strictly into its model; throws on an unknown field, kind or apiVersion.</summary>
    public static IKubernetesObject StrictResource(string yaml)
    {
        var head = KubernetesYaml.Deserialize<KubernetesObject>(yaml, strict: false);
        if (head?.Kind is null || !Kinds.TryGetValue(head.Kind, out var type))
            throw new InvalidDataException($"unexpected kind '{head?.Kind}'");
        var expectedApi = head.Kind == "Deployment" ? "apps/v1" : "v1";
        if (head.ApiVersion != expectedApi) throw new InvalidDataException($"{head.Kind} has apiVersion '{head.ApiVersion}', not {expectedApi}");
        var method = typeof(KubernetesYaml).GetMethods()
            .Single(m => m.Name == nameof(KubernetesYaml.Deserialize) && m.IsGenericMethod && m.GetParameters() is [{ ParameterType: var p }, _] && p == typeof(string));
        try
        {
            return (IKubernetesObject)method.MakeGenericMethod(type).Invoke(null, new object[] { yaml, true })!;
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException != null)
        {
            throw e.InnerException;
        }
    }

    /// <summary>Every resource file of a published base (all but kustomization.yaml), strictly.</summary>
    public static List<IKubernetesObject> StrictFolder(string dir) =>
        Directory.GetFiles(dir, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml").Order(StringComparer.Ordinal)
            .Select(f =>
            {
                try { return StrictResource(File.ReadAllText(f)); }
                catch (Exception e) { throw new InvalidDataException($"{Path.GetFileName(f)}: {e.Message}", e); }
            }).ToList();

    /// <summary>Every document of `kustomize build` output, strictly.</summary>
    public static List<IKubernetesObject> StrictDocuments(string multiDocument) =>
        multiDocument.Split("\n---\n", StringSplitOptions.RemoveEmptyEntries).Select(StrictResource).ToList();

    /// <summary>
    /// Runs `kustomize build [--load-restrictor LoadRestrictionsNone] dir`; (true, output). Skips the test
    /// when ../shared is absent (fails it when CI=true: <see cref="SharedTools.RequireTool"/>).
    /// </summary>
    public static (bool Ok, string Output) KustomizeBuild(string dir, bool loadRestrictionsNone)
    {
        var tool = SharedTools.RequireTool("kustomize");
        var args = new List<string> { "build" };
        if (loadRestrictionsNone) args.AddRange(new[] { "--load-restrictor", "LoadRestrictionsNone" });
        args.Add(dir);
        var psi = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000)) { try { p.Kill(true); } catch { } throw new TimeoutException("kustomize timed out"); }
        return p.ExitCode == 0 ? (true, stdout.Result) : (false, stderr.Result + stdout.Result);
    }
}
