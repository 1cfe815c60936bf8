using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.JetStream;

/// <summary>
/// One installation of runner-host on the JetStream back end, in a temporary directory: its own var_dir
/// and host_name, a <c>[queues]</c> section shared with any other installation given the same servers
/// and prefix, and the built-in plugins deployed next to the host (the archive runner writes one Maildir
/// file per message, which is how the tests count what was processed). The master is the real
/// <c>runner-host start</c>; the test process enqueues and inspects through a back end of its own.
/// </summary>
internal sealed class JetStreamInstallation : IDisposable
{
    /// <summary>Short, so that a dead holder's entry and slices come back within a test.</summary>
    public static readonly TimeSpan AckWait = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan SliceLease = TimeSpan.FromSeconds(3);

    /// <summary>The generous bound of every wait: a soak on two loaded cores, never a speed check.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    /// <summary>The list every message is posted to.</summary>
    public const string ListId = "test.example.com";

    private HostServices? _services;

    private JetStreamInstallation(string root, string hostName)
    {
        Root = root;
        HostName = hostName;
        ConfigFile = Path.Combine(root, "runner-host.cfg");
    }

    public string Root { get; }

    public string HostName { get; }

    public string ConfigFile { get; }

    public string VarDir => Path.Combine(Root, "var");

    /// <summary>Where this installation's archive runner writes its Maildir.</summary>
    public string Maildir => Path.Combine(Root, "archive");

    public string StatusFile => Path.Combine(VarDir, "master.status.json");

    /// <summary>The back end as this test process sees it (to enqueue and to inspect), made on first use.</summary>
    public HostServices Services => _services ??= new HostServices(ConfigurationStack.Load(ConfigFile).Build(), NullLoggerFactory.Instance);

    /// <summary>A stream prefix no other test uses.</summary>
    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The archive runner over its own queue, <c>archive</c>, with <paramref name="instances"/> slices.</summary>
    public static string ArchiveRunner(int instances) => string.Create(CultureInfo.InvariantCulture, $"""
        [runner.archive]
        class: MaildirArchiveRunner
        maildir: $maildir
        instances: {instances}
        restart_backoff: 0.2s
        stop_timeout: 5s
        """);

    /// <summary>
    /// Writes the configuration: <paramref name="runners"/> (where <c>$maildir</c> is <see cref="Maildir"/>)
    /// on the JetStream back end at <paramref name="servers"/>.
    /// </summary>
    public static JetStreamInstallation Create(string hostName, IEnumerable<NatsServer> servers, int replicas, string prefix, string runners)
    {
        var installation = new JetStreamInstallation(TestDirectories.CreateTemp("js-" + hostName), hostName);
        File.WriteAllText(installation.ConfigFile, string.Create(CultureInfo.InvariantCulture, $"""
            [paths]
            var_dir: {installation.VarDir}

            [queues]
            backend: jetstream
            servers: {string.Join(",", servers.Select(s => s.Url))}
            replicas: {replicas}
            prefix: {prefix}
            host_name: {hostName}
            ack_wait: {AckWait.TotalSeconds}s
            slice_lease: {SliceLease.TotalSeconds}s

            [list.test]
            posting_address: test@example.com

            {runners.Replace("$maildir", installation.Maildir, StringComparison.Ordinal)}
            """));
        return installation;
    }

    public RunningHost StartMaster() => HostProcess.Start(Root, "start", "-C", ConfigFile);

    public Task<ProcessResult> RunAsync(params string[] arguments) => HostProcess.RunAsync(Root, null, [.. arguments, "-C", ConfigFile]);

    /// <summary>The status file of <paramref name="master"/> (null while it has written none, or when one left by another master is there).</summary>
    public StatusSnapshot? StatusOf(RunningHost master) => StatusSnapshot.TryRead(StatusFile) is { } status && status.MasterPid == master.Id ? status : null;

