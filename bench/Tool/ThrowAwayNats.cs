using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Bench;

/// <summary>
/// <c>nats-server</c> processes for one benchmark run, on free loopback ports with their stores under
/// the temp directory: one node (<c>-js -sd DIR -a 127.0.0.1 -p PORT</c>) for one replica, a three-node
/// cluster (one configuration file per node) for three. Ready once a stream with that many replicas can
/// be created; stopped (SIGTERM, then SIGKILL) and deleted on dispose.
/// </summary>
internal sealed class ThrowAwayNats : IAsyncDisposable
{
    private static readonly TimeSpan ListenPatience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ReadyPatience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(15);

    private readonly string _root;
    private readonly List<(Process Process, int Port, StringBuilder Log)> _nodes = [];

    private ThrowAwayNats(string root) => _root = root;

    /// <summary>The client URL of every node.</summary>
    public IReadOnlyList<string> Servers => [.. _nodes.Select(n => string.Create(CultureInfo.InvariantCulture, $"nats://127.0.0.1:{n.Port}"))];

    /// <summary>What the result says about the servers.</summary>
    public string Description => _nodes.Count == 1 ? "throw-away single node" : string.Create(CultureInfo.InvariantCulture, $"throw-away {_nodes.Count}-node loopback cluster");

    /// <summary>The CPU time the server processes have used so far (they share the machine with the benchmark).</summary>
    public TimeSpan CpuTime()
    {
        var total = TimeSpan.Zero;
        foreach (var (process, _, _) in _nodes)
        {
            process.Refresh();
            total += process.HasExited ? TimeSpan.Zero : process.TotalProcessorTime;
        }

        return total;
    }

    /// <summary>Starts one node (<paramref name="replicas"/> 1) or a three-node cluster (3) and waits until a stream of that many replicas can be created.</summary>
    /// <exception cref="InvalidOperationException">nats-server is missing, exited, or never became ready.</exception>
    public static async Task<ThrowAwayNats> StartAsync(int replicas, CancellationToken cancellationToken)
    {
        if (replicas is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(replicas), replicas, "a throw-away server has 1 node or 3");
        }

        string executable = FindExecutable();
        string root = Path.Combine(Path.GetTempPath(), "runner-host-bench-nats-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var nats = new ThrowAwayNats(root);
        try
        {
            if (replicas == 1)
            {
                int port = LoopbackPort.Free();
                string store = Path.Combine(root, "store");
                Directory.CreateDirectory(store);
                nats.Launch(executable, ["-js", "-sd", store, "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture)], port);
            }
            else
            {
                int[] ports = [.. Enumerable.Range(0, 3).Select(_ => LoopbackPort.Free())];
                int[] routes = [.. Enumerable.Range(0, 3).Select(_ => LoopbackPort.Free())];
                for (int i = 0; i < 3; i++)
                {
                    nats.Launch(executable, ["-c", WriteNodeConfig(root, i, ports[i], routes)], ports[i]);
                }
            }

            foreach (var (process, port, log) in nats._nodes)
            {
                await WaitForListenAsync(process, port, log, cancellationToken).ConfigureAwait(false);
            }

            await nats.WaitForStreamsAsync(replicas, cancellationToken).ConfigureAwait(false);
            return nats;
        }
        catch
        {
            await nats.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, _, _) in _nodes.Where(n => !n.Process.HasExited))
        {
            Posix.SendSignal(process.Id, Posix.SigTerm);
        }

        foreach (var (process, _, _) in _nodes)
        {
            using var timeout = new CancellationTokenSource(StopPatience);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A throw-away directory under the temp directory: leaving it is harmless.
        }
    }

    // The cluster layout of the scale-out notes: server_name, listen, jetstream store_dir, cluster routes.
    private static string WriteNodeConfig(string root, int node, int port, int[] routes)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"n{node + 1}");
        string store = Path.Combine(root, name, "store");
        Directory.CreateDirectory(store);
        string file = Path.Combine(root, name, "nats.conf");
        File.WriteAllText(file, string.Create(CultureInfo.InvariantCulture, $$"""
            server_name: {{name}}
            listen: 127.0.0.1:{{port}}
            jetstream {
              store_dir: "{{store}}"
            }
            cluster {
              name: runner-host-bench
              listen: 127.0.0.1:{{routes[node]}}
              routes: [{{string.Join(", ", routes.Select(r => string.Create(CultureInfo.InvariantCulture, $"nats-route://127.0.0.1:{r}")))}}]
            }

            """));
        return file;
    }

    private static string FindExecutable()
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/usr/local/bin");
        return directories.Select(d => Path.Combine(d, "nats-server")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("nats-server was not found on the PATH or in /usr/sbin (Debian: apt-get install nats-server); or give --servers");
    }

    private static async Task WaitForListenAsync(Process process, int port, StringBuilder log, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(ListenPatience.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nats-server (port {port}) exited with {process.ExitCode}:\n{Text(log)}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"nats-server did not listen on 127.0.0.1:{port} within {ListenPatience.TotalSeconds:0} s:\n{Text(log)}");
    }

    private static string Text(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }

    private void Launch(string executable, string[] arguments, int port)
    {
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        var log = new StringBuilder();
        void Append(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is { } line)
            {
                lock (log)
                {
                    // The last lines are enough to explain a failure.
                    if (log.Length > 64 * 1024)
                    {
                        log.Remove(0, log.Length / 2);
                    }

                    log.AppendLine(line);
                }
            }
        }

        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _nodes.Add((process, port, log));
    }

    // A cluster accepts connections before it has elected its metadata leader: only a created stream of
    // the wanted replicas shows that it is ready.
    private async Task WaitForStreamsAsync(int replicas, CancellationToken cancellationToken)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = string.Join(",", Servers), Name = "runner-host-bench readiness" });
        var jetStream = new NatsJSContext(connection);
        string probe = "bench_ready_" + Guid.NewGuid().ToString("N")[..8];
        var deadline = Stopwatch.GetTimestamp() + (long)(ReadyPatience.TotalSeconds * Stopwatch.Frequency);
        string? lastError = null;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_nodes.FirstOrDefault(n => n.Process.HasExited) is { Process: not null } dead)
            {
                throw new InvalidOperationException($"nats-server (port {dead.Port}) exited with {dead.Process.ExitCode}:\n{Text(dead.Log)}");
            }

            try
            {
                await jetStream.CreateStreamAsync(new StreamConfig(probe, [probe]) { NumReplicas = replicas, Storage = StreamConfigStorage.File }, cancellationToken).ConfigureAwait(false);
                await jetStream.DeleteStreamAsync(probe, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                lastError = ex.Message;
                await Task.Delay(250, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"no stream with {replicas} replica(s) could be created on {string.Join(", ", Servers)} within {ReadyPatience.TotalSeconds:0} s: {lastError}\n{string.Join("\n", _nodes.Select(n => Text(n.Log)))}");
    }
}
