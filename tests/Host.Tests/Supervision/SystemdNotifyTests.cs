using System.Net.Sockets;
using System.Text;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Supervision;

/// <summary>
/// The master under a stand-in for systemd: <c>runner-host start</c> as a real process with the
/// built-in runners as children, <c>NOTIFY_SOCKET</c> naming a datagram socket this test binds, and
/// the shipped unit file checked against what the code relies on. (No test runs a real systemd: in
/// this container pid 1 is not a service manager.)
/// </summary>
public sealed class SystemdNotifyTests
{
    private const int SigTerm = 15;

    private static readonly TimeSpan Patience = MasterHarness.Patience;

    private string _root = null!;

    private string StatusFile => Path.Combine(_root, "var", "master.status.json");

    [SetUp]
    public void SetUp() => _root = TestDirectories.CreateTemp("systemd");

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public async Task Ready_comes_once_every_slice_runs_then_status_and_watchdog_pings_and_stopping_on_sigterm_and_children_never_see_the_socket()
    {
        using var systemd = new NotifySocket(Path.Combine(_root, "notify.sock"), StatusFile);
        string config = await WriteConfigAsync(pipelineInstances: 2);
        using var master = HostProcess.Start(_root, Environment(systemd.Path, "400000"), "start", "-C", config);

        await WaitUntilAsync(() => systemd.Count("READY=1") > 0, "READY=1", master);
        var atReady = systemd.StatusAtReady;
        Assert.That(atReady, Is.Not.Null, "the status file exists when READY=1 arrives");
        Assert.That(atReady!.MasterPid, Is.EqualTo(master.Id));
        Assert.That(atReady.Slices, Has.Count.EqualTo(4));
        Assert.That(atReady.Slices.Select(s => s.State), Is.All.EqualTo(SliceState.Running), "READY=1 only once every slice is running");

        // The pings go on while the master runs.
        await WaitUntilAsync(() => systemd.CountAfter("READY=1", "WATCHDOG=1") >= 3, "three WATCHDOG=1 after READY=1", master);

        var childPids = atReady.Slices.Select(s => s.Pid!.Value).ToList();
        Assert.That(childPids, Has.None.EqualTo(master.Id), "every slice is a child process");
        Assert.That(EnvironmentOf(master.Id), Has.Some.StartsWith("NOTIFY_SOCKET="), "the master was given the socket");
        foreach (int child in childPids)
        {
            Assert.That(EnvironmentOf(child), Has.None.StartsWith("NOTIFY_SOCKET=").And.None.StartsWith("WATCHDOG_"), $"child {child} inherits no systemd notification variables");
        }

        master.Signal(SigTerm);
        Assert.That(await master.WaitForExitAsync(Patience), Is.Zero, master.Stderr);
        await WaitUntilAsync(() => systemd.Count("STOPPING=1") > 0, "STOPPING=1", null);

        var messages = systemd.Messages;
        int ready = messages.IndexOf("READY=1");
        int stopping = messages.IndexOf("STOPPING=1");
        Assert.That(messages.Count(m => m == "READY=1"), Is.EqualTo(1), string.Join("\n", messages));
        Assert.That(messages.Take(ready).Where(m => m.StartsWith("STATUS=", StringComparison.Ordinal)).Last(),
            Is.EqualTo("STATUS=4 of 4 slices running; 0 restarts within restart_window"), "the status line just before READY=1");
        Assert.That(messages.Take(ready), Has.Some.StartsWith("STATUS=0 of 4 slices running, 4 starting"), "the status line while starting");
        Assert.That(stopping, Is.GreaterThan(ready));
        Assert.That(messages.Skip(ready).Take(stopping - ready).Count(m => m == "WATCHDOG=1"), Is.GreaterThanOrEqualTo(3), "pings between READY=1 and STOPPING=1");
        Assert.That(messages.Skip(stopping), Has.Some.StartsWith("STATUS=stopping: "), "the status line while stopping");
        Assert.That(messages.All(m => m is "READY=1" or "STOPPING=1" or "WATCHDOG=1" || (m.StartsWith("STATUS=", StringComparison.Ordinal) && !m.Contains('\n', StringComparison.Ordinal))), Is.True, string.Join("\n", messages));
    }

