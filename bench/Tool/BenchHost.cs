using System.Globalization;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using RunnerHost.Configuration;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Queues.Files;
using RunnerHost.Hosting.Queues.JetStream;
using RunnerHost.Queues;

namespace RunnerHost.Bench;

/// <summary>
/// A throw-away host for one benchmark: a var directory under the temp directory, a configuration
/// with one list, one <c>[runner.bench]</c> queue and a <c>[queues]</c> section naming the back end, and
/// the shared host services, so that producers and the runner go through the back end exactly as a
/// runner process does. Deleted on dispose; on JetStream its streams and buckets (under a prefix of its
/// own) are deleted too.
/// </summary>
public sealed class BenchHost : IAsyncDisposable
{
    public const string QueueName = "bench";
    public const string ListId = "bench.example.com";

    private readonly ILogger _logger;

    private BenchHost(string root, BenchBackend backend, string prefix, HostServices services, ILoggerFactory loggerFactory)
    {
        Root = root;
        Backend = backend;
        Prefix = prefix;
        Services = services;
        LoggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<BenchHost>();
    }

    public string Root { get; }

    public BenchBackend Backend { get; }

    /// <summary>The <c>[queues] prefix</c> of this run (JetStream: the start of its stream and bucket names).</summary>
    public string Prefix { get; }

    public HostServices Services { get; }

    public ILoggerFactory LoggerFactory { get; }

    public RunnerSettings RunnerSettings => Services.Configuration.GetRunner(QueueName);

    /// <summary>The queue producers enqueue into, through the back end's registry.</summary>
    public IQueue ProducerQueue => Services.Queues[QueueName];

    /// <summary>Directory fsyncs of the queue so far (group commit rounds); null when the queues are not files.</summary>
    public long? DirectorySyncCount => Services.Backend is FileQueueBackend files ? files.Switchboards.Get(QueueName).DirectorySyncCount : null;

    /// <summary>The producers' journal flushes and checkpoints (file back end).</summary>
    public (long Flushes, long Checkpoints)? JournalCounts => Services.Backend is FileQueueBackend files
        ? (files.Switchboards.Get(QueueName).JournalFlushCount, files.Switchboards.Get(QueueName).JournalCheckpointCount)
        : null;

    public static BenchHost Create(bool fsync, ILoggerFactory loggerFactory) => Create(BenchBackend.Files(fsync), loggerFactory);

    /// <param name="backend">On JetStream, <see cref="BenchBackend.Servers"/> must be set (the caller starts a throw-away server otherwise).</param>
    /// <param name="loggerFactory">Where the host's services log.</param>
    public static BenchHost Create(BenchBackend backend, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        string id = Guid.NewGuid().ToString("N");
        string root = Path.Combine(Path.GetTempPath(), "runner-host-bench-" + id);
        // Unique per run: a run against shared servers never meets another run's (or an installation's) streams.
        string prefix = "rhbench" + id[..12];
        Directory.CreateDirectory(root);
        string configFile = Path.Combine(root, "runner-host.cfg");
        File.WriteAllText(configFile, string.Create(CultureInfo.InvariantCulture, $"""
            [paths]
            var_dir: {Path.Combine(root, "var")}

            {QueuesSection(backend, prefix)}
            [list.bench]
            posting_address: bench@example.com
            display_name: Bench
            preferred_language: en

            [runner.{QueueName}]
            sleep_time: 1s
            fsync: {(backend.Fsync ? "yes" : "no")}

            """));
        var configuration = ConfigurationStack.Load(configFile).Build();
        return new BenchHost(root, backend, prefix, new HostServices(configuration, loggerFactory), loggerFactory);
    }

    /// <summary>A runner on its own sliced switchboard, as a runner process would have.</summary>
    public NoOpRunner CreateRunner(long expected, Action<long>? onDispose = null, bool parse = false) =>
        new(Services.CreateContext(RunnerSettings), expected, onDispose, parse);

    public async ValueTask DisposeAsync()
    {
        if (Services.Backend is JetStreamQueueBackend jetStream)
        {
            await DeleteStreamsAsync(jetStream.Connection.JetStream).ConfigureAwait(false);
        }

        Services.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it is under the temp directory.
        }
    }

    private static string QueuesSection(BenchBackend backend, string prefix)
    {
        if (backend.Kind != QueueBackendKind.JetStream)
        {
            return $"[queues]\ncommit: {(backend.Commit == Hosting.Queues.QueueCommit.Fsync ? "fsync" : "journal")}\n";
        }

        if (backend.Servers is not { Count: > 0 } servers)
        {
            throw new ArgumentException("a JetStream benchmark host needs its servers", nameof(backend));
        }

        return string.Create(CultureInfo.InvariantCulture, $"""
            [queues]
            backend: jetstream
            servers: {string.Join(", ", servers)}
            replicas: {backend.Replicas}
            prefix: {prefix}


            """);
    }

    // The queue streams ({prefix}_QUEUE) and the KV buckets' streams (KV_{prefix}_slices, ...), so that a
    // run against an operator's servers leaves nothing behind; a throw-away server goes as a whole anyway.
    private async Task DeleteStreamsAsync(NatsJSContext jetStream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var names = new List<string>();
            await foreach (string name in jetStream.ListStreamNamesAsync(cancellationToken: timeout.Token).ConfigureAwait(false))
            {
                if (name.StartsWith(Prefix + "_", StringComparison.Ordinal) || name.StartsWith("KV_" + Prefix + "_", StringComparison.Ordinal))
                {
                    names.Add(name);
                }
            }

            foreach (string name in names)
            {
                await jetStream.DeleteStreamAsync(name, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException or TimeoutException)
        {
            _logger.LogWarning("Benchmark: could not delete the streams of prefix {Prefix}: {Error}", Prefix, ex.Message);
        }
    }
}
