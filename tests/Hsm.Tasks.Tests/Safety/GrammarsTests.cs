using Hsm.Registry;
using Xunit;

namespace Hsm.Tests.Safety;

/// <summary>The load-time grammars accept what uv and Docker accept (no false alarms) and reject the rest.</summary>
public sealed class GrammarsTests
{
    [Theory]
    [InlineData("python_version >= \"3.10\"")]
    [InlineData("python_version >= '3.10' and (sys_platform == 'linux' or platform_machine == 'x86_64')")]
    [InlineData("extra == \"test\"")]
    [InlineData("\"linux\" in sys_platform")]
    [InlineData("platform_machine not in 'arm64 aarch64'")]
    [InlineData("implementation_name == 'cpython' and python_full_version ~= '3.12.1'")]
    public void Valid_markers_pass(string marker) => Assert.Null(Grammars.CheckMarker(marker));

    [Theory]
    [InlineData("python_version >= 3.10")]
    [InlineData("os == 'linux'")]
    [InlineData("sys_platform == 'linux' and")]
    [InlineData("(sys_platform == 'linux'")]
    [InlineData("sys_platform = 'linux'")]
    [InlineData("sys_platform == 'linux'\"]\n[tool.uv]")]
    [InlineData("")]
    public void Invalid_markers_are_rejected(string marker) => Assert.NotNull(Grammars.CheckMarker(marker));

    [Theory]
    [InlineData("httpx")]
    [InlineData("httpx>=0.27")]
    [InlineData("httpx[http2]>=0.27,<1; python_version >= '3.10'")]
    [InlineData("my_pkg (>=1.0)")]
    [InlineData("pkg @ https://example.com/pkg-1.0.tar.gz ; sys_platform == 'linux'")]
    [InlineData("pkg @ git+https://github.com/org/pkg@v1")]
    public void Valid_requirements_pass(string requirement) => Assert.Null(Grammars.CheckRequirement(requirement));

    [Theory]
    [InlineData("-e ./pkg")]
    [InlineData("pkg >= = 2")]
    [InlineData("pkg[a b]")]
    [InlineData("pkg @ not a url")]
    [InlineData("pkg; os == 'x'")]
    public void Invalid_requirements_are_rejected(string requirement) => Assert.NotNull(Grammars.CheckRequirement(requirement));

    [Theory]
    [InlineData("redis")]
    [InlineData("redis:7-alpine")]
    [InlineData("qdrant/qdrant:v1.12.0")]
    [InlineData("docker.io/library/redis:7")]
    [InlineData("localhost:5000/team/app:latest")]
    [InlineData("ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("registry.example.com:443/a/b/c:1.0_rc-1")]
    [InlineData("Registry.Example.com/app:1")]
    [InlineData("${REGISTRY}/app:${TAG}")]
    public void Valid_images_pass(string image) => Assert.Null(Grammars.CheckImage(image));

    [Theory]
    [InlineData("Redis:7")]
    [InlineData("redis:7 --privileged")]
    [InlineData("redis:-7")]
    [InlineData("qdrant/qdrant@sha256:abc")]
    [InlineData("org//app")]
    [InlineData("app_:1")]
    [InlineData("")]
    public void Invalid_images_are_rejected(string image) => Assert.NotNull(Grammars.CheckImage(image));

    [Theory]
    [InlineData("ab", true)]
    [InlineData("my-app_redis.1", true)]
    [InlineData("a", false)]
    [InlineData("../x", false)]
    [InlineData("-x", false)]
    [InlineData("x y", false)]
    public void Container_names(string name, bool valid) => Assert.Equal(valid, Grammars.CheckContainerName(name) is null);

    [Theory]
    [InlineData("cache", true)]
    [InlineData("cache.internal", true)]
    [InlineData("c", true)]
    [InlineData("-cache", false)]
    [InlineData("cache.", false)]
    [InlineData("a..b", false)]
    [InlineData("cache db", false)]
    public void Network_aliases(string alias, bool valid) => Assert.Equal(valid, Grammars.CheckNetworkAlias(alias) is null);

    [Theory]
    [InlineData("API_TOKEN", true)]
    [InlineData("_x.y-z", true)]
    [InlineData("1X", false)]
    [InlineData("A=B", false)]
    [InlineData("A B", false)]
    [InlineData("", false)]
    public void Env_keys(string key, bool valid) => Assert.Equal(valid, Grammars.CheckEnvKey(key) is null);
}
