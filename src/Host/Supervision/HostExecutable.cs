using System.Diagnostics;
using System.Reflection;

namespace RunnerHost.Hosting.Supervision;

/// <summary>How to start this same runner-host again: the apphost, or <c>dotnet runner-host.dll</c> when run under dotnet.</summary>
public static class HostExecutable
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string process = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(process) { UseShellExecute = false };
        // Under "dotnet runner-host.dll" the process is the muxer: pass it the entry assembly again.
        if (Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            && Assembly.GetEntryAssembly()?.Location is { Length: > 0 } entry)
        {
            start.ArgumentList.Add(entry);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}
