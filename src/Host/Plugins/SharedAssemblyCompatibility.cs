using System.Reflection;

namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// Decides whether a plugin compiled against the assemblies it shares with the host (MimeKit, Autofac,
/// Microsoft.Extensions.Logging.Abstractions: <see cref="PluginCatalog.SharedTypes"/>) can run on the
/// host's copies. A plugin always gets the host's copy of a shared assembly, so one compiled against a
/// newer version may call members the host's copy lacks (<see cref="MissingMethodException"/> on the
/// first message that reaches them): it is refused at load instead, in one line naming both versions.
/// The contract itself has its own rule (<see cref="AbstractionsCompatibility"/>).
/// </summary>
internal static class SharedAssemblyCompatibility
{
    /// <summary>Returns why the plugin is refused, or null when every shared reference is the host's version or older.</summary>
    public static string? Check(IEnumerable<AssemblyName> references, IReadOnlyList<AssemblyName> hostShared)
    {
        foreach (var reference in references)
        {
            if (reference.Version is not { } version || string.Equals(reference.Name, AbstractionsCompatibility.AssemblyName, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var host = hostShared.FirstOrDefault(h => string.Equals(h.Name, reference.Name, StringComparison.OrdinalIgnoreCase));
            if (host?.Version is { } hostVersion && version > hostVersion)
            {
                return $"built against {reference.Name} {version}, newer than the host's {hostVersion}: plugins run with the host's copy, "
                    + $"which may lack members the plugin uses; rebuild it against {reference.Name} {hostVersion} or upgrade the host";
            }
        }

        return null;
    }
}
