namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// Finds the runner type a configuration names (<c>class</c>) among the loaded plugins: a full name
/// first, else a short name (<see cref="System.Reflection.MemberInfo.Name"/>) that exactly one plugin
/// defines; <c>PLUGIN:TYPE</c> searches one plugin only (<see cref="PluginTypeName"/>). A name that only
/// a plugin which failed to load defines is reported with that plugin's load failure.
/// </summary>
public sealed class RunnerTypeIndex
{
    private readonly PluginCatalog _catalog;

    public RunnerTypeIndex(PluginCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _catalog = catalog;
    }

    /// <summary>Resolves <paramref name="className"/> to a concrete runner type.</summary>
    /// <param name="className">A full type name (<c>Echo.EchoRunner</c>), a short one (<c>EchoRunner</c>), either after <c>PLUGIN:</c>.</param>
    /// <param name="origin">Where the name was configured (e.g. <c>runner.cfg:12 [runner.echo] class</c>); prefixes the error.</param>
    /// <exception cref="PluginException">Not found, ambiguous, not a runner, abstract, or its plugin failed to load; the message is one line.</exception>
    public Type Resolve(string className, string origin)
    {
        ArgumentException.ThrowIfNullOrEmpty(className);
        PluginTypeName name;
        try
        {
            name = PluginTypeName.Parse(className);
        }
        catch (PluginException ex)
        {
            throw Error(origin, ex.Message);
        }

        return name.Plugin is { } pluginName ? ResolveIn(pluginName, name.Type, origin) : ResolveAnywhere(name.Type, origin);
    }

    private Type ResolveAnywhere(string className, string origin)
    {
        var loaded = _catalog.LoadedPlugins.ToArray();
        var candidates = Find(loaded, className);
        if (candidates.Length == 0 && FailedPluginDefining(className) is { } failed)
        {
            throw Error(origin, $"'{className}' is defined by plugin '{failed.Name}', which did not load: {failed.Error}");
        }

        return candidates.Length switch
        {
            0 => throw Error(origin, $"no runner type named '{className}' in any plugin (searched {loaded.Length} plugins in {_catalog.Directory}){Unreadable()}"),
            1 => Check(candidates[0], origin),
            _ => throw Error(origin, $"runner type name '{className}' is ambiguous: {Describe(candidates)}; {Suggestion(candidates)}"),
        };
    }

    // Plugins whose dll could not even be read may define the type: their failures are the likely cause.
    private string Unreadable()
    {
        var unknown = _catalog.Plugins.Where(p => !p.IsLoaded && p.DefinedTypeNames.Count == 0 && File.Exists(p.AssemblyPath)).ToArray();
        return unknown.Length == 0 ? string.Empty : $"; not loaded, so not searched: {string.Join("; ", unknown.Select(p => p.Error))}";
    }

    private Type ResolveIn(string pluginName, string className, string origin)
    {
        var plugin = _catalog.Plugins.FirstOrDefault(p => string.Equals(p.Name, pluginName, StringComparison.Ordinal))
            ?? throw Error(origin, $"no plugin named '{pluginName}' in {_catalog.Directory} (plugins: {string.Join(", ", _catalog.Plugins.Select(p => p.Name))})");
        if (!plugin.IsLoaded)
        {
            throw Error(origin, plugin.Error!);
        }

        var candidates = Find([plugin], className);
        return candidates.Length switch
        {
            0 => throw Error(origin, $"plugin '{plugin.Name}' has no runner type named '{className}' (its runner types: {(plugin.RunnerTypes.Count == 0 ? "none" : string.Join(", ", plugin.RunnerTypes.Select(t => t.FullName)))})"),
            1 => Check(candidates[0], origin),
            _ => throw Error(origin, $"runner type name '{className}' is ambiguous in plugin '{plugin.Name}': {Describe(candidates)}; use the full name"),
        };
    }

    private static Candidate[] Find(IEnumerable<PluginInfo> plugins, string className)
    {
        var byFullName = Candidates(plugins, t => t.FullName == className);
        if (byFullName.Length > 0)
        {
            return byFullName;
        }

        // A short name prefers runner types, so a helper class of the same name elsewhere does not make it ambiguous.
        var shortNamed = Candidates(plugins, t => t.Name == className);
        var runners = shortNamed.Where(c => c.Plugin.RunnerTypes.Contains(c.Type)).ToArray();
        return runners.Length > 0 ? runners : shortNamed;
    }

    // A failed plugin's types are known from its metadata only: a match by full or short name.
    private PluginInfo? FailedPluginDefining(string className) =>
        _catalog.Plugins.FirstOrDefault(p => !p.IsLoaded && p.DefinedTypeNames.Any(n => n == className))
        ?? _catalog.Plugins.FirstOrDefault(p => !p.IsLoaded && p.DefinedTypeNames.Any(n => PluginTypeName.ShortNameOf(n) == className));

    private static string Describe(IEnumerable<Candidate> candidates) =>
        string.Join(", ", candidates.Select(c => $"'{c.Type.FullName}' in plugin '{c.Plugin.Name}'"));

    // Full names tell the candidates apart unless two plugins define the same one; then only PLUGIN:TYPE does.
    private static string Suggestion(Candidate[] candidates)
    {
        if (candidates.Select(c => c.Type.FullName).Distinct(StringComparer.Ordinal).Count() == candidates.Length)
        {
            return "use the full name";
        }

        var names = candidates.Select(c => $"'class: {c.Plugin.Name}:{c.Type.FullName}'").ToArray();
        return "name the plugin too: " + (names.Length == 2 ? $"{names[0]} or {names[1]}" : $"{string.Join(", ", names[..^1])} or {names[^1]}");
    }

    /// <summary>The loaded plugin whose main assembly defines <paramref name="runnerType"/>.</summary>
    /// <exception cref="PluginException">No loaded plugin defines the type.</exception>
    public PluginInfo PluginOf(Type runnerType)
    {
        ArgumentNullException.ThrowIfNull(runnerType);
        return _catalog.LoadedPlugins.FirstOrDefault(p => p.Assembly == runnerType.Assembly)
            ?? throw new PluginException($"'{runnerType.FullName}' is not defined by a loaded plugin in {_catalog.Directory}");
    }

    private static Candidate[] Candidates(IEnumerable<PluginInfo> plugins, Func<Type, bool> match) =>
        [.. plugins.SelectMany(p => p.Types.Where(t => !IsCompilerGenerated(t) && match(t)).Select(t => new Candidate(p, t)))];

    private static bool IsCompilerGenerated(Type type) => type.Name.Contains('<', StringComparison.Ordinal);

    private static Type Check(Candidate candidate, string origin)
    {
        var type = candidate.Type;
        string where = $"'{type.FullName}' in plugin '{candidate.Plugin.Name}'";
        if (!typeof(RunnerBase).IsAssignableFrom(type))
        {
            throw Error(origin, $"{where} does not derive from {typeof(Runner).FullName} or {typeof(ServiceRunner).FullName}");
        }

        if (type.IsAbstract)
        {
            throw Error(origin, $"{where} is abstract");
        }

        return type.ContainsGenericParameters
            ? throw Error(origin, $"{where} is an open generic type")
            : type;
    }

    private static PluginException Error(string origin, string problem) =>
        new(string.IsNullOrEmpty(origin) ? problem : $"{origin}: {problem}");

    private sealed record Candidate(PluginInfo Plugin, Type Type);
}
