using System.Text.Json;

namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// The plugin's <c>NAME.deps.json</c>, checked before a load context is built from it: the runtime's
/// dependency resolver throws on a corrupt one, and the cause should be one line about that file.
/// Also tells whether the plugin was built with <c>EnableDynamicLoading</c>.
/// </summary>
internal static class PluginDepsFile
{
    private const int MaxBytes = 16 << 20;

    /// <summary>Why the file cannot be used, or null (also when there is none: the runtime then probes the folder).</summary>
    public static string? Check(string folder, string name)
    {
        string path = Path.Combine(folder, name + ".deps.json");
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return null;
        }

        if (info.Length > MaxBytes)
        {
            return $"{name}.deps.json is larger than {MaxBytes >> 20} MiB; not read";
        }

        try
        {
            // Length 0 is also what a FIFO reports: never opened.
            if (info.Length == 0)
            {
                return $"{name}.deps.json is empty";
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 64 });
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? null
                : $"{name}.deps.json is not a JSON object";
        }
        catch (JsonException ex)
        {
            return $"{name}.deps.json is corrupt: {PluginCatalog.OneLine(ex.Message)}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot read {name}.deps.json: {PluginCatalog.OneLine(ex.Message)}";
        }
    }

    /// <summary>
    /// The hint for a missing dependency of a plugin built without <c>EnableDynamicLoading</c>: such a
    /// build copies none of its NuGet dependencies into its folder and writes no <c>NAME.runtimeconfig.json</c>.
    /// </summary>
    public static string? EnableDynamicLoadingHint(string folder, string name) =>
        File.Exists(Path.Combine(folder, name + ".runtimeconfig.json"))
            ? null
            : $"the plugin looks built without <EnableDynamicLoading>true</EnableDynamicLoading> (there is no {name}.runtimeconfig.json), "
              + "which leaves its dependencies out of its folder: set it in the plugin's project and rebuild (docs/plugins.md)";
}
