using System.Reflection;
using RunnerHost.Configuration;

namespace RunnerHost.Host.Composition;

/// <summary>Finds the runner type a <c>class:</c> value names: a full type name, or a short name that exactly one candidate type has.</summary>
public sealed class RunnerTypeResolver(IEnumerable<Assembly> assemblies)
{
    private readonly IReadOnlyList<Type> _runnerTypes = assemblies
        .SelectMany(LoadableTypes)
        .Where(t => t is { IsClass: true } && typeof(Runner).IsAssignableFrom(t))
        .ToList();

    /// <summary>The runner types that can be named, abstract ones included (they are reported, not created).</summary>
    public IReadOnlyList<Type> RunnerTypes => _runnerTypes;

    public Type Resolve(RunnerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string className = settings.ClassName.Trim();
        if (className.Length == 0)
        {
            throw new RunnerCreationException(settings.Describe("class", "no runner class given"));
        }

        var matches = _runnerTypes.Where(t => t.FullName == className).ToList();
        if (matches.Count == 0)
        {
            matches = _runnerTypes.Where(t => t.Name == className).ToList();
        }

        return matches.Count switch
        {
            0 => throw new RunnerCreationException(settings.Describe("class", $"no runner type named '{className}' is loaded")),
            1 when matches[0].IsAbstract => throw new RunnerCreationException(settings.Describe("class", $"'{matches[0].FullName}' is abstract")),
            1 => matches[0],
            _ => throw new RunnerCreationException(settings.Describe(
                "class",
                $"'{className}' is ambiguous: {string.Join(", ", matches.Select(t => $"{t.FullName} ({t.Assembly.GetName().Name})"))}; use the full type name")),
        };
    }

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.OfType<Type>();
        }
    }
}
