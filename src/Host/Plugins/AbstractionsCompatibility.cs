using System.Reflection;

namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// Decides whether a plugin's reference to <c>RunnerHost.Abstractions</c> can bind to the host's copy.
/// </summary>
/// <remarks>
/// Rule (docs/abstractions-versioning.md): the referenced major version must equal the host's, and the
/// referenced minor version must not be higher than the host's, because a plugin built against a newer
/// minor may call members the host's contract lacks (a <see cref="MissingMethodException"/> at run time
/// instead of a clear refusal at load time). Build and revision numbers are ignored.
/// </remarks>
internal static class AbstractionsCompatibility
{
    public const string AssemblyName = "RunnerHost.Abstractions";

    /// <summary>Returns why the plugin's contract reference is refused, or null when it is accepted (or absent).</summary>
    public static string? Check(IEnumerable<AssemblyName> references, Version hostVersion)
    {
        var reference = references.FirstOrDefault(r => string.Equals(r.Name, AssemblyName, StringComparison.OrdinalIgnoreCase));
        if (reference?.Version is not { } version)
        {
            return null;
        }

        if (version.Major != hostVersion.Major)
        {
            return $"built against {AssemblyName} {version}, the host has {hostVersion}: the major version must match";
        }

        return version.Minor > hostVersion.Minor
            ? $"built against {AssemblyName} {version}, newer than the host's {hostVersion}: the plugin may use members the host lacks"
            : null;
    }
}
