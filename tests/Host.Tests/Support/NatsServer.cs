using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RunnerHost.Hosting.Tests.Support;

/// <summary>
/// A real <c>nats-server</c> with JetStream (Debian's package, installed by tests/prerequisites.sh), on a
/// free loopback port with its store in a temporary directory. It can be stopped, killed and started
/// again on the same port and store, as an operator's server would be.
/// </summary>
internal sealed class NatsServer : IAsyncDisposable
{
    public const string Executable = "nats-server";

    private readonly string _configFile;
    private readonly string _root;
    private readonly bool _ownsRoot;
    private readonly System.Text.StringBuilder _log = new();
    private Process? _process;

    private NatsServer(string root, bool ownsRoot, string name, int port, int? routePort, IReadOnlyList<int>? routes)
    {
        _root = root;
        _ownsRoot = ownsRoot;
        Name = name;
        Port = port;
        StoreDirectory = Path.Combine(root, name, "store");
        Directory.CreateDirectory(StoreDirectory);
        _configFile = Path.Combine(root, name, "nats.conf");
        string cluster = routePort is { } route && routes is not null
            ? $$"""
              cluster {
                name: rh-test
                listen: 127.0.0.1:{{route}}
                routes: [{{string.Join(", ", routes.Select(r => $"nats-route://127.0.0.1:{r}"))}}]
              }
              """
            : string.Empty;
        File.WriteAllText(_configFile, $$"""
            server_name: {{name}}
            listen: 127.0.0.1:{{port}}
            jetstream {
              store_dir: "{{StoreDirectory}}"
            }
            {{cluster}}
            """);
    }

    public string Name { get; }

    public int Port { get; }

    public string Url => string.Create(CultureInfo.InvariantCulture, $"nats://127.0.0.1:{Port}");

    public string StoreDirectory { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the server wrote, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>True when the nats-server executable is on the PATH.</summary>
    public static bool IsInstalled() =>
        Environment.GetEnvironmentVariable("PATH")?.Split(':').Any(d => File.Exists(Path.Combine(d, Executable))) == true;

    /// <summary>Starts a single JetStream server and waits until it accepts connections.</summary>
    public static async Task<NatsServer> StartAsync()
    {
        for (int attempt = 1; ; attempt++)
        {
            var server = new NatsServer(NewRoot(), ownsRoot: true, "n1", FreePort(), null, null);
            try
            {
                await server.StartAgainAsync();
                return server;
            }
            catch (InvalidOperationException ex) when (attempt < PortAttempts && IsPortTaken(ex))
            {
                await server.DisposeAsync();
            }
        }
    }

    // A free port is free when asked for, not necessarily when the server binds it: another process may
    // take it in between. Then the start is tried again on new ports.
    private const int PortAttempts = 5;

    private static bool IsPortTaken(Exception ex) => ex.Message.Contains("address already in use", StringComparison.Ordinal);

    /// <summary>Starts a three-node cluster on loopback; returns once every node accepts connections.</summary>
    public static async Task<NatsServer[]> StartClusterAsync(int nodes = 3)
    {
        for (int attempt = 1; ; attempt++)
        {
            string root = NewRoot();
            int[] ports = [.. Enumerable.Range(0, nodes).Select(_ => FreePort())];
            int[] routes = [.. Enumerable.Range(0, nodes).Select(_ => FreePort())];
            var servers = Enumerable.Range(0, nodes)
                .Select(i => new NatsServer(root, ownsRoot: i == 0, $"n{i + 1}", ports[i], routes[i], routes))
                .ToArray();
            try
            {
                await Task.WhenAll(servers.Select(s => s.StartAgainAsync()));
                return servers;
            }
            catch (InvalidOperationException ex) when (attempt < PortAttempts && IsPortTaken(ex))
            {
                foreach (var server in servers.Reverse())
                {
                    await server.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Starts the server (again) on its port and store.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(_configFile);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start nats-server");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nats-server {Name} exited with {process.ExitCode}:\n{Log}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"nats-server {Name} did not listen on {Port} within 20 s:\n{Log}");
    }

    /// <summary>Stops the server cleanly (SIGTERM → lame-duck shutdown) and waits for it.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        RunnerHost.Hosting.Supervision.Posix.SendSignal(process.Id, RunnerHost.Hosting.Supervision.Posix.SigTerm);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>SIGKILL: the machine died.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        await Task.Yield();
        if (_ownsRoot)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // A temporary directory; the OS cleans it.
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 200_000)
            {
                _log.Append(line).Append('\n');
            }
        }
    }

    private static string NewRoot()
    {
        string root = Path.Combine(Path.GetTempPath(), "runnerhost-nats", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        return root;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
