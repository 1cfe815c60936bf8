using System.Globalization;
using System.Text;

namespace RunnerHost.Hosting.Supervision.Systemd;

/// <summary>
/// The one line <c>systemctl status</c> shows after "Status:", built from the master's status, e.g.
/// <c>6 of 6 slices running; 0 restarts within restart_window</c> or
/// <c>4 of 6 slices running, 1 backoff, 1 failed (archive:0/1); 7 restarts within restart_window</c>.
/// </summary>
public static class SystemdStatusLine
{
    private const int MaxNamed = 3;

    public static string From(StatusSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var slices = snapshot.Slices;
        int running = slices.Count(s => s.State == SliceState.Running);
        var line = new StringBuilder();
        if (snapshot.Stopping)
        {
            line.Append("stopping: ");
        }

        line.Append(CultureInfo.InvariantCulture, $"{running} of {slices.Count} slices running");
        foreach (var group in slices.Where(s => s.State != SliceState.Running).GroupBy(s => s.State).OrderBy(g => g.Key))
        {
            line.Append(CultureInfo.InvariantCulture, $", {group.Count()} {Name(group.Key)}");
            if (group.Key == SliceState.Failed)
            {
                var named = group.Take(MaxNamed).Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Runner}:{s.Slice}/{s.Count}"));
                line.Append(" (").AppendJoin(", ", named).Append(group.Count() > MaxNamed ? ", …)" : ")");
            }
        }

        int restarts = slices.Sum(s => s.RestartsInWindow);
        line.Append(CultureInfo.InvariantCulture, $"; {restarts} restart{(restarts == 1 ? "" : "s")} within restart_window");
        // Runner names come from the configuration: one line whatever they hold.
        return FailureText.OneLine(line.ToString());
    }

    private static string Name(SliceState state) => state.ToString().ToLowerInvariant();
}
