using System.Reflection;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Logging;

namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// Loads every plugin folder of a plugin directory, each into its own collectible load context, and
/// validates it eagerly (the Jellyfin pattern: load the assembly and call <c>GetTypes()</c>), so that a
/// broken plugin is reported at start-up, in one line, and does not stop the others.
/// </summary>
/// <remarks>
/// A folder <c>X</c> holding <c>X.dll</c> is a plugin. Disposing the catalog unloads every plugin; a load
/// context is collected only when nothing else references its types or objects (docs/plugins.md).
/// </remarks>
public sealed class PluginCatalog : IDisposable
{
    private readonly ILogger<PluginCatalog> _logger;
    private readonly List<PluginLoader> _loaders = [];
    private readonly List<PluginInfo> _plugins = [];
    private readonly PluginSnapshotStore? _snapshots;
    private bool _disposed;

    /// <summary>Loads every plugin folder in place (for inspection: nothing is written anywhere).</summary>
    public PluginCatalog(string pluginDirectory, ILoggerFactory loggerFactory)
        : this(pluginDirectory, loggerFactory, null)
    {
    }

    /// <summary>
    /// Loads every plugin folder, from a private copy in <paramref name="snapshots"/> when given (what
    /// running runners do, so that the deployed files can be replaced at any time: docs/plugins.md).
    /// </summary>
    public PluginCatalog(string pluginDirectory, ILoggerFactory loggerFactory, PluginSnapshotStore? snapshots)
        : this(pluginDirectory, loggerFactory, snapshots, wanted: null)
    {
    }