    /// <summary>Polls the status file of <paramref name="master"/> until <paramref name="condition"/> holds.</summary>
    public async Task<StatusSnapshot> WaitForStatusAsync(RunningHost master, Func<StatusSnapshot, bool> condition, string what, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        while (DateTime.UtcNow < deadline)
        {
            if (StatusOf(master) is { } status && condition(status))
            {
                return status;
            }

            if (master.HasExited)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{HostName}: timed out waiting for {what}; status: {StatusSnapshot.TryRead(StatusFile)?.ToJson()}\nmaster stderr (end):\n{Tail(master.Stderr)}");
        throw new InvalidOperationException("unreachable");
    }

    public Task<StatusSnapshot> WaitForAllRunningAsync(RunningHost master, int slices) =>
        WaitForStatusAsync(master, s => s.Slices.Count == slices && s.Slices.All(x => x.State == SliceState.Running), $"{slices} running slices");

    /// <summary>
    /// Enqueues messages <c>m{first}@test</c> … into <paramref name="queue"/> through this process's back
    /// end, several at once (each enqueue returns after the stream acknowledged it).
    /// </summary>
    public async Task EnqueueAsync(string queue, int count, int first = 0)
    {
        var target = Services.Queues[queue];
        int next = first - 1;
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < first + count)
            {
                await target.EnqueueAsync(Message(i), new MessageData { ListId = ListId });
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(Worker)));
    }

    public static MimeMessage Message(int i)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("anne@example.com"));
        message.To.Add(MailboxAddress.Parse("test@example.com"));
        message.Subject = "soak";
        message.MessageId = string.Create(CultureInfo.InvariantCulture, $"m{i}@test");
        message.Body = new TextPart("plain") { Text = "Hi.\n" };
        return message;
    }

    /// <summary>The files the archive runner published (new/), cheap to count while polling.</summary>
    public int ArchivedCount()
    {
        string folder = Path.Combine(Maildir, ListId, "new");
        return Directory.Exists(folder) ? Directory.GetFiles(folder).Length : 0;
    }

    /// <summary>The Message-ID of every archived file, with repeats.</summary>
    public List<string> ArchivedMessageIds()
    {
        string folder = Path.Combine(Maildir, ListId, "new");
        var ids = new List<string>();
        if (!Directory.Exists(folder))
        {
            return ids;
        }

        foreach (string file in Directory.GetFiles(folder))
        {
            foreach (string line in File.ReadLines(file))
            {
                if (line.Length == 0)
                {
                    break;
                }

                if (line.StartsWith("Message-ID:", StringComparison.OrdinalIgnoreCase))
                {
                    ids.Add(line["Message-ID:".Length..].Trim().Trim('<', '>'));
                    break;
                }
            }
        }

        return ids;
    }

    /// <summary>Entries of <paramref name="queue"/> as the test process's back end counts them (all states); null while it cannot measure.</summary>
    public async Task<int?> DepthAsync(string queue)
    {
        var summary = await Services.Inspector.SummarizeAsync(queue);
        return summary.Problem is null ? summary.Depth : null;
    }

    /// <summary><c>runner-host queues --json</c>: each queue's depth and taken count, and the whole document for messages.</summary>
    public async Task<(Dictionary<string, (int Depth, int Taken)> Queues, ProcessResult Run)> QueuesCommandAsync()
    {
        var run = await RunAsync("queues", "--json");
        var queues = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        if (run.ExitCode == 0)
        {
            using var json = JsonDocument.Parse(run.Stdout);
            foreach (var queue in json.RootElement.GetProperty("queues").EnumerateArray())
            {
                queues[queue.GetProperty("name").GetString()!] = (queue.GetProperty("depth").GetInt32(), queue.GetProperty("taken").GetInt32());
            }
        }

        return (queues, run);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (bounded by <paramref name="patience"/>, default <see cref="Patience"/>).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what()}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>The last lines of a long log, for a failure message.</summary>
    public static string Tail(string text, int lines = 60)
    {
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public void Dispose()
    {
        _services?.Dispose();
        TestDirectories.DeleteQuietly(Root);
    }
}
