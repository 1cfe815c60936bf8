namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// Which plugin folders may define a wanted type, from their main assembly's metadata alone (nothing is
/// loaded): the named plugin of <c>PLUGIN:TYPE</c>, else every plugin defining a type of that full or
/// short name. A folder whose assembly is missing or cannot be read is kept, so that its failure is reported as before;
/// when no folder qualifies, all are kept, so that "not found" names every plugin searched.
/// </summary>
internal static class PluginSelection
{
    public static string[] Select(IReadOnlyList<string> folders, PluginTypeName wanted)
    {
        ArgumentNullException.ThrowIfNull(folders);
        ArgumentNullException.ThrowIfNull(wanted);
        string[] selected = [.. folders.Where(f => MayDefine(f, wanted))];
        return selected.Length > 0 ? selected : [.. folders];
    }

    private static bool MayDefine(string folder, PluginTypeName wanted)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        if (wanted.Plugin is { } plugin)
        {
            return string.Equals(name, plugin, StringComparison.Ordinal);
        }

        string assembly = Path.Combine(folder, name + ".dll");
        if (!File.Exists(assembly))
        {
            return true;
        }

        try
        {
            return PluginAssemblyMetadata.Read(assembly).TypeNames
                .Any(n => n == wanted.Type || PluginTypeName.ShortNameOf(n) == wanted.Type);
        }
        catch (Exception ex) when (ex is BadImageFormatException or IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }
}
