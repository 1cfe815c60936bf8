using System.Text.Json;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Supervision;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>
/// A plugin built without <c>EnableDynamicLoading</c> (NoDynamicLoadingPlugin: its Newtonsoft.Json is not
/// in its folder): the runner naming its class reports the plugin's load failure and the hint, in
/// <c>runner</c>, in the master's log and in <c>status</c>, not "no runner type named".
/// </summary>
[TestFixture]
public sealed class PluginLoadFailureHintTests
{
    private MasterHarness _harness = null!;

    [SetUp]
    public async Task SetUpAsync()
    {
        _harness = await MasterHarness.CreateAsync("""
            [runner.nodyn]
            class: NoDynRunner
            max_restarts: 0

            [runner.rec]
            class: RecordingRunner
            output_dir: $out
            """);
        await TestPluginBuilder.CreatePluginDirectoryAsync(_harness.Root, "NoDynamicLoadingPlugin");
    }

    [TearDown]
    public void TearDown() => _harness.Dispose();

    [Test]
    public async Task Runner_names_the_plugins_load_failure_with_the_EnableDynamicLoading_hint()
    {
        var result = await _harness.RunAsync("runner", "--runner", "nodyn", "--once");

        Assert.That(result.ExitCode, Is.EqualTo(4), result.ToString());
        var errors = result.Stderr.Split('\n').Where(l => l.StartsWith("Runner error:", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), result.Stderr);
        AssertNamesTheCause(errors[0]);
    }

    [Test]
    public async Task The_plugins_command_gives_the_same_hint()
    {
        var result = await _harness.RunAsync("plugins");

        Assert.That(result.ExitCode, Is.EqualTo(4), result.ToString());
        var line = result.Stdout.Split('\n').Single(l => l.StartsWith("    NoDynamicLoadingPlugin  FAILED: ", StringComparison.Ordinal));
        Assert.That(line, Does.Contain("missing dependency Newtonsoft.Json").And.Contain("<EnableDynamicLoading>true</EnableDynamicLoading>"));
    }

    [TestCase("process")]
    [TestCase("thread")]
    public async Task Status_and_the_master_log_name_the_plugins_load_failure(string isolation)
    {
        await File.AppendAllTextAsync(_harness.ConfigFile, $"\n[runner.master]\nisolation: {isolation}\n");
        using var master = _harness.StartMaster();
        var status = await _harness.WaitForAsync(s => s.Slices.Any(x => x.Runner == "nodyn" && x.State == SliceState.Failed), master, "nodyn failed");

        Assert.That(master.Stderr.Split('\n').Where(l => l.Contains("NoDynRunner", StringComparison.Ordinal)), Has.Some.Contains("EnableDynamicLoading"), master.Stderr);
        {
            // Both isolations: a child reports its cause on its stdout, a thread directly.
            var slice = status.Slices.Single(x => x.Runner == "nodyn");
            AssertNamesTheCause(slice.FailureReason + " " + slice.LastExit);
            var text = await _harness.RunAsync("status", "--json");
            using var json = JsonDocument.Parse(text.Stdout);
            Assert.That(json.RootElement.GetRawText(), Does.Contain("EnableDynamicLoading"));
        }

        master.Signal(15);
        Assert.That(await master.WaitForExitAsync(MasterHarness.Patience), Is.Zero, master.Stderr);
    }

    private static void AssertNamesTheCause(string error)
    {
        Assert.That(error, Does.Not.Contain("no runner type named"));
        Assert.That(error, Does.Contain("plugin 'NoDynamicLoadingPlugin'"));
        Assert.That(error, Does.Contain("missing dependency Newtonsoft.Json"));
        Assert.That(error, Does.Contain("<EnableDynamicLoading>true</EnableDynamicLoading>"));
    }
}
