using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Configuration;

/// <summary>
/// Plugin keys under <c>runner-host start</c>, with an out-of-tree plugin built by the tests: keys the
/// runner type declares pass, misspellings are reported once per runner with file, line and a
/// suggestion, and a bad plugin value is one clean line in the log, without a stack trace.
/// </summary>
public sealed class PluginKeyTests
{
    private string _root = null!;
    private string _config = null!;

    [SetUp]
    public void SetUp()
    {
        _root = TestDirectories.CreateTemp("pluginkeys");
        _config = Path.Combine(_root, "runner-host.cfg");
    }

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    private string LogFile => Path.Combine(_root, "var", "logs", "runner-host.log");

    [TestCase("process")]
    [TestCase("thread")]
    public async Task Misspelt_keys_are_reported_once_per_runner_and_declared_ones_are_not(string isolation)
    {
        string plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(_root, "SettingsPlugin");
        await WriteConfigAsync(plugins, $"""
            [runner.master]
            isolation: {isolation}

            [runner.greet]
            class: GreetingRunner
            path:
            instances: 2
            greeting: hi
            x_colour: blue
            greetng: hello
            instanses: 4

            [runner.plain]
            class: UndeclaredRunner
            path:
            anything: 1
            sleep_tme: 5s
            """);
        int greetng = LineOf("greetng:"), instanses = LineOf("instanses:"), sleepTme = LineOf("sleep_tme:");

        using var master = HostProcess.Start(_root, "start", "-C", _config);
        await WaitForRunningAsync(master, slices: 3);
        string log = await File.ReadAllTextAsync(LogFile);
        master.Signal(15);
        await master.WaitForExitAsync(TimeSpan.FromSeconds(60));

        string[] expected =
        [
            $"{_config}:{greetng}: [runner.greet] greetng: unknown key, read neither by RunnerHost nor by SettingsPlugin.GreetingRunner; did you mean `greeting`?",
            $"{_config}:{instanses}: [runner.greet] instanses: unknown key, read neither by RunnerHost nor by SettingsPlugin.GreetingRunner; did you mean `instances`?",
            $"{_config}:{sleepTme}: [runner.plain] sleep_tme: not a RunnerHost key; did you mean `sleep_time`? (SettingsPlugin.UndeclaredRunner declares no [RunnerSetting] keys, so its own are not checked)",
        ];
        var warnings = log.Split('\n').Where(l => l.Contains(" WRN ", StringComparison.Ordinal) && l.Contains("RunnerHost.Configuration", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            foreach (var line in expected)
            {
                Assert.That(warnings.Count(w => w.EndsWith(line, StringComparison.Ordinal)), Is.EqualTo(1), $"once: {line}\nlog:\n{log}");
            }

            Assert.That(warnings, Has.Count.EqualTo(expected.Length), "nothing about greeting, x_colour or anything:\n" + string.Join('\n', warnings));
        });
    }

    [Test]
    public async Task A_bad_plugin_value_is_one_clean_line_in_the_log_under_start()
    {
        string plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(_root, "SettingsPlugin");
        await WriteConfigAsync(plugins, """
            [runner.greet]
            class: GreetingRunner
            path:
            repeat: many
            """);
        string expected = $"greet:0/1 runner failed: {_config}:{LineOf("repeat:")}: [runner.greet] repeat: 'many' is not an integer";

        string log = await RunMasterUntilLoggedAsync(expected);

        AssertNoStackTrace(log, expected);
    }

    [Test]
    public async Task A_bad_value_of_a_built_in_plugin_is_one_clean_line_in_the_log_under_start()
    {
        // The built-in LMTP server reads its settings on its first pass, like most servers.
        await WriteConfigAsync(pluginDirectory: null, """
            [runner.lmtp]
            class: LmtpRunner
            path:
            lmtp_host: 127.0.0.1
            lmtp_port: eighty
            """);
        string expected = $"lmtp:0/1 runner failed: {_config}:{LineOf("lmtp_port:")}: [runner.lmtp] lmtp_port: 'eighty' is not an integer";

        string log = await RunMasterUntilLoggedAsync(expected);

        AssertNoStackTrace(log, expected);
    }

    private static void AssertNoStackTrace(string log, string expected)
    {
        Assert.Multiple(() =>
        {
            Assert.That(log, Does.Contain(expected));
            Assert.That(log, Does.Not.Contain("ConfigurationValueException"), log);
            Assert.That(log.Split('\n').Where(l => l.StartsWith("   at ", StringComparison.Ordinal)), Is.Empty, log);
        });
    }

    private async Task<string> RunMasterUntilLoggedAsync(string text)
    {
        using var master = HostProcess.Start(_root, "start", "-C", _config);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(File.Exists(LogFile) && (await File.ReadAllTextAsync(LogFile)).Contains(text, StringComparison.Ordinal)))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"'{text}' was not logged; master stderr:\n{master.Stderr}");
            }

            await Task.Delay(100);
        }

        master.Signal(15);
        await master.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return await File.ReadAllTextAsync(LogFile);
    }

    private async Task WaitForRunningAsync(RunningHost master, int slices)
    {
        string statusFile = Path.Combine(_root, "var", "master.status.json");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(StatusSnapshot.TryRead(statusFile) is { } status && status.MasterPid == master.Id
            && status.Slices.Count == slices && status.Slices.All(s => s.State == SliceState.Running)))
        {
            if (DateTime.UtcNow > deadline || master.HasExited)
            {
                Assert.Fail($"not every slice ran; master stderr:\n{master.Stderr}");
            }

            await Task.Delay(100);
        }
    }

    private Task WriteConfigAsync(string? pluginDirectory, string runners) =>
        File.WriteAllTextAsync(_config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}
            {(pluginDirectory is null ? string.Empty : "plugin_dir: " + pluginDirectory)}

            [list.test]
            posting_address: test@example.com

            {runners}
            """);

    private int LineOf(string text) => Array.FindIndex(File.ReadAllLines(_config), l => l.StartsWith(text, StringComparison.Ordinal)) + 1;
}
