using System.Diagnostics;
using System.Globalization;
using System.Text;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Bench;

/// <summary>
/// A real master (<c>runner-host start</c>, the runner-host beside this tool: <see cref="RunnerHostExecutable"/>)
/// on a throw-away configuration under the temp directory: <c>N</c> MaildirArchiveRunner sections (<c>isolation:
/// process</c>), or an operator's configuration file with its ports and var_dir rewritten
/// (<see cref="BenchConfiguration"/>); plugins from that host's own <c>plugins</c> directory (or
/// <c>RUNNER_HOST_PLUGIN_DIR</c>). No fixed port and no shared file: it can run beside a real master.
/// </summary>
internal sealed class BenchMaster : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private readonly string _root;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private BenchMaster(string root, Process process, long startedAt)
    {
        _root = root;
        _process = process;
        StartedAt = startedAt;
        StatusFile = Path.Combine(root, "var", "master.status.json");
    }

    /// <summary>The <see cref="Stopwatch"/> timestamp just before the master process was started.</summary>
    public long StartedAt { get; }

    public int Pid => _process.Id;

    public string StatusFile { get; }

    /// <summary>Writes the configuration and starts the master (it returns at once, not waiting for the runners).</summary>
    public static BenchMaster Start(int runners, string restartBackoff = "0.1s")
    {
        string root = NewRoot();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"""
            [paths]
            var_dir: {Path.Combine(root, "var")}

            [list.test]
            posting_address: test@example.com

            [runner.master]
            isolation: process
            restart_backoff: {restartBackoff}
            restart_backoff_max: {restartBackoff}
            max_restarts: 1000
            restart_window: 1h
            stop_timeout: 5s
            kill_timeout: 5s

            """);
        for (int i = 0; i < runners; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"""

                [runner.archive{i}]
                class: MaildirArchiveRunner
                maildir: {Path.Combine(root, "maildir", i.ToString(CultureInfo.InvariantCulture))}

                """);
        }

        return Launch(root, text.ToString());
    }

    /// <summary>Like <see cref="Start(int, string)"/> on a copy of <paramref name="configFile"/> (every runner it starts, as configured).</summary>
    public static BenchMaster StartFrom(string configFile)
    {
        string text = File.ReadAllText(configFile);
        string root = NewRoot();
        return Launch(root, BenchConfiguration.Rewrite(text, Path.Combine(root, "var")));
    }

    private static string NewRoot()
    {
        string root = Path.Combine(Path.GetTempPath(), $"runner-host-bench-master-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        return root;
    }

    private static BenchMaster Launch(string root, string configuration)
    {
        string config = Path.Combine(root, "runner-host.cfg");
        File.WriteAllText(config, configuration);
        var start = RunnerHostExecutable.StartInfo(["start", "-C", config]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = root;
        // Its var_dir is the throw-away one, whatever the caller's environment says (RUNNER_HOST_PLUGIN_DIR is honoured).
        start.Environment.Remove(ConfigurationStack.VarDirEnvironmentVariable);
        start.Environment.Remove(ConfigurationStack.ConfigFileEnvironmentVariable);
        long before = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var master = new BenchMaster(root, process, before);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += master.OnStderr;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return master;
    }

    /// <summary>This master's current status, or null (not written yet, or a previous master's).</summary>
    public StatusSnapshot? Status() =>
        StatusSnapshot.TryRead(StatusFile) is { } status && status.MasterPid == _process.Id ? status : null;

    /// <summary>Polls the status file every 5 ms until <paramref name="condition"/> holds; returns the status and the timestamp it was seen.</summary>
    public async Task<(StatusSnapshot Status, long SeenAt)> WaitForAsync(Func<StatusSnapshot, bool> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Patience.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the master exited ({_process.ExitCode}) while waiting for {what}:\n{StderrText()}");
            }

            if (Status() is { } status && condition(status))
            {
                return (status, Stopwatch.GetTimestamp());
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"timed out after {Patience.TotalSeconds} s waiting for {what}:\n{StderrText()}");
    }

    /// <summary>Until every slice is running: <paramref name="slices"/> of them, or (null) as many as the status lists.</summary>
    public Task<(StatusSnapshot Status, long SeenAt)> WaitForAllRunningAsync(int? slices, CancellationToken cancellationToken) =>
        WaitForAsync(
            s => s.Slices.Count > 0 && (slices is null || s.Slices.Count == slices) && s.Slices.All(x => x.State == SliceState.Running && x.Pid is not null),
            slices is { } n ? $"{n} running slices" : "every slice running",
            cancellationToken);

    /// <summary>SIGTERM to the master, then waits for it (and so every runner) to exit; SIGKILL after <see cref="Patience"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                Posix.SendSignal(_process.Id, Posix.SigTerm);
                using var timeout = new CancellationTokenSource(Patience);
                try
                {
                    await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A throw-away directory under /tmp: leaving it is harmless.
            }
        }
    }

    /// <summary>VmRSS of a process in MB (from <c>/proc/PID/status</c>), or null when it cannot be read.</summary>
    public static double? RssMegabytes(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    // "VmRSS:     74236 kB"
                    string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }

        return null;
    }

    private void OnStderr(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is { } line)
        {
            lock (_stderr)
            {
                // The last lines are enough to explain a failure.
                if (_stderr.Length > 64 * 1024)
                {
                    _stderr.Remove(0, _stderr.Length / 2);
                }

                _stderr.AppendLine(line);
            }
        }
    }

    private string StderrText()
    {
        lock (_stderr)
        {
            return _stderr.ToString();
        }
    }
}
