using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Supervision;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>One plugin folder with a corrupt <c>.deps.json</c> next to a good plugin: only that plugin fails, in one line, for every command.</summary>
[TestFixture]
public sealed class CorruptDepsFileTests
{
    private MasterHarness _harness = null!;
    private string _echo = null!;

    [SetUp]
    public async Task SetUpAsync()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.rec]
            class: RecordingRunner
            output_dir: $out
            sleep_time: 0.2s
            """);
        string plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(_harness.Root, "EchoPlugin");
        _echo = Path.Combine(plugins, "EchoPlugin");
        await File.WriteAllTextAsync(Path.Combine(_echo, "EchoPlugin.deps.json"), "{ \"runtimeTarget\": { \"name\": ");
    }

    [TearDown]
    public void TearDown() => _harness.Dispose();

    [Test]
    public async Task Plugins_lists_only_that_plugin_as_failed_in_one_line()
    {
        var result = await _harness.RunAsync("plugins");

        Assert.That(result.ExitCode, Is.EqualTo(4), result.ToString());
        var lines = result.Stdout.Split('\n');
        Assert.That(lines, Has.One.StartsWith($"    EchoPlugin  FAILED: plugin 'EchoPlugin' ({_echo}): ").And.Contains("EchoPlugin.deps.json"), result.ToString());
        Assert.That(lines, Does.Contain("        runner SupervisionPlugin.RecordingRunner"), "the other plugin loads");
        Assert.That(result.Stderr, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public async Task A_runner_of_another_plugin_runs()
    {
        await _harness.EnqueueAsync("rec", 2);

        var result = await _harness.RunAsync("runner", "--runner", "rec", "--once");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(_harness.Recorded(), Is.EquivalentTo(new[] { "m0@test", "m1@test" }));
        // A runner loads only the plugins that may define its class: the broken one is not even read (`plugins` reports it).
        Assert.That(result.Stderr, Does.Not.Contain("plugin 'EchoPlugin'"), result.Stderr);
        Assert.That(result.Stderr, Does.Contain("Loaded 1 of the 1 plugins of 2 in ").And.Contains("that may define RecordingRunner"), result.Stderr);
    }

    [TestCase("process")]
    [TestCase("thread")]
    public async Task The_master_runs_the_runners_of_the_other_plugins(string isolation)
    {
        await File.AppendAllTextAsync(_harness.ConfigFile, $"\nisolation: {isolation}\n");
        using var master = _harness.StartMaster();
        await _harness.WaitForAllRunningAsync(master, 1);
        await _harness.EnqueueAsync("rec", 1);
        await MasterHarness.WaitUntilAsync(() => _harness.Recorded().Count == 1, "the message recorded");

        var status = await _harness.RunAsync("status");
        Assert.That(status.ExitCode, Is.EqualTo(1), status.ToString());
        master.Signal(15);
        Assert.That(await master.WaitForExitAsync(MasterHarness.Patience), Is.Zero, master.Stderr);
        Assert.That(master.Stderr, Does.Not.Contain("plugin 'EchoPlugin'"), "the runner's process loads only the plugin of its class");
        Assert.That(master.Stderr, Does.Not.Contain("   at "), "no stack trace");
    }
}