    [TestCase("0")]
    [TestCase("thirty seconds")]
    [TestCase("99999999999999999999999")]
    public async Task A_watchdog_usec_out_of_range_means_no_pings_and_one_warning_and_the_master_runs_on(string usec)
    {
        using var systemd = new NotifySocket(Path.Combine(_root, "notify.sock"), StatusFile);
        string config = await WriteConfigAsync(pipelineInstances: 1);
        using var master = HostProcess.Start(_root, Environment(systemd.Path, usec), "start", "-C", config);

        await WaitUntilAsync(() => systemd.Count("READY=1") > 0, "READY=1", master);
        master.Signal(SigTerm);
        Assert.That(await master.WaitForExitAsync(Patience), Is.Zero, master.Stderr);

        Assert.That(systemd.Count("WATCHDOG=1"), Is.Zero, string.Join("\n", systemd.Messages));
        Assert.That(Occurrences(master.Stderr, $"WATCHDOG_USEC is '{usec}'"), Is.EqualTo(1), master.Stderr);
    }

    [Test]
    public async Task A_notify_socket_nobody_listens_on_costs_one_warning_and_the_master_runs_and_stops_as_usual()
    {
        string missing = Path.Combine(_root, "nobody-here.sock");
        string config = await WriteConfigAsync(pipelineInstances: 2);
        using var master = HostProcess.Start(_root, Environment(missing, "400000"), "start", "-C", config);

        await WaitUntilAsync(() => StatusSnapshot.TryRead(StatusFile) is { } s && s.MasterPid == master.Id && s.Slices.Count == 4 && s.Slices.All(x => x.State == SliceState.Running), "4 running slices", master);
        // Several passes of the loop, each of which tried to ping.
        await Task.Delay(TimeSpan.FromSeconds(1));
        master.Signal(SigTerm);

        Assert.That(await master.WaitForExitAsync(Patience), Is.Zero, master.Stderr);
        Assert.That(Occurrences(master.Stderr, "Cannot notify systemd"), Is.EqualTo(1), master.Stderr);
    }

    [Test]
    public void The_shipped_unit_file_has_the_directives_the_master_relies_on()
    {
        var service = UnitFile.Read(ShippedUnitFile()).Section("Service");
        Assert.That(service["Type"], Is.EqualTo("notify"), "the master sends READY=1");
        Assert.That(service["NotifyAccess"], Is.EqualTo("main"), "only the master notifies; children never get NOTIFY_SOCKET");
        Assert.That(service["KillMode"], Is.EqualTo("mixed"), "SIGTERM to the master alone, which stops its runners itself");
        Assert.That(service["Restart"], Is.EqualTo("on-failure"));
        Assert.That(Seconds(service["WatchdogSec"]), Is.InRange(2, 600), "a watchdog the loop's pings (every half of it) can keep");
        var defaults = new RestartPolicy();
        Assert.That(Seconds(service["TimeoutStopSec"]), Is.GreaterThan((defaults.StopTimeout + defaults.KillTimeout).TotalSeconds), "systemd waits longer than the master's own worst-case stop");
        Assert.That(service["ExecStart"], Does.EndWith(" start"), "the master in the foreground: no --detach under Type=notify");
        Assert.That(service["ExecReload"], Does.EndWith(" reopen"));
        Assert.That(service["ProtectSystem"], Is.EqualTo("strict"));
        Assert.That(service["ReadWritePaths"], Is.EqualTo(service["WorkingDirectory"]), "var_dir (relative to the working directory) is the one writable place");
        Assert.That(service["NoNewPrivileges"], Is.EqualTo("yes"));
        Assert.That(service["PrivateTmp"], Is.EqualTo("yes"));
        Assert.That(service["ProtectHome"], Is.EqualTo("yes"));
        Assert.That(service["User"], Is.EqualTo("runner-host"));
    }

    [Test]
    public async Task Systemd_accepts_the_shipped_unit_file()
    {
        if (!File.Exists("/usr/bin/systemd-analyze"))
        {
            Assert.Ignore("systemd-analyze is not installed");
        }

        // systemd-analyze checks the executables too: point them at one that exists.
        string text = (await File.ReadAllTextAsync(ShippedUnitFile())).Replace("/opt/runner-host/runner-host", "/bin/true", StringComparison.Ordinal);
        string unit = Path.Combine(_root, "runner-host.service");
        await File.WriteAllTextAsync(unit, text);
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/systemd-analyze", ["verify", unit])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var verify = System.Diagnostics.Process.Start(start)!;
        var stdout = verify.StandardOutput.ReadToEndAsync();
        string stderr = await verify.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        await verify.WaitForExitAsync(timeout.Token);
        string output = (await stdout + stderr).Trim();

        Assert.That(verify.ExitCode, Is.Zero, output);
        Assert.That(output, Is.Empty, "no complaint about any directive");
    }