    /// <summary>
    /// Like <see cref="PluginCatalog(string, ILoggerFactory, PluginSnapshotStore)"/>, but with
    /// <paramref name="wanted"/> only the plugins that may define that type (<see cref="PluginSelection"/>):
    /// a runner process does not copy, load and JIT the others. <see cref="IsComplete"/> tells which.
    /// </summary>
    public PluginCatalog(string pluginDirectory, ILoggerFactory loggerFactory, PluginSnapshotStore? snapshots, PluginTypeName? wanted)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginDirectory);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        if (!Path.IsPathFullyQualified(pluginDirectory))
        {
            throw new ArgumentException($"The plugin directory must be an absolute path: '{pluginDirectory}'.", nameof(pluginDirectory));
        }

        if (!System.IO.Directory.Exists(pluginDirectory))
        {
            throw new PluginException($"plugin directory '{pluginDirectory}' does not exist");
        }

        _logger = loggerFactory.CreateLogger<PluginCatalog>();
        _snapshots = snapshots;
        Directory = Path.TrimEndingDirectorySeparator(pluginDirectory);
        // With plugin_dir set to var_dir, the copies would look like a plugin folder; hidden folders
        // are `plugins install`'s staging and the versions it replaced, never plugins.
        string[] folders = [.. System.IO.Directory.GetDirectories(Directory)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Where(f => snapshots is null || !string.Equals(Path.TrimEndingDirectorySeparator(f), Path.TrimEndingDirectorySeparator(snapshots.Root), StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
        string[] selected = wanted is null ? folders : PluginSelection.Select(folders, wanted);
        IsComplete = selected.Length == folders.Length;
        foreach (string folder in selected)
        {
            _plugins.Add(Load(folder));
        }

        if (IsComplete)
        {
            _logger.LogInformation("Loaded {Loaded} of {Total} plugins from {Directory}", _plugins.Count(p => p.IsLoaded), _plugins.Count, Directory);
        }
        else
        {
            _logger.LogInformation(
                "Loaded {Loaded} of the {Selected} plugins of {Total} in {Directory} that may define {Type}",
                _plugins.Count(p => p.IsLoaded),
                _plugins.Count,
                folders.Length,
                Directory,
                wanted);
        }
    }

    /// <summary>
    /// The assemblies whose types cross the plugin boundary: plugins always get the host's copy, so
    /// <c>Runner</c>, <c>MimeMessage</c>, <c>Autofac.Module</c> and <c>ILogger</c> are the same types on both sides.
    /// </summary>
    public static IReadOnlyList<Type> SharedTypes { get; } =
    [
        typeof(Runner),
        typeof(MimeKit.MimeMessage),
        typeof(Autofac.Module),
        typeof(ILogger),
        typeof(Microsoft.Extensions.DependencyInjection.IServiceCollection),
    ];

    // The host's versions of the shared assemblies, which a plugin must not have been compiled against newer ones of.
    private static IReadOnlyList<AssemblyName> HostSharedAssemblies { get; } = [.. SharedTypes.Select(t => t.Assembly.GetName())];

    /// <summary>The plugin directory (absolute).</summary>
    public string Directory { get; }

    /// <summary>Every plugin folder, loaded or not, in ordinal order of the folder names (only the selected ones unless <see cref="IsComplete"/>).</summary>
    public IReadOnlyList<PluginInfo> Plugins => _plugins;

    /// <summary>False when a wanted type left plugin folders out (they were neither copied nor loaded).</summary>
    public bool IsComplete { get; }

    /// <summary>The plugins that loaded.</summary>
    public IEnumerable<PluginInfo> LoadedPlugins => _plugins.Where(p => p.IsLoaded);

    /// <summary>Unloads every plugin. Runner scopes created from this catalog must be disposed first.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var plugin in _plugins)
        {
            plugin.Release();
        }

        foreach (var loader in _loaders)
        {
            loader.Dispose();
        }

        _loaders.Clear();
        foreach (var plugin in _plugins)
        {
            plugin.Snapshot?.Dispose();
        }
    }

    private PluginInfo Load(string folder)
    {
        string name = Path.GetFileName(folder);
        var plugin = new PluginInfo(name, folder, Path.Combine(folder, name + ".dll")) { LoadedFrom = folder };
        string? problem = Validate(plugin);
        if (problem is not null)
        {
            // Paths in the private copy mean nothing to an operator: name the deployed folder.
            if (plugin.LoadedFrom != folder)
            {
                problem = problem.Replace(plugin.LoadedFrom, folder, StringComparison.Ordinal);
            }

            plugin.MarkFailed($"plugin '{name}' ({folder}): {problem}");
            _logger.LogError("{PluginError}", plugin.Error);
        }
        else
        {
            _logger.LogInformation(
                "Plugin {Plugin} {Version}: {Count} runner types ({RunnerTypes})",
                name,
                plugin.Version,
                plugin.RunnerTypes.Count,
                string.Join(", ", plugin.RunnerTypes.Select(t => t.FullName)));
        }

        return plugin;
    }

    // Returns the one-line cause of a failure, or null once the plugin is loaded and validated.
    private string? Validate(PluginInfo plugin)
    {
        string fileName = plugin.Name + ".dll";
        if (!File.Exists(plugin.AssemblyPath))
        {
            return $"no {fileName} in the folder";
        }

        if (_snapshots is not null)
        {
            try
            {
                plugin.Snapshot = _snapshots.Acquire(plugin.Directory);
                plugin.LoadedFrom = plugin.Snapshot.Directory;
            }
            catch (PluginException ex)
            {
                return ex.Message;
            }
        }

        string assemblyPath = Path.Combine(plugin.LoadedFrom, fileName);
        PluginAssemblyMetadata metadata;
        try
        {
            // Reads only the metadata: rejects native or corrupt files, and plugins compiled against newer
            // shared assemblies, before a load context exists.
            metadata = PluginAssemblyMetadata.Read(assemblyPath);
        }
        catch (BadImageFormatException)
        {
            return $"{fileName} is not a .NET assembly";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot read {fileName}: {OneLine(ex.Message)}";
        }

        plugin.DefinedTypeNames = metadata.TypeNames;
        if (AbstractionsCompatibility.Check(metadata.References, typeof(Runner).Assembly.GetName().Version!) is { } incompatible)
        {
            return incompatible;
        }

        if (SharedAssemblyCompatibility.Check(metadata.References, HostSharedAssemblies) is { } newer)
        {
            return newer;
        }

        if (PluginDepsFile.Check(plugin.LoadedFrom, plugin.Name) is { } depsProblem)
        {
            return depsProblem;
        }

        PluginLoader? loader = null;
        string? problem;
        try
        {
            // Building the context reads the .deps.json too; whatever goes wrong stays this plugin's problem.
            loader = PluginLoader.CreateFromAssemblyFile(assemblyPath, [.. SharedTypes], config =>
            {
                config.PreferSharedTypes = true;
                config.IsUnloadable = true;
                // With PreferSharedTypes every assembly the host has resolves from the host anyway; eager
                // loading would only pull the shared assemblies' whole dependency closure (MimeKit's
                // BouncyCastle, System.Net.*, System.Private.Xml, ...) into every runner process up front.
                config.IsLazyLoaded = true;
            });
            problem = LoadAndCheck(plugin, loader, assemblyPath);
        }
        catch (Exception ex)
        {
            // Whatever a plugin does wrong, the host reports it and goes on with the other plugins.
            problem = $"failed to load: {ex.GetType().Name}: {OneLine(ex.Message)}";
        }

        if (problem is null)
        {
            _loaders.Add(loader!);
        }
        else
        {
            loader?.Dispose();
        }

        return problem;
    }

    private static string? LoadAndCheck(PluginInfo plugin, PluginLoader loader, string assemblyPath)
    {
        Assembly assembly;
        try
        {
            assembly = loader.LoadDefaultAssembly();
        }
        catch (BadImageFormatException)
        {
            return $"{plugin.Name}.dll is not a .NET assembly";
        }
        catch (Exception ex) when (ex is FileLoadException or IOException)
        {
            return $"cannot load {plugin.Name}.dll: {OneLine(ex.Message)}";
        }

        // Resolving every direct reference now names a deleted private dependency at start-up, not
        // on the first message that happens to reach the code using it.
        foreach (var reference in assembly.GetReferencedAssemblies())
        {
            try
            {
                _ = loader.LoadAssembly(reference);
            }
            catch (FileNotFoundException)
            {
                string missing = $"missing dependency {reference.FullName}: not in the plugin folder, its .deps.json or the host";
                return PluginDepsFile.EnableDynamicLoadingHint(Path.GetDirectoryName(assemblyPath)!, plugin.Name) is { } hint ? $"{missing}; {hint}" : missing;
            }
            catch (Exception ex) when (ex is FileLoadException or BadImageFormatException)
            {
                return $"cannot load dependency {reference.FullName}: {OneLine(ex.Message)}";
            }
        }

        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            string cause = ex.LoaderExceptions.FirstOrDefault(e => e is not null)?.Message ?? ex.Message;
            return $"types do not load, usually a dependency incompatible with the host's shared libraries: {OneLine(cause)}";
        }

        var runnerTypes = types
            .Where(t => t is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false } && typeof(RunnerBase).IsAssignableFrom(t))
            .ToArray();
        plugin.MarkLoaded(assembly, loader.LoadContext, types, runnerTypes, VersionOf(assembly));
        return null;
    }

    private static string VersionOf(Assembly assembly) =>
        DisplayVersion(assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion, assembly.GetName().Version);

    /// <summary>The version operators see: the informational version without the SDK's "+commit", else the assembly version.</summary>
    public static string DisplayVersion(string? informational, Version? assemblyVersion)
    {
        if (!string.IsNullOrEmpty(informational))
        {
            int plus = informational.IndexOf('+', StringComparison.Ordinal);
            return plus > 0 ? informational[..plus] : informational;
        }

        return assemblyVersion?.ToString() ?? "0.0.0.0";
    }

    internal static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
