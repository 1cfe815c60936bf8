using System.Globalization;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.JetStream;

/// <summary>
/// The whole machine of a host dies: its master and every process under it are SIGKILLed at once, so no
/// child sees its stdin close and stops gracefully (what a child does when only its master dies).
/// </summary>
internal static class HostCrash
{
    private const int SigStop = 19;

    /// <summary>Freezes the master (so it starts no replacement), SIGKILLs its descendants, then the master; returns the pids killed.</summary>
    public static IReadOnlyList<int> Kill(RunningHost master)
    {
        if (!Posix.SendSignal(master.Id, SigStop))
        {
            throw new InvalidOperationException($"could not stop the master (pid {master.Id})");
        }

        var descendants = Descendants(master.Id);
        foreach (int pid in descendants)
        {
            Posix.SendSignal(pid, Posix.SigKill);
        }

        Posix.SendSignal(master.Id, Posix.SigKill);
        return [master.Id, .. descendants];
    }

    /// <summary>Every process below <paramref name="root"/>, read from /proc/*/stat.</summary>
    public static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
                string stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process is gone.
            }
        }

        var found = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out int parent))
        {
            foreach (int child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                found.Add(child);
                frontier.Enqueue(child);
            }
        }

        return found;
    }
}
