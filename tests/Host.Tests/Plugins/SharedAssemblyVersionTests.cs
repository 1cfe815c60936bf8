using System.Diagnostics;
using System.Reflection;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>
/// The versions a plugin was compiled against, for every assembly it shares with the host: the
/// contract (whose assembly version must follow <c>Version</c>) and MimeKit, checked by the real
/// executable on plugins built by the tests.
/// </summary>
[TestFixture]
public sealed class SharedAssemblyVersionTests
{
    private string _root = null!;
    private string _config = null!;
    private string _plugins = null!;

    [OneTimeSetUp]
    public async Task SetUpAsync()
    {
        _root = TestDirectories.CreateTemp("shared-versions");
        _plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(_root, "EchoPlugin", "FutureMimeKitPlugin");
        TestPluginBuilder.CopyOver(
            await TestPluginBuilder.VariantDirectoryAsync(TestPluginBuilder.FutureMinorAbstractionsPlugin),
            Path.Combine(_plugins, "FutureAbstractionsPlugin"));
        _config = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(_config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}
            plugin_dir: {_plugins}

            [runner.future]
            class: FutureMimeKitRunner
            """);
    }

    [OneTimeTearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public async Task The_contract_built_with_only_Version_set_carries_it_in_its_assembly_and_file_versions()
    {
        string contract = await TestPluginBuilder.FutureMinorContractAsync();
        using (Assert.EnterMultipleScope())
        {
            var version = TestPluginBuilder.FutureMinorVersion;
            Assert.That(AssemblyName.GetAssemblyName(contract).Version, Is.EqualTo(new Version(version.Major, version.Minor, 0, 0)), "AssemblyVersion is Major.Minor.0.0");
            Assert.That(FileVersionInfo.GetVersionInfo(contract).FileVersion, Is.EqualTo($"{version}.0"), "FileVersion carries Major.Minor.Patch");
        }
    }

    [Test]
    public async Task A_plugin_built_against_a_newer_minor_of_the_contract_package_is_refused()
    {
        var result = await HostProcess.RunAsync(_root, null, "plugins", "-C", _config);

        Assert.That(result.ExitCode, Is.EqualTo(4), result.ToString());
        string host = typeof(Runner).Assembly.GetName().Version!.ToString();
        Assert.That(
            result.Stdout.Split('\n'),
            Does.Contain($"    FutureAbstractionsPlugin  FAILED: plugin 'FutureAbstractionsPlugin' ({Path.Combine(_plugins, "FutureAbstractionsPlugin")}): built against RunnerHost.Abstractions {TestPluginBuilder.FutureMinorVersion.Major}.{TestPluginBuilder.FutureMinorVersion.Minor}.0.0, newer than the host's {host}: the plugin may use members the host lacks"));
        Assert.That(result.Stdout.Split('\n'), Does.Contain("    EchoPlugin 1.2.3"), "the other plugins load");
    }

    [Test]
    public async Task A_plugin_built_against_a_newer_MimeKit_is_refused_in_one_line_naming_both_versions()
    {
        string host = typeof(MimeKit.MimeMessage).Assembly.GetName().Version!.ToString();
        string expected = $"plugin 'FutureMimeKitPlugin' ({Path.Combine(_plugins, "FutureMimeKitPlugin")}): built against MimeKit 99.0.0.0, newer than the host's {host}";

        var list = await HostProcess.RunAsync(_root, null, "plugins", "-C", _config);
        var runner = await HostProcess.RunAsync(_root, null, "runner", "-C", _config, "--runner", "future", "--once");

        Assert.That(list.ExitCode, Is.EqualTo(4), list.ToString());
        Assert.That(list.Stdout.Split('\n'), Has.One.StartsWith($"    FutureMimeKitPlugin  FAILED: {expected}"), list.ToString());
        Assert.That(runner.ExitCode, Is.EqualTo(4), runner.ToString());
        var errors = runner.Stderr.Split('\n').Where(l => l.StartsWith("Runner error:", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), runner.Stderr);
        Assert.That(errors[0], Does.Contain(expected));
    }
}
