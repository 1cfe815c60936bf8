using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using RunnerHost.Configuration;
using RunnerHost.Lists;

namespace RunnerHost.Hosting.Configuration;

/// <summary>The validated, typed view of a configuration stack at the time it was built.</summary>
public sealed class HostConfiguration
{
    /// <summary>The log category of configuration warnings; the logging setup always lets its warnings through.</summary>
    public const string LogCategory = "RunnerHost.Configuration";

    private readonly Dictionary<string, RunnerSettings> _runnersByName;

    internal HostConfiguration(string? configFile, HostPaths paths, IReadOnlyList<RunnerSettings> runners, IConfigurationRoot root, IListManager lists, ListManagerSettings? listManager)
    {
        ConfigFile = configFile;
        Paths = paths;
        Runners = runners;
        Root = root;
        Lists = lists;
        ListManager = listManager;
        _runnersByName = runners.ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The absolute path of the configuration file layer, or null when only defaults and pushed layers are used.</summary>
    public string? ConfigFile { get; }

    /// <summary>The expanded <c>[paths]</c>.</summary>
    public HostPaths Paths { get; }

    /// <summary>Every <c>[runner.NAME]</c> except master, in configuration order (built-in sections first).</summary>
    public IReadOnlyList<RunnerSettings> Runners { get; }

    /// <summary>The raw configuration.</summary>
    public IConfigurationRoot Root { get; }

    /// <summary>The mailing lists of the <c>[list.NAME]</c> sections.</summary>
    public IListManager Lists { get; }

    /// <summary>A plugin list manager that replaces <see cref="Lists"/>, when <c>[lists] manager</c> names one.</summary>
    public ListManagerSettings? ListManager { get; }

    /// <summary>The <c>[queues]</c> section: which back end holds the queues (files unless set).</summary>
    public QueueBackendSettings QueueBackend { get; init; } = QueueBackendSettings.FileDefault;

    /// <summary>The <c>[tracing]</c> section: off unless it names an exporter (docs/tracing.md).</summary>
    public Diagnostics.Tracing.TracingSettings Tracing { get; init; } = Diagnostics.Tracing.TracingSettings.Off;

    /// <summary>
    /// Problems that do not stop the configuration from working, one line each naming file and line:
    /// no configuration file found, a repeated or unknown section, a near-miss of a RunnerHost key.
    /// Commands print them once; the runner's plugin keys are checked later (<see cref="RunnerKeyCheck"/>).
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Per runner, the keys its own section sets that are not RunnerHost's: the plugin's, or misspelt.</summary>
    internal IReadOnlyDictionary<string, IReadOnlyList<SectionKey>> PluginKeys { get; init; } = new Dictionary<string, IReadOnlyList<SectionKey>>();

    /// <summary>The keys <c>[runner.NAME]</c> itself sets that RunnerHost does not read, with their origins; empty for an unknown runner.</summary>
    public IReadOnlyList<SectionKey> GetPluginKeys(string runnerName) =>
        PluginKeys.TryGetValue(runnerName, out var keys) ? keys : [];

    /// <summary>The settings of one runner.</summary>
    /// <exception cref="ConfigurationException">There is no such runner section.</exception>
    public RunnerSettings GetRunner(string name) =>
        TryGetRunner(name, out var settings)
            ? settings
            : throw new ConfigurationException($"No [runner.{name}] section in {ConfigFile ?? "the configuration"}");

    /// <summary>Finds the settings of one runner (case-insensitive).</summary>
    public bool TryGetRunner(string name, [MaybeNullWhen(false)] out RunnerSettings settings) =>
        _runnersByName.TryGetValue(name, out settings);
}
