using Microsoft.Extensions.Configuration;
using RunnerHost.Configuration;
using RunnerHost.Host.Lists;

namespace RunnerHost.Host.Configuration;

/// <summary>Turns a built configuration root into a validated <see cref="HostConfiguration"/>.</summary>
internal static class HostConfigurationFactory
{
    public const string RunnerPrefix = "runner.";
    public const string MasterSection = "runner.master";

    public static HostConfiguration Create(IConfigurationRoot root, string? configFile, IReadOnlyDictionary<string, string> environmentOverrides, string hostDir, string cwd)
    {
        var index = new ConfigurationIndex(root);
        var paths = ResolvePaths(root, index, environmentOverrides, hostDir, cwd, out var variables);
        var runners = ReadRunners(root, index, variables);
        var lists = ListSectionReader.Read(root, index);
        return new HostConfiguration(configFile, paths, runners, root, lists, ReadListManager(root, index, variables));
    }

    private static ListManagerSettings? ReadListManager(IConfigurationRoot root, ConfigurationIndex index, PathVariables variables)
    {
        var values = ReadSection(root, "lists");
        if (!values.TryGetValue("manager", out var className) || className.Trim().Length == 0)
        {
            return null;
        }

        var expanded = values.ToDictionary(p => p.Key, p => variables.ExpandRunnerValue(p.Value, "lists"), StringComparer.OrdinalIgnoreCase);
        return new ListManagerSettings(className.Trim(), index.Describe("lists", "manager"), expanded);
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
            variables.Get("plugin_dir"));
    }

    private static List<RunnerSettings> ReadRunners(IConfigurationRoot root, ConfigurationIndex index, PathVariables variables)
    {
        var master = ReadSection(root, MasterSection);
        ConfigurationValidator.ValidateRunner(MasterSection, master, key => index.Describe(MasterSection, key));

        var runners = new List<RunnerSettings>();
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
                    ? variables.ExpandRunnerPath(values[key], name)
                    : variables.ExpandRunnerValue(values[key], name);
            }

            runners.Add(new RunnerSettings(name, values, origins));
        }

        return runners;
    }
}
