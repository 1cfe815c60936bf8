using System.Runtime.InteropServices;

namespace RunnerHost.Hosting.Supervision;

/// <summary>
/// The one place a process handles the signals operators and the master send (docs/cli.md, "Signals"): TERM and
/// INT ask for a graceful stop, HUP reopens the log files (logrotate, <c>runner-host reopen</c>) and never ends
/// the process, USR1 asks the master to restart its runners. A signal whose handler is not given keeps its
/// default action, except HUP, which is always caught so that a log rotation never kills a command.
/// </summary>
public sealed class ProcessSignals : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];

    /// <param name="onStop">TERM or INT; null leaves their default action (the process ends at once).</param>
    /// <param name="onHangup">HUP, after it was caught.</param>
    /// <param name="onUser1">USR1; null leaves its default action.</param>
    public ProcessSignals(Action<PosixSignal>? onStop, Action onHangup, Action? onUser1 = null)
    {
        ArgumentNullException.ThrowIfNull(onHangup);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (onStop is not null)
        {
            Handle(PosixSignal.SIGTERM, onStop);
            Handle(PosixSignal.SIGINT, onStop);
        }

        Handle(PosixSignal.SIGHUP, _ => onHangup());
        if (onUser1 is not null)
        {
            Handle((PosixSignal)Posix.SigUsr1, _ => onUser1());
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _registrations.Clear();
    }

    private void Handle(PosixSignal signal, Action<PosixSignal> handler) =>
        _registrations.Add(PosixSignalRegistration.Create(signal, context =>
        {
            // Handled here: the runtime's default action (terminate) must not follow.
            context.Cancel = true;
            handler(context.Signal);
        }));
}
