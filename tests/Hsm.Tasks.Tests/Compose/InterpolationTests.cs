using Hsm.Registry;
using Xunit;

namespace Hsm.Tests.Compose;

/// <summary>Compose's interpolation as if no variable were set: what the risky-setting check reads a host path as.</summary>
public class InterpolationTests
{
    [Theory]
    [InlineData("/data", "/data")]
    [InlineData("${X}/etc", "/etc")]
    [InlineData("$X/etc", "/etc")]
    [InlineData("${X:-/}", "/")]
    [InlineData("${X-/srv}", "/srv")]
    [InlineData("${X:+/nope}/a", "/a")]
    [InlineData("${X:?must be set}/b", "/b")]
    [InlineData("${A:-${B:-/var/run}}/docker.sock", "/var/run/docker.sock")]
    [InlineData("$${HOME}", "${HOME}")]
    [InlineData("$$X", "$X")]
    [InlineData("a$-b$", "a$-b$")]
    [InlineData("${HOME}/.ssh", "~/.ssh")]
    [InlineData("$HOME", "~")]
    [InlineData("${HOME:+/x}", "/x")]
    [InlineData("${unclosed", "${unclosed")]
    public void Reads_a_value_as_Compose_does_with_only_HOME_set(string value, string expected) =>
        Assert.Equal(expected, Interpolation.AsIfUnset(value, new Dictionary<string, string> { ["HOME"] = "~" }));
}
