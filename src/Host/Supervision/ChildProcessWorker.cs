using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RunnerHost.Host.Plugins;

namespace RunnerHost.Host.Supervision;

/// <summary>
/// A slice in a child <c>runner-host runner --runner X:S:C --supervised</c>. Its stdin is a pipe the
/// master never writes to (EOF = master gone), its stdout carries heartbeats, its stderr is the
/// master's, so its log lines land where the master's do.
/// </summary>
public sealed class ChildProcessWorker : ISliceWorker
{
    private readonly SliceId _slice;
    private readonly string? _configFile;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private Process? _process;
    private Task<WorkerExit>? _completion;
    private volatile bool _ready;
    private volatile bool _watchdog;
    private Heartbeat? _heartbeat;
    private PluginRunState? _plugin;

    public ChildProcessWorker(SliceId slice, string? configFile, TimeProvider clock, ILogger logger)
    {
        _slice = slice;
        _configFile = configFile;
        _clock = clock;
        _logger = logger;
    }

    public int? Pid { get; private set; }

    public bool IsReady => _ready;

    public Heartbeat? Heartbeat => Volatile.Read(ref _heartbeat);

    public PluginRunState? Plugin => Volatile.Read(ref _plugin);

    public Task<WorkerExit> Completion => _completion ?? throw new InvalidOperationException("not started");

    public void Start()
    {
        var arguments = new List<string> { "runner", "--runner", _slice.Spec, "--supervised" };
        if (_configFile is not null)
        {
            arguments.AddRange(["-C", _configFile]);
        }

        var start = HostExecutable.StartInfo(arguments);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            _completion = Task.FromResult(new WorkerExit(null, Error: $"could not start {start.FileName}: {ex.Message}", CannotStart: true));
            return;
        }

        Pid = _process.Id;
        _completion = WaitAsync(_process);
    }

    public void RequestStop() => Signal(Posix.SigTerm);

    public void Kill(bool watchdog)
    {
        _watchdog |= watchdog;
        Signal(Posix.SigKill);
    }

    public void Reopen() => Signal(Posix.SigHup);

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            if (_completion is { IsCompleted: false })
            {
                Kill(watchdog: false);
                await _completion.ConfigureAwait(false);
            }

            process.Dispose();
        }
    }

    private void Signal(int signal)
    {
        if (_process is { } process && !process.HasExited && Pid is { } pid)
        {
            Posix.SendSignal(pid, signal);
        }
    }

    private async Task<WorkerExit> WaitAsync(Process process)
    {
        var reader = ReadHeartbeatsAsync(process.StandardOutput);
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await reader.ConfigureAwait(false);
        // Close our end of the stdin pipe only now: the child must never see EOF while we live.
        process.StandardInput.Dispose();
        return WorkerExit.FromProcess(process.ExitCode, _watchdog);
    }

    private static string? Truncate(string? text) =>
        text is { Length: > HeartbeatLine.MaxErrorLength } ? text[..HeartbeatLine.MaxErrorLength] + "..." : text;

    private async Task ReadHeartbeatsAsync(StreamReader stdout)
    {
        try
        {
            while (await stdout.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                switch (HeartbeatLine.TryParse(line))
                {
                    case { Type: HeartbeatLine.Ready }:
                        _ready = true;
                        break;
                    case { Type: HeartbeatLine.Beat } beat:
                        Volatile.Write(ref _heartbeat, new Heartbeat(_clock.GetUtcNow(), beat.LastLoop, beat.InFlight, beat.Since));
                        break;
                    case { Type: HeartbeatLine.PluginState, Plugin: { Length: > 0 } plugin } state:
                        Volatile.Write(ref _plugin, new PluginRunState(plugin, state.Version, Truncate(state.Error)));
                        break;
                    default:
                        _logger.LogInformation("{Slice} stdout: {Line}", _slice, line);
                        break;
                }
            }
        }
        catch (IOException)
        {
            // The child died mid-line.
        }
    }
}
