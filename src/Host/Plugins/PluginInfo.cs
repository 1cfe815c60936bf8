using System.Reflection;
using System.Runtime.Loader;

namespace RunnerHost.Hosting.Plugins;

/// <summary>One plugin folder as the catalog found it: loaded, or with the one-line reason it is not.</summary>
public sealed class PluginInfo
{
    internal PluginInfo(string name, string directory, string assemblyPath)
    {
        Name = name;
        Directory = directory;
        AssemblyPath = assemblyPath;
    }

    /// <summary>The folder name, which is also the plugin assembly's file name.</summary>
    public string Name { get; }

    /// <summary>The plugin folder (absolute).</summary>
    public string Directory { get; }

    /// <summary>The plugin's main assembly, <c>&lt;Directory&gt;/&lt;Name&gt;.dll</c>.</summary>
    public string AssemblyPath { get; }

    /// <summary>The informational version of the plugin assembly, else its assembly version; null when not loaded.</summary>
    public string? Version { get; private set; }

    /// <summary>The concrete classes assignable to the host's <see cref="Runner"/>.</summary>
    public IReadOnlyList<Type> RunnerTypes { get; private set; } = [];

    /// <summary>Why the plugin is not loaded, as one line naming the folder; null when loaded.</summary>
    public string? Error { get; private set; }

    /// <summary>True when the plugin loaded and validated.</summary>
    public bool IsLoaded => Error is null;

    /// <summary>The plugin's main assembly; null when not loaded.</summary>
    public Assembly? Assembly { get; private set; }

    /// <summary>The plugin's collectible load context, for <c>BeginLoadContextLifetimeScope</c>; null when not loaded.</summary>
    public AssemblyLoadContext? LoadContext { get; private set; }

    /// <summary>Every type of the plugin assembly, for name lookups.</summary>
    internal IReadOnlyList<Type> Types { get; private set; } = [];

    /// <summary>
    /// The full names of the types the main assembly defines, read from its metadata without loading it:
    /// known for a plugin that failed to load too, so a runner naming one of them is told why.
    /// </summary>
    internal IReadOnlyList<string> DefinedTypeNames { get; set; } = [];

    /// <summary>The folder the assemblies were loaded from: a private copy of <see cref="Directory"/>, or the folder itself.</summary>
    public string LoadedFrom { get; internal set; } = string.Empty;

    /// <summary>The private copy loaded from, when there is one.</summary>
    internal PluginSnapshot? Snapshot { get; set; }

    internal void MarkLoaded(Assembly assembly, AssemblyLoadContext loadContext, IReadOnlyList<Type> types, IReadOnlyList<Type> runnerTypes, string version)
    {
        Assembly = assembly;
        LoadContext = loadContext;
        Types = types;
        RunnerTypes = runnerTypes;
        Version = version;
    }

    internal void MarkFailed(string error) => Error = error;

    /// <summary>Drops every reference into the load context so that it can be collected.</summary>
    internal void Release()
    {
        Assembly = null;
        LoadContext = null;
        Types = [];
        RunnerTypes = [];
    }

    public override string ToString() => Error ?? $"plugin '{Name}' {Version} ({RunnerTypes.Count} runner types)";
}
