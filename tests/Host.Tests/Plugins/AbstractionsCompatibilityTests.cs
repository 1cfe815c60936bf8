using System.Reflection;
using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Tests.Plugins;

[TestFixture]
public sealed class AbstractionsCompatibilityTests
{
    private static readonly Version _host = new(1, 2, 0, 0);

    [TestCase("1.0.0.0")]
    [TestCase("1.2.0.0")]
    [TestCase("1.2.7.3")]
    public void Same_major_and_no_newer_minor_is_accepted(string referenced) =>
        Assert.That(AbstractionsCompatibility.Check([Reference(referenced)], _host), Is.Null);

    [Test]
    public void A_newer_minor_is_refused() =>
        Assert.That(
            AbstractionsCompatibility.Check([Reference("1.3.0.0")], _host),
            Is.EqualTo("built against RunnerHost.Abstractions 1.3.0.0, newer than the host's 1.2.0.0: the plugin may use members the host lacks"));

    [TestCase("0.9.0.0")]
    [TestCase("2.0.0.0")]
    public void Another_major_is_refused(string referenced) =>
        Assert.That(AbstractionsCompatibility.Check([Reference(referenced)], _host), Does.EndWith("the major version must match"));

    [Test]
    public void A_plugin_without_a_contract_reference_is_not_judged() =>
        Assert.That(AbstractionsCompatibility.Check([new AssemblyName("System.Runtime, Version=10.0.0.0")], _host), Is.Null);

    private static AssemblyName Reference(string version) => new($"RunnerHost.Abstractions, Version={version}");
}
