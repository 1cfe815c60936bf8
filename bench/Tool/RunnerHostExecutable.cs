using System.Diagnostics;
using RunnerHost.Hosting.Supervision;

namespace RunnerHost.Bench;

/// <summary>
/// How the master scenarios start the real <c>runner-host</c>: the host assembly this tool runs against
/// (the project reference puts <c>runner-host.dll</c>, its runtimeconfig and apphost in this tool's
/// output, and plugins/Plugins.targets puts <c>plugins/</c> beside them, as in the host's own output),
/// so the master finds its plugins as an installed one does. The apphost when it is there, as
/// <c>dotnet run --project src/Host</c> starts it; else <c>dotnet runner-host.dll</c>.
/// </summary>
internal static class RunnerHostExecutable
{
    /// <summary>The <c>runner-host.dll</c> loaded in this process.</summary>
    public static string Dll => typeof(HostExecutable).Assembly.Location;

    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string dll = Dll;
        if (dll.Length == 0 || !File.Exists(dll))
        {
            throw new InvalidOperationException("runner-host.dll is not beside runner-host-bench: build bench/Tool (dotnet build bench/Tool)");
        }

        string appHost = Path.Combine(Path.GetDirectoryName(dll)!, Path.GetFileNameWithoutExtension(dll));
        ProcessStartInfo start;
        if (File.Exists(appHost))
        {
            start = new ProcessStartInfo(appHost) { UseShellExecute = false };
        }
        else
        {
            start = new ProcessStartInfo(Muxer()) { UseShellExecute = false };
            start.ArgumentList.Add(dll);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    // This process's own muxer when it runs under "dotnet runner-host-bench.dll", else the one the SDK names, else PATH's.
    private static string Muxer() =>
        Environment.ProcessPath is { } process && Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? process
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
}
