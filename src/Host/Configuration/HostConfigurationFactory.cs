using Microsoft.Extensions.Configuration;
using RunnerHost.Configuration;
using RunnerHost.Hosting.Diagnostics.Tracing;
using RunnerHost.Hosting.Lists;

namespace RunnerHost.Hosting.Configuration;

/// <summary>Turns a built configuration root into a validated <see cref="HostConfiguration"/>.</summary>
internal static class HostConfigurationFactory
{
    public const string RunnerPrefix = "runner.";
    public const string MasterSection = "runner.master";
    public const string ListsSection = "lists";

    public static HostConfiguration Create(
        IConfigurationRoot root, string? configFile, IReadOnlyDictionary<string, string> environmentOverrides, string hostDir, string cwd, IReadOnlyList<string>? searched = null)
    {
        var index = new ConfigurationIndex(root);
        var warnings = new List<string>();
        var paths = ResolvePaths(root, index, environmentOverrides, hostDir, cwd, out var variables);
        if (searched is { Count: > 0 })
        {
            warnings.Add($"no configuration file found (tried {string.Join(", ", searched)}); using the built-in defaults, var_dir {paths.VarDir}. Name the file with -C FILE or ${ConfigurationStack.ConfigFileEnvironmentVariable}");
        }

        warnings.AddRange(index.ParseWarnings);
        warnings.AddRange(UnknownSections(index));
        var runners = ReadRunners(root, index, variables, warnings, out var pluginKeys);
        CheckSharedQueues(runners);
        var lists = ListSectionReader.Read(root, index);
        var queues = QueueBackendSettings.Read(ReadSection(root, QueueBackendSettings.Section), key => index.Describe(QueueBackendSettings.Section, key));
        var tracing = TracingSettings.Read(ReadSection(root, TracingSettings.Section), key => index.Describe(TracingSettings.Section, key));
        return new HostConfiguration(configFile, paths, runners, root, lists, ReadListManager(root, index, variables))
        {
            QueueBackend = queues,
            Tracing = tracing,
            Warnings = warnings,
            PluginKeys = pluginKeys,
        };
    }

    private static ListManagerSettings? ReadListManager(IConfigurationRoot root, ConfigurationIndex index, PathVariables variables)
    {
        var values = ReadSection(root, ListsSection);
        if (!values.TryGetValue("manager", out var className) || className.Trim().Length == 0)
        {
            return null;
        }

        var expanded = values.ToDictionary(
            p => p.Key,
            p => variables.ExpandRunnerValue(p.Value, ListsSection, ListsSection, p.Key, index.Describe(ListsSection, p.Key)),
            StringComparer.OrdinalIgnoreCase);
        return new ListManagerSettings(className.Trim(), index.Describe(ListsSection, "manager"), expanded);
    }

