using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// A slice in a child <c>runner-host runner --runner X:S:C --supervised</c>. Its stdin is a pipe the
/// master never writes to (EOF = master gone), its stdout carries heartbeats (and the waiting and
/// cannot-start reports), its stderr is the master's, so its log lines land where the master's do.
/// </summary>
public sealed class ChildProcessWorker : ISliceWorker
{
    // After the child exited, how long its stdout may stay open (held by a grandchild it started) before
    // the master stops reading it: a stop must not wait for another process.
    private static readonly TimeSpan StdoutDrain = TimeSpan.FromSeconds(2);

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
    private volatile SliceWait? _waiting;
    private volatile string? _failure;

    public ChildProcessWorker(SliceId slice, string? configFile, TimeProvider clock, ILogger logger)
    {
        _slice = slice;
        _configFile = configFile;
        _clock = clock;
        _logger = logger;
    }

    public event Action? Reported;

    public int? Pid { get; private set; }

    public bool IsReady => _ready;

    public SliceWait? Waiting => _waiting;

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
        var reader = ReadHeartbeatsAsync(process.StandardOutput.BaseStream);
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        // Its last lines (a cannot-start reason) are read before the exit is reported; a pipe still held
        // open by a grandchild is left to the reader, which ends at its EOF.
        await Task.WhenAny(reader, Task.Delay(StdoutDrain, _clock, CancellationToken.None)).ConfigureAwait(false);
        // Close our end of the stdin pipe only now: the child must never see EOF while we live.
        process.StandardInput.Dispose();
        return WorkerExit.FromProcess(process.ExitCode, _watchdog, _failure);
    }

    private static string? Truncate(string? text) =>
        text is { Length: > HeartbeatLine.MaxErrorLength } ? text[..HeartbeatLine.MaxErrorLength] + "..." : text;

    private async Task ReadHeartbeatsAsync(Stream stdout)
    {
        var lines = new BoundedLineReader(stdout);
        try
        {
            while (await lines.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                switch (HeartbeatLine.TryParse(line))
                {
                    case { Type: HeartbeatLine.Waiting } waiting:
                        _waiting = new SliceWait(waiting.Holder is > 0 ? waiting.Holder : null, _clock.GetUtcNow(), waiting.Reason is { } why ? FailureText.OneLine(why) : null);
                        Reported?.Invoke();
                        break;
                    case { Type: HeartbeatLine.Failed, Reason: { } reason }:
                        _failure = FailureText.OneLine(reason);
                        break;
                    case { Type: HeartbeatLine.Ready }:
                        _waiting = null;
                        _ready = true;
                        Reported?.Invoke();
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
        catch (ObjectDisposedException)
        {
            // The process object was disposed while a grandchild kept the pipe open.
        }
    }
}
