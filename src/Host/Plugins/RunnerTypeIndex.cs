namespace RunnerHost.Host.Plugins;

/// <summary>
/// Finds the runner type a configuration names (<c>class</c>) among the loaded plugins: a full name
/// first, else a short name (<see cref="System.Reflection.MemberInfo.Name"/>) that exactly one plugin defines.
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
    /// <param name="className">A full type name (<c>Echo.EchoRunner</c>) or a short one (<c>EchoRunner</c>).</param>
    /// <param name="origin">Where the name was configured (e.g. <c>runner.cfg:12 [runner.echo] class</c>); prefixes the error.</param>
    /// <exception cref="PluginException">Not found, ambiguous, not a runner, or abstract; the message is one line.</exception>
    public Type Resolve(string className, string origin)
    {
        ArgumentException.ThrowIfNullOrEmpty(className);
        var loaded = _catalog.LoadedPlugins.ToArray();
        var byFullName = Candidates(loaded, t => t.FullName == className);
        if (byFullName.Length == 0)
        {
            // A short name prefers runner types, so a helper class of the same name elsewhere does not make it ambiguous.
            var shortNamed = Candidates(loaded, t => t.Name == className);
            var runners = shortNamed.Where(c => c.Plugin.RunnerTypes.Contains(c.Type)).ToArray();
            byFullName = runners.Length > 0 ? runners : shortNamed;
        }

        return byFullName.Length switch
        {
            0 => throw Error(origin, $"no runner type named '{className}' in any plugin (searched {loaded.Length} plugins in {_catalog.Directory})"),
            1 => Check(byFullName[0], origin),
            _ => throw Error(origin, $"runner type name '{className}' is ambiguous: {string.Join(", ", byFullName.Select(c => $"'{c.Type.FullName}' in plugin '{c.Plugin.Name}'"))}; use the full name"),
        };
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
        if (!typeof(Runner).IsAssignableFrom(type))
        {
            throw Error(origin, $"{where} does not derive from {typeof(Runner).FullName}");
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