    internal static Dictionary<string, string> ReadSection(IConfigurationRoot root, string section)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var child in root.GetSection(section).GetChildren())
        {
            if (child.Value is not null)
            {
                values[child.Key] = child.Value;
            }
        }

        return values;
    }

    /// <summary>Sections no part of RunnerHost reads: ignored, with a warning (a misspelt <c>[runners.in]</c> would otherwise just not run).</summary>
    private static IEnumerable<string> UnknownSections(ConfigurationIndex index)
    {
        string[] plain = [PathVariables.Section, ListsSection, QueueBackendSettings.Section, TracingSettings.Section];
        string[] prefixes = ["runner", "list"];
        foreach (var section in index.Sections)
        {
            int dot = section.IndexOf('.', StringComparison.Ordinal);
            string prefix = dot < 0 ? section : section[..dot];
            bool known = dot < 0
                ? plain.Contains(section, StringComparer.OrdinalIgnoreCase)
                : prefixes.Contains(prefix, StringComparer.OrdinalIgnoreCase);
            if (known)
            {
                continue;
            }

            string? suggestion = dot < 0
                ? KeySuggestion.Closest(section, plain)
                : KeySuggestion.Closest(prefix, prefixes) is { } close ? close + section[dot..] : null;
            string hint = suggestion is null ? string.Empty : $"; did you mean [{suggestion}]?";
            yield return $"{index.GetSectionOrigin(section)}: [{section}]: unknown section, ignored (known: [paths], [queues], [tracing], [lists], [list.NAME], [runner.NAME]){hint}";
        }
    }

    private static HostPaths ResolvePaths(IConfigurationRoot root, ConfigurationIndex index, IReadOnlyDictionary<string, string> environmentOverrides, string hostDir, string cwd, out PathVariables variables)
    {
        var raw = ReadSection(root, PathVariables.Section);
        string Describe(string key) =>
            environmentOverrides.ContainsKey(key)
                ? $"<env RUNNER_HOST_{key.ToUpperInvariant()}>"
                : index.Describe(PathVariables.Section, key);

        ConfigurationValidator.ValidatePathKeys(raw.Keys, Describe);
        foreach (var (key, value) in environmentOverrides)
        {
            raw[key] = value;
        }

        foreach (var key in ConfigurationValidator.PathKeys)
        {
            if (!raw.TryGetValue(key, out var value) || value.Length == 0)
            {
                throw ConfigurationException.ForValue(Describe(key), PathVariables.Section, key, "no directory given");
            }
        }

        variables = new PathVariables(raw, Describe, hostDir, cwd);
        return new HostPaths(
            variables.Get("var_dir"),
            variables.Get("queue_dir"),
            variables.Get("log_dir"),
            variables.Get("lock_dir"),
            variables.Get("archive_dir"),
            variables.Get("plugin_dir"))
        {
            Origins = ConfigurationValidator.PathKeys.ToDictionary(k => k, Describe, StringComparer.OrdinalIgnoreCase),
        };
    }

    private static List<RunnerSettings> ReadRunners(
        IConfigurationRoot root, ConfigurationIndex index, PathVariables variables, List<string> warnings, out Dictionary<string, IReadOnlyList<SectionKey>> pluginKeys)
    {
        var master = ReadSection(root, MasterSection);
        ConfigurationValidator.ValidateRunner(MasterSection, master, key => index.Describe(MasterSection, key));
        foreach (var key in OwnKeys(index, MasterSection, master.Keys).Where(k => !RunnerKeys.IsHostKey(k.Key)))
        {
            // Keys of [runner.master] are inherited by every runner, so any plugin may read them: only near-misses of RunnerHost's keys are flagged.
            if (KeySuggestion.Closest(key.Key, RunnerKeys.Names) is { } suggestion)
            {
                warnings.Add($"{key.Origin}: [{MasterSection}] {key.Key}: not a RunnerHost key; did you mean `{suggestion}`?");
            }
        }

        var runners = new List<RunnerSettings>();
        pluginKeys = new Dictionary<string, IReadOnlyList<SectionKey>>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in index.Sections)
        {
            if (!section.StartsWith(RunnerPrefix, StringComparison.OrdinalIgnoreCase)
                || string.Equals(section, MasterSection, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var name = section[RunnerPrefix.Length..];
            if (name.Length == 0)
            {
                throw new ConfigurationException($"{index.GetSectionOrigin(section)}: [{section}]: runner section without a name");
            }

            var own = ReadSection(root, section);
            var values = new Dictionary<string, string>(master, StringComparer.OrdinalIgnoreCase);
            var origins = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in own)
            {
                values[key] = value;
            }

            foreach (var key in values.Keys)
            {
                // Built-in defaults get no origin, as RunnerSettings.GetOrigin documents.
                var origin = index.GetOrigin(section, key) ?? index.GetOrigin(MasterSection, key);
                if (origin is { IsDefault: false })
                {
                    origins[key] = origin.ToString();
                }
            }

            string Describe(string key) =>
                origins.GetValueOrDefault(key) ?? index.GetSectionOrigin(section)?.ToString() ?? "the configuration";

            ConfigurationValidator.ValidateRunner(section, values, Describe);
            foreach (var key in values.Keys.ToList())
            {
                values[key] = string.Equals(key, "path", StringComparison.OrdinalIgnoreCase)
                    ? variables.ExpandRunnerPath(values[key], name, section, key, Describe(key))
                    : variables.ExpandRunnerValue(values[key], name, section, key, Describe(key));
            }

            runners.Add(new RunnerSettings(name, values, origins));
            pluginKeys[name] = [.. OwnKeys(index, section, own.Keys).Where(k => !RunnerKeys.IsHostKey(k.Key))];
        }

        return runners;
    }

    /// <summary>The keys of <paramref name="keys"/> that a configuration file or pushed layer sets in the section itself, with their origins.</summary>
    private static IEnumerable<SectionKey> OwnKeys(ConfigurationIndex index, string section, IEnumerable<string> keys) =>
        keys.Select(key => (Key: key, Origin: index.GetOrigin(section, key)))
            .Where(k => k.Origin is { IsDefault: false })
            .OrderBy(k => k.Origin!.File, StringComparer.Ordinal)
            .ThenBy(k => k.Origin!.Line)
            .Select(k => new SectionKey(k.Key, k.Origin!.ToString()));

    /// <summary>Two runners on one queue directory must cut it into the same slices, or two slices would take (and recover) the same entries.</summary>
    private static void CheckSharedQueues(List<RunnerSettings> runners)
    {
        var byPath = new Dictionary<string, RunnerSettings>(StringComparer.Ordinal);
        foreach (var runner in runners)
        {
            if (runner.QueuePath is not { } path)
            {
                continue;
            }

            string key = Path.TrimEndingDirectorySeparator(path);
            if (!byPath.TryAdd(key, runner) && byPath[key] is var first && first.Instances != runner.Instances)
            {
                string where = runner.GetOrigin("instances") ?? runner.GetOrigin("path") ?? "(built-in default)";
                throw ConfigurationException.ForValue(
                    where,
                    RunnerPrefix + runner.Name,
                    "instances",
                    $"{runner.Instances} differs from instances: {first.Instances} of [runner.{first.Name}] ({first.GetOrigin("instances") ?? first.GetOrigin("path") ?? "built-in default"}), which has the same queue {path}: their slices would overlap");
            }
        }
    }
}
