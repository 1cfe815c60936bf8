using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Supervision;

/// <summary>A configuration in a temporary directory with the SupervisionPlugin deployed, and helpers to run the real master against it.</summary>
internal sealed class MasterHarness : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private MasterHarness(string root)
    {
        Root = root;
        ConfigFile = Path.Combine(root, "runner-host.cfg");
        Paths = new MasterPaths(
            Path.Combine(root, "var", "locks", "master.lck"),
            Path.Combine(root, "var", "master.pid"),
            Path.Combine(root, "var", "master.status.json"),
            Path.Combine(root, "var", "logs", "master.log"));
    }

    public string Root { get; }

    public string ConfigFile { get; }

    public MasterPaths Paths { get; }

    public string OutputDir => Path.Combine(Root, "out");

    public string QueueDir(string queue) => Path.Combine(Root, "var", "queue", queue);

    /// <summary>Writes a configuration whose runners are <paramref name="runners"/>; <c>$out</c> is the output directory.</summary>
    public static async Task<MasterHarness> CreateAsync(string runners)
    {
        var harness = new MasterHarness(TestDirectories.CreateTemp("master"));
        string plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(harness.Root, "SupervisionPlugin");
        await File.WriteAllTextAsync(harness.ConfigFile, $"""
            [paths]
            var_dir: {Path.Combine(harness.Root, "var")}
            plugin_dir: {plugins}

            [list.test]
            posting_address: test@example.com

            {runners.Replace("$out", harness.OutputDir, StringComparison.Ordinal)}
            """);
        return harness;
    }

    public RunningHost StartMaster(params string[] extra) => HostProcess.Start(Root, ["start", "-C", ConfigFile, .. extra]);

    public Task<ProcessResult> RunAsync(params string[] arguments) => HostProcess.RunAsync(Root, null, [.. arguments, "-C", ConfigFile]);

    public StatusSnapshot? Status => StatusSnapshot.TryRead(Paths.StatusFile);

    /// <summary>Polls the status file until <paramref name="condition"/> holds (bounded by <see cref="Patience"/>).</summary>
    public async Task<StatusSnapshot> WaitForAsync(Func<StatusSnapshot, bool> condition, RunningHost master, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            // Only this master's status: a killed master leaves its last one behind.
            if (Status is { } status && status.MasterPid == master.Id && condition(status))
            {
                return status;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"timed out waiting for {what}; status: {Status?.ToJson()}\nmaster stderr:\n{master.Stderr}");
        throw new InvalidOperationException("unreachable");
    }

    public Task<StatusSnapshot> WaitForAllRunningAsync(RunningHost master, int slices) =>
        WaitForAsync(s => s.Slices.Count == slices && s.Slices.All(x => x.State == SliceState.Running), master, $"{slices} running slices");

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Enqueues messages with Message-IDs <c>m{i}@test</c> directly through a switchboard (much faster than one inject process each).</summary>
    public async Task EnqueueAsync(string queue, int count, string subject = "hello", int first = 0)
    {
        var configuration = ConfigurationStack.Load(ConfigFile).Build();
        using var services = new HostServices(configuration, NullLoggerFactory.Instance);
        for (int i = first; i < first + count; i++)
        {
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("anne@example.com"));
            message.To.Add(MailboxAddress.Parse("test@example.com"));
            message.Subject = subject;
            message.MessageId = $"m{i}@test";
            message.Body = new TextPart("plain") { Text = "Hi.\n" };
            await services.Queues[queue].EnqueueAsync(message, new MessageData { ListId = "test.example.com" });
        }
    }

    /// <summary>Every Message-ID the recording runners wrote, with repeats.</summary>
    public List<string> Recorded() => !Directory.Exists(OutputDir)
        ? []
        : [.. Directory.GetFiles(OutputDir).SelectMany(File.ReadAllLines).Where(l => l.Length > 0)];

    public void Dispose() => TestDirectories.DeleteQuietly(Root);
}
