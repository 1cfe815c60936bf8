using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>
/// <c>runner-host plugins install PATH</c> and <c>plugins remove NAME</c> as an operator runs them: a build
/// is validated before anything changes, swapped in for the deployed version in one step, and a refused
/// build leaves the plugin directory exactly as it was, with one line saying why.
/// </summary>
public sealed class PluginInstallTests
{
    private string _root = null!;
    private string _builds = null!;
    private string _plugins = null!;
    private string _config = null!;

    [SetUp]
    public async Task SetUp()
    {
        _root = TestDirectories.CreateTemp("plugin-install");
        _builds = await TestPluginBuilder.CreatePluginDirectoryAsync(Path.Combine(_root, "builds"), "EchoPlugin", "FutureAbstractionsPlugin", "FutureMimeKitPlugin", "NotARunnerPlugin");
        _plugins = Path.Combine(_root, "plugins");
        _config = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(_config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}
            plugin_dir: {_plugins}

            [runner.echo]
            class: EchoPlugin:EchoRunner
            start: no
            """);
    }

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public async Task A_build_is_installed_then_replaced_by_its_next_version_and_removed()
    {
        var first = await RunAsync("plugins", "install", Path.Combine(_builds, "EchoPlugin"));
        Assert.That(first.ExitCode, Is.Zero, first.ToString());
        Assert.That(first.Stdout, Does.StartWith("Installed plugin EchoPlugin 1.2.3 ").And.Contain("(new)").And.Contain("runners affected: echo"));
        Assert.That(File.Exists(Path.Combine(_plugins, "EchoPlugin", "EchoPlugin.dll")), Is.True);

        var second = await RunAsync("plugins", "install", await TestPluginBuilder.VariantDirectoryAsync(TestPluginBuilder.EchoPluginVersion2));
        Assert.That(second.ExitCode, Is.Zero, second.ToString());
        Assert.That(second.Stdout, Does.StartWith("Installed plugin EchoPlugin 2.0.0").And.Contain("(replacing 1.2.3)"));
        var listed = await RunAsync("plugins", "list");
        Assert.That(listed.Stdout, Does.Contain("EchoPlugin 2.0.0").And.Not.Contain(".previous"), "the replaced version is kept hidden, never loaded as a plugin");
        Assert.That(Directory.GetDirectories(_plugins).Select(Path.GetFileName), Is.EquivalentTo(new[] { "EchoPlugin", ".previous-EchoPlugin" }), "no staging left behind");

        // Rolling back is installing the kept previous version.
        var rolledBack = await RunAsync("plugins", "install", Path.Combine(_plugins, ".previous-EchoPlugin"));
        Assert.That(rolledBack.Stdout, Does.StartWith("Installed plugin EchoPlugin 1.2.3").And.Contain("(replacing 2.0.0)"), rolledBack.ToString());

        var removed = await RunAsync("plugins", "remove", "EchoPlugin");
        Assert.That(removed.ExitCode, Is.Zero, removed.ToString());
        Assert.That(Directory.Exists(Path.Combine(_plugins, "EchoPlugin")), Is.False);
        Assert.That((await RunAsync("plugins", "remove", "EchoPlugin")).ExitCode, Is.EqualTo(2), "no such plugin any more");
    }

    [TestCase("FutureAbstractionsPlugin", "the major version must match")]
    [TestCase("FutureMimeKitPlugin", "MimeKit")]
    [TestCase("NotARunnerPlugin", "no runner types")]
    public async Task A_build_the_host_cannot_run_is_refused_and_nothing_changes(string plugin, string reason)
    {
        Assert.That((await RunAsync("plugins", "install", Path.Combine(_builds, "EchoPlugin"))).ExitCode, Is.Zero);
        string before = Listing(_plugins);

        var refused = await RunAsync("plugins", "install", Path.Combine(_builds, plugin));

        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.ToString());
        Assert.That(refused.Stderr.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1).And.Some.StartsWith("Error: not installed: ").And.Some.Contain(reason));
        Assert.That(Listing(_plugins), Is.EqualTo(before), "the deployed plugins are untouched");
    }

    [Test]
    public async Task A_corrupt_assembly_is_refused_and_the_deployed_version_stays()
    {
        Assert.That((await RunAsync("plugins", "install", Path.Combine(_builds, "EchoPlugin"))).ExitCode, Is.Zero);
        string before = Listing(_plugins);
        string corrupt = Path.Combine(_root, "corrupt", "EchoPlugin");
        TestPluginBuilder.CopyOver(Path.Combine(_builds, "EchoPlugin"), corrupt);
        await File.WriteAllBytesAsync(Path.Combine(corrupt, "EchoPlugin.dll"), "MZ this is no assembly"u8.ToArray());

        var refused = await RunAsync("plugins", "install", corrupt);

        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.ToString());
        Assert.That(refused.Stderr, Does.StartWith("Error: not installed: "));
        Assert.That(Listing(_plugins), Is.EqualTo(before));
        Assert.That((await RunAsync("plugins", "list")).Stdout, Does.Contain("EchoPlugin 1.2.3"));
    }

    // Every file under the plugin directory with its size and time: what must not change.
    private static string Listing(string directory) => string.Join(
        "\n",
        Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => $"{Path.GetRelativePath(directory, f)} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}"));

    private Task<ProcessResult> RunAsync(params string[] arguments) =>
        HostProcess.RunAsync(_root, null, [arguments[0], "-C", _config, .. arguments[1..]]);
}
