using Hsm.Diagnostics;
using Hsm.Lock;
using Xunit;

namespace Hsm.Tasks.Tests.Benchmarks;

/// <summary>Sizes that grow with the stack must not hit the limits meant for hand-written YAML.</summary>
public sealed class LargeStackTests
{
    [Fact]
    public void An_hsm_lock_over_one_MiB_is_read_back()
    {
        var l = new HsmLock();
        for (int i = 0; i < 6000; i++)
            l.Stack.Add(new HsmLock.StackEntry { Kind = "service", Name = $"svc-{i:D5}", Mode = "prod", Source = "docker-image", Profile = "default", Origin = { "implies from library lib-" + i, "services.groups.sgrp-0001.selection" } });
        var path = Path.Combine(Path.GetTempPath(), "hsm-large-" + Guid.NewGuid().ToString("N")[..8] + ".lock");
        try
        {
            File.WriteAllText(path, l.Write());
            Assert.True(new FileInfo(path).Length > 1024 * 1024);
            var d = new DiagnosticBag();
            var back = HsmLock.Read(path, "hsm.lock", d);
            Assert.Empty(d.Items);
            Assert.Equal(6000, back.Stack.Count);
            Assert.Equal("svc-05999", back.Stack[^1].Name);
        }
        finally { File.Delete(path); }
    }
}
