using System.Globalization;
using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Host.Composition;
using RunnerHost.Host.Configuration;
using RunnerHost.Host.Queues.Files;
using RunnerHost.Queues;

namespace RunnerHost.Host.Benchmarks;

/// <summary>
/// A throw-away host for one benchmark: a var directory under the temp directory, a configuration
/// with one list and one <c>[runner.bench]</c> queue, and the shared host services. Deleted on dispose.
/// </summary>
public sealed class BenchHost : IDisposable
{
    public const string QueueName = "bench";
    public const string ListId = "bench.example.com";

    private BenchHost(string root, HostServices services, ILoggerFactory loggerFactory)
    {
        Root = root;
        Services = services;
        LoggerFactory = loggerFactory;
    }

    public string Root { get; }

    public HostServices Services { get; }

    public ILoggerFactory LoggerFactory { get; }

    public RunnerSettings RunnerSettings => Services.Configuration.GetRunner(QueueName);

    /// <summary>The shared (unsliced) switchboard producers enqueue through.</summary>
    public FileSwitchboard ProducerQueue => Services.Files.Switchboards.Get(QueueName);

    public string QueueDirectory => RunnerSettings.QueuePath!;

    public static BenchHost Create(bool fsync, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        string root = Path.Combine(Path.GetTempPath(), "runner-host-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        string configFile = Path.Combine(root, "runner-host.cfg");
        File.WriteAllText(configFile, string.Create(CultureInfo.InvariantCulture, $"""
            [paths]
            var_dir: {Path.Combine(root, "var")}

            [list.bench]
            posting_address: bench@example.com
            display_name: Bench
            preferred_language: en

            [runner.{QueueName}]
            sleep_time: 1s
            fsync: {(fsync ? "yes" : "no")}

            """));
        var configuration = ConfigurationStack.Load(configFile).Build();
        return new BenchHost(root, new HostServices(configuration, loggerFactory), loggerFactory);
    }

    /// <summary>A runner on its own sliced switchboard, as a runner process would have.</summary>
    public NoOpRunner CreateRunner(long expected, Action<long>? onDispose = null) =>
        new(Services.CreateContext(RunnerSettings), expected, onDispose);

    public void Dispose()
    {
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
}
