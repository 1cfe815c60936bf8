using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Plugins;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>
/// A test host with the mail-flow sections, whose runners are created from the deployed plugins
/// (bin/plugins, the same load path as <c>runner-host runner</c>) and run in this process.
/// </summary>
internal sealed class FlowHost : IAsyncDisposable
{
    private readonly List<(RunnerBase Runner, Task Task, CancellationTokenSource Cancel, PluginRunnerScope Scope)> _running = [];
    private PluginCatalog? _catalog;
    private RunnerActivator? _activator;

    public FlowHost(int smtpPort, string extraConfig = "", string lmtpSettings = "", int? lmtpPort = null)
    {
        LmtpPort = lmtpPort ?? FreePort();
        Host = new TestHost($"""
            [list.two]
            posting_address: two@example.com
            display_name: Two People
            members:
                anne@example.com
                bart@example.com
            owners: owner@example.com

            [runner.lmtp]
            class: LmtpRunner
            path:
            lmtp_port: {LmtpPort}
            served_queues: in command bounces
            {lmtpSettings}

            [runner.in]
            class: ListPipelineRunner
            subject_prefix: [{"{display_name}"}]

            [runner.out]
            class: OutgoingRunner
            smtp_host: 127.0.0.1
            smtp_port: {smtpPort}
            smtp_timeout: 10s
            retry_backoff: 1s
            retry_backoff_max: 2s

            [runner.retry]
            class: RetryRunner

            [runner.archive]
            class: MaildirArchiveRunner
            maildir: $archive_dir

            {extraConfig}
            """);
    }

    public TestHost Host { get; }

    public int LmtpPort { get; }

    public string ArchiveDir => Host.Services.Configuration.Paths.ArchiveDir;

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public FileSwitchboard Queue(string name) => Host.Queue(name);

    public int Count(string queue) => Queue(queue).GetFiles().Count;

    public async Task<RunnerBase> CreateAsync(string name)
    {
        _catalog ??= new PluginCatalog(Path.Combine(AppContext.BaseDirectory, "plugins"), Host.LoggerFactory);
        _activator ??= new RunnerActivator(Host.Services, _catalog);
        var scope = await _activator.CreateAsync(Host.Services.Configuration.GetRunner(name));
        _running.Add((scope.Runner, Task.CompletedTask, new CancellationTokenSource(), scope));
        return scope.Runner;
    }

    /// <summary>Starts a runner's loop in the background.</summary>
    public async Task<RunnerBase> StartAsync(string name)
    {
        var runner = await CreateAsync(name);
        int index = _running.FindIndex(r => r.Runner == runner);
        var entry = _running[index];
        _running[index] = entry with { Task = Task.Run(() => Host.RunAsync(runner, entry.Cancel.Token)) };
        return runner;
    }

    /// <summary>Runs one full pass of a runner created for the call.</summary>
    public async Task RunOnceAsync(string name)
    {
        var runner = await CreateAsync(name);
        await Host.RunOnceAsync(runner);
    }

    /// <summary>Starts the LMTP runner and waits until it accepts connections.</summary>
    public async Task<RunnerBase> StartLmtpAsync()
    {
        var runner = await StartAsync("lmtp");
        await Eventually(() =>
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, LmtpPort);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, "LMTP listening");
        return runner;
    }

    public async Task<string> EnqueueAsync(string queue, string text, MessageData metadata, DateTimeOffset? notBefore = null) =>
        await Queue(queue).EnqueueRawAsync(System.Text.Encoding.UTF8.GetBytes(text), metadata, notBefore: notBefore);

    public static async Task Eventually(Func<bool> condition, string what, double seconds = 20)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed.TotalSeconds > seconds)
            {
                Assert.Fail($"timed out after {seconds} s waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (runner, _, cancel, _) in _running)
        {
            runner.Stop();
            cancel.CancelAfter(TimeSpan.FromSeconds(5));
        }

        foreach (var (_, task, cancel, scope) in _running)
        {
            try
            {
                await task.WaitAsync(TimeSpan.FromSeconds(15));
            }
            finally
            {
                await scope.DisposeAsync();
                cancel.Dispose();
            }
        }

        if (_activator is not null)
        {
            await _activator.DisposeAsync();
        }

        _catalog?.Dispose();
        Host.Dispose();
    }
}
