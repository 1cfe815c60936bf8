using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Tests.Support;

/// <summary>
/// A host in a temporary directory: a configuration file with the list test@example.com, a var
/// directory, captured logs, and the shared host services. Push/pop layers as Mailman's tests do.
/// </summary>
internal sealed class TestHost : IDisposable
{
    public const string DefaultConfig = """
        [list.test]
        posting_address: test@example.com
        display_name: Test
        preferred_language: en
        members: aperson@example.com
        """;

    private HostServices? _services;

    /// <summary>A <c>[queues]</c> section putting the queues on the shared test nats-server, under a prefix of their own.</summary>
    public static string JetStreamConfig() => $"""
        [queues]
        backend: jetstream
        servers: {SharedNatsServer.Get().Url}
        prefix: s{Guid.NewGuid().ToString("N")[..12]}
        ack_wait: 5s
        slice_lease: 2s
        """;

    public TestHost(string extraConfig = "")
    {
        Root = Path.Combine(Path.GetTempPath(), "runnerhost-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        ConfigFile = Path.Combine(Root, "runner-host.cfg");
        File.WriteAllText(ConfigFile, $"[paths]\nvar_dir: {Path.Combine(Root, "var")}\n\n{DefaultConfig}\n{extraConfig}\n");
        Config = ConfigurationStack.Load(ConfigFile);
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
    }

    public string Root { get; }

    public string ConfigFile { get; }

    public ConfigurationStack Config { get; }

    public ListLoggerProvider Logs { get; } = new();

    public ILoggerFactory LoggerFactory { get; }

    public HostServices Services => _services ??= new HostServices(Config.Build(), LoggerFactory);

    public string QueueDir => Services.Configuration.Paths.QueueDir;

    public void Push(string name, string text)
    {
        Config.Push(name, text);
        Reset();
    }

    public void Pop(string name)
    {
        Config.Pop(name);
        Reset();
    }

    public RunnerContext ContextFor(string runnerName, int slice = 0, int sliceCount = 1) =>
        Services.CreateContext(Services.Configuration.GetRunner(runnerName), slice, sliceCount);

    /// <summary>The file back end's unsliced switchboard of a queue.</summary>
    public FileSwitchboard Queue(string name) => Services.Files.Switchboards.Get(name);

    /// <summary>Runs a runner the way the host does (its slice opened and recovered) until it stops.</summary>
    public async Task RunAsync(RunnerBase runner, CancellationToken cancellationToken = default)
    {
        using var driver = await Engine.RunnerDriver.OpenAsync(Services, runner, Services.Configuration.GetRunner(runner.Name), cancellationToken);
        await driver.RunAsync(once: false, cancellationToken);
    }

    /// <summary>Runs one full pass of a runner the way <c>runner --once</c> does.</summary>
    public async Task RunOnceAsync(RunnerBase runner, CancellationToken cancellationToken = default)
    {
        using var driver = await Engine.RunnerDriver.OpenAsync(Services, runner, Services.Configuration.GetRunner(runner.Name), cancellationToken);
        await driver.RunAsync(once: true, cancellationToken);
    }

    /// <summary>Every entry file of a queue directory, by extension, e.g. <c>.pck: 1</c>, or <c>empty</c>.</summary>
    public string CheckQueueFiles(string queue)
    {
        string directory = Path.Combine(QueueDir, queue);
        if (!Directory.Exists(directory))
        {
            return "empty";
        }

        var counts = Directory.EnumerateFiles(directory)
            .Select(Path.GetExtension)
            .GroupBy(ext => ext, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}: {g.Count()}")
            .ToList();
        return counts.Count == 0 ? "empty" : string.Join("\n", counts);
    }

    public void Dispose()
    {
        Reset();
        LoggerFactory.Dispose();
        Logs.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A process under test may still hold a file; the temp directory is cleaned by the OS.
        }
    }

    private void Reset()
    {
        _services?.Dispose();
        _services = null;
    }
}
