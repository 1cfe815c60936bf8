using System.Reflection;
using RunnerHost.Configuration;

namespace RunnerHost.Hosting.Configuration;

/// <summary>
/// The check of a runner section's plugin keys, made once the runner's type is known (it needs the
/// plugin): every key the section sets must be RunnerHost's or one the type declares with
/// <see cref="RunnerSettingAttribute"/>; anything else is reported with file, line and a "did you mean".
/// </summary>
public static class RunnerKeyCheck
{
    /// <summary>One warning line per key of <c>[runner.NAME]</c> that neither RunnerHost nor <paramref name="runnerType"/> reads.</summary>
    public static IReadOnlyList<string> Check(HostConfiguration configuration, RunnerSettings settings, Type runnerType)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(runnerType);
        var declared = DeclaredKeys(runnerType);
        var warnings = new List<string>();
        foreach (var key in configuration.GetPluginKeys(settings.Name))
        {
            if (declared is not null && Matches(declared, key.Key))
            {
                continue;
            }

            string where = $"{key.Origin}: [{HostConfigurationFactory.RunnerPrefix}{settings.Name}] {key.Key}";
            if (declared is not null)
            {
                warnings.Add($"{where}: unknown key, read neither by RunnerHost nor by {runnerType.FullName}{KeySuggestion.Hint(key.Key, [.. RunnerKeys.Names, .. declared])}");
            }
            else if (KeySuggestion.Closest(key.Key, RunnerKeys.Names) is { } suggestion)
            {
                // Without declarations any other key may be the plugin's: only near-misses of RunnerHost's keys are certain.
                warnings.Add($"{where}: not a RunnerHost key; did you mean `{suggestion}`? ({runnerType.FullName} declares no [RunnerSetting] keys, so its own are not checked)");
            }
        }

        return warnings;
    }

    /// <summary>The keys a runner type declares (its base types' included), or null when it declares none.</summary>
    public static IReadOnlyList<string>? DeclaredKeys(Type runnerType)
    {
        ArgumentNullException.ThrowIfNull(runnerType);
        try
        {
            var keys = runnerType.GetCustomAttributes<RunnerSettingAttribute>(inherit: true)
                .SelectMany(a => a.Keys)
                .Where(k => !string.IsNullOrWhiteSpace(k))
                .Select(k => k.Trim())
                .ToList();
            return keys.Count == 0 ? null : keys;
        }
        catch (Exception ex) when (ex is TypeLoadException or FileNotFoundException or FileLoadException or BadImageFormatException or CustomAttributeFormatException)
        {
            // A plugin's metadata is not trusted: unreadable declarations count as none.
            return null;
        }
    }

    /// <summary>Whether <paramref name="key"/> is one of <paramref name="declared"/>, or starts with a declared <c>prefix*</c> (case-insensitive).</summary>
    public static bool Matches(IEnumerable<string> declared, string key)
    {
        ArgumentNullException.ThrowIfNull(declared);
        ArgumentNullException.ThrowIfNull(key);
        return declared.Any(entry => entry.EndsWith('*')
            ? key.StartsWith(entry[..^1], StringComparison.OrdinalIgnoreCase)
            : string.Equals(entry, key, StringComparison.OrdinalIgnoreCase));
    }
}
