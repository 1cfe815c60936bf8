using System.Diagnostics;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Bench;

/// <summary>
/// <c>runner-host-bench switchboard --backend jetstream</c> (bench/Tool) as a real process: every message makes the
/// round trip through the JetStream back end, the result names the back end and its replicas, and the
/// run leaves neither streams on a shared server nor throw-away servers behind. No timing is asserted.
/// </summary>
public sealed class BenchJetStreamTests
{
    [Test]
    public async Task Against_given_servers_every_message_makes_the_round_trip_and_no_stream_is_left()
    {
        var server = SharedNatsServer.Get();
        string cwd = TestDirectories.CreateTemp("bench-js");
        try
        {
            var result = await HostProcess.RunDllAsync(HostProcess.BenchToolDll, cwd, null, "switchboard", "--backend", "jetstream", "--servers", server.Url, "-n", "200", "--producers", "8", "--json");

            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            using var json = JsonDocument.Parse(result.Stdout);
            var root = json.RootElement;
            Assert.Multiple(() =>
            {
                Assert.That(root.GetProperty("scenario").GetString(), Is.EqualTo("switchboard"));
                Assert.That(root.GetProperty("backend").GetString(), Is.EqualTo("jetstream"));
                Assert.That(root.GetProperty("messages").GetInt32(), Is.EqualTo(200));
                Assert.That(root.GetProperty("producers").GetInt32(), Is.EqualTo(8));
                Assert.That(root.GetProperty("replicas").GetInt32(), Is.EqualTo(1));
                Assert.That(root.GetProperty("servers").GetString(), Is.EqualTo(server.Url));
                Assert.That(root.GetProperty("msgs_per_s").GetDouble(), Is.GreaterThan(0));
                Assert.That(root.TryGetProperty("fsync", out _), Is.False, "fsync is a file back end figure");
            });
            Assert.That(await BenchStreamsAsync(server.Url), Is.Empty, "the run deletes its streams and buckets");
        }
        finally
        {
            TestDirectories.DeleteQuietly(cwd);
        }
    }

    [Test]
    public async Task Without_servers_it_starts_a_throw_away_server_and_stops_it()
    {
        string temp = TestDirectories.CreateTemp("bench-js-tmp");
        try
        {
            var (exitCode, stdout, stderr) = await RunWithTempAsync(temp, "switchboard", "--backend", "jetstream", "-n", "100", "--json");

            Assert.That(exitCode, Is.Zero, $"stdout:\n{stdout}\nstderr:\n{stderr}");
            using var json = JsonDocument.Parse(stdout);
            Assert.Multiple(() =>
            {
                Assert.That(json.RootElement.GetProperty("backend").GetString(), Is.EqualTo("jetstream"));
                Assert.That(json.RootElement.GetProperty("messages").GetInt32(), Is.EqualTo(100));
                Assert.That(json.RootElement.GetProperty("servers").GetString(), Is.EqualTo("throw-away single node"));
            });
            Assert.That(ProcessesMentioning(temp), Is.Empty, "no nats-server with its store under the run's temp directory is left running");
            Assert.That(Directory.GetFileSystemEntries(temp), Is.Empty, "the var directory and the server's store are deleted");
        }
        finally
        {
            TestDirectories.DeleteQuietly(temp);
        }
    }

    [TestCase("--backend", "jetstream", "--no-fsync")]
    [TestCase("--backend", "file", "--replicas", "3")]
    [TestCase("--backend", "jetstream", "--replicas", "2")]
    [TestCase("--backend", "jetstream", "--servers", "http://127.0.0.1:4222")]
    public async Task A_combination_that_means_nothing_is_a_usage_error(params string[] options)
    {
        string cwd = TestDirectories.CreateTemp("bench-js");
        try
        {
            var result = await HostProcess.RunDllAsync(HostProcess.BenchToolDll, cwd, null, ["switchboard", "-n", "1", .. options]);

            Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
            Assert.That(result.Stderr, Does.StartWith("Error: "), result.ToString());
        }
        finally
        {
            TestDirectories.DeleteQuietly(cwd);
        }
    }

    private static async Task<List<string>> BenchStreamsAsync(string url)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = url });
        var names = new List<string>();
        await foreach (string name in new NatsJSContext(connection).ListStreamNamesAsync())
        {
            if (name.StartsWith("rhbench", StringComparison.Ordinal) || name.StartsWith("KV_rhbench", StringComparison.Ordinal))
            {
                names.Add(name);
            }
        }

        return names;
    }

    // Runs the bench tool with TMPDIR pointing at a directory of the test's own, where the bench puts its var
    // directory and the throw-away server's store.
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunWithTempAsync(string temp, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = temp };
        start.ArgumentList.Add(HostProcess.BenchToolDll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["TMPDIR"] = temp;
        start.Environment.Remove("RUNNER_HOST_CONFIG");
        start.Environment.Remove("RUNNER_HOST_VAR_DIR");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start runner-host-bench");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"runner-host-bench {string.Join(' ', arguments)} did not exit within 90 s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static List<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (string directory in Directory.GetDirectories("/proc"))
        {
            try
            {
                string commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(text, StringComparison.Ordinal))
                {
                    found.Add($"{Path.GetFileName(directory)}: {commandLine}");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not a process, or it exited meanwhile.
            }
        }

        return found;
    }
}