    [Test]
    public async Task The_unit_file_in_docs_is_the_shipped_one()
    {
        string docs = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "systemd.md"));
        int start = docs.IndexOf("```ini\n", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "docs/systemd.md has an ini block");
        start += "```ini\n".Length;
        int end = docs.IndexOf("```", start, StringComparison.Ordinal);

        Assert.That(docs[start..end], Is.EqualTo(await File.ReadAllTextAsync(ShippedUnitFile())), "docs/systemd.md shows config/systemd/runner-host.service as it ships");
    }

    private static Dictionary<string, string?> Environment(string socket, string usec) => new()
    {
        ["NOTIFY_SOCKET"] = socket,
        ["WATCHDOG_USEC"] = usec,
        ["WATCHDOG_PID"] = null,
    };

    private static List<string> EnvironmentOf(int pid) =>
        [.. File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)];

    private static int Occurrences(string text, string what) =>
        (text.Length - text.Replace(what, string.Empty, StringComparison.Ordinal).Length) / what.Length;

    private static double Seconds(string value) =>
        value.EndsWith('s') ? double.Parse(value[..^1], System.Globalization.CultureInfo.InvariantCulture) : throw new FormatException($"'{value}' is not in seconds");

    private static string ShippedUnitFile() => Path.Combine(RepositoryRoot(), "config", "systemd", "runner-host.service");

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "RunnerHost.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("RunnerHost.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, RunningHost? master)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline || master is { HasExited: true })
            {
                Assert.Fail($"no {what}; master stderr:\n{master?.Stderr}");
            }

            await Task.Delay(50);
        }
    }

    // Real runners of the built-in plugins, as the shipped configuration names them.
    private async Task<string> WriteConfigAsync(int pipelineInstances)
    {
        string config = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}

            [list.test]
            posting_address: test@example.com

            [runner.in]
            class: ListPipelineRunner
            instances: {pipelineInstances}
            stop_timeout: 5s
            kill_timeout: 2s

            [runner.archive]
            class: MaildirArchiveRunner
            maildir: $archive_dir
            stop_timeout: 5s
            kill_timeout: 2s

            [runner.retry]
            class: RetryRunner
            stop_timeout: 5s
            kill_timeout: 2s
            """);
        return config;
    }

    /// <summary>What systemd's notify socket would receive, in arrival order; the status file is read as READY=1 arrives.</summary>
    private sealed class NotifySocket : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _messages = [];
        private readonly string _statusFile;
        private readonly Task _receiving;

        public NotifySocket(string path, string statusFile)
        {
            Path = path;
            _statusFile = statusFile;
            _socket.Bind(new UnixDomainSocketEndPoint(path));
            _receiving = ReceiveAsync();
        }

        public string Path { get; }

        public StatusSnapshot? StatusAtReady { get; private set; }

        public List<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public int Count(string message) => Messages.Count(m => m == message);

        public int CountAfter(string first, string message)
        {
            var messages = Messages;
            int at = messages.IndexOf(first);
            return at < 0 ? 0 : messages.Skip(at).Count(m => m == message);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Dispose();
            try
            {
                _receiving.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // Ended by the dispose.
            }

            _stop.Dispose();
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[4096];
            while (!_stop.IsCancellationRequested)
            {
                int length;
                try
                {
                    length = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                string message = Encoding.UTF8.GetString(buffer, 0, length);
                if (message == "READY=1" && StatusAtReady is null)
                {
                    StatusAtReady = StatusSnapshot.TryRead(_statusFile);
                }

                lock (_messages)
                {
                    _messages.Add(message);
                }
            }
        }
    }

    /// <summary>The sections of a systemd unit file, each a map of its directives (the last one wins).</summary>
    private sealed class UnitFile
    {
        private readonly Dictionary<string, Dictionary<string, string>> _sections = [];

        public static UnitFile Read(string path)
        {
            var unit = new UnitFile();
            Dictionary<string, string>? section = null;
            foreach (string raw in File.ReadAllLines(path))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line[0] is '#' or ';')
                {
                    continue;
                }

                if (line.StartsWith('[') && line.EndsWith(']'))
                {
                    section = [];
                    unit._sections[line[1..^1]] = section;
                }
                else if (section is not null && line.IndexOf('=', StringComparison.Ordinal) is > 0 and var equals)
                {
                    section[line[..equals].Trim()] = line[(equals + 1)..].Trim();
                }
            }

            return unit;
        }

        public Dictionary<string, string> Section(string name) =>
            _sections.TryGetValue(name, out var section) ? section : throw new AssertionException($"no [{name}] section");
    }
}
