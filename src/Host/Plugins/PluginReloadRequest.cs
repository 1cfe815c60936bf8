using System.Globalization;

namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// <c>runner-host plugins reload NAME</c>'s request: a file <c>$var_dir/plugin-copies/NAME/reload.request</c>
/// rewritten (atomically, with new content) on each request. Every process running NAME's runners
/// watches it; a new content is the request. The deployed files are never touched by it.
/// </summary>
public static class PluginReloadRequest
{
    private const int MaxBytes = 256;

    public static string PathOf(string varDirectory, string pluginName) =>
        Path.Combine(PluginSnapshotStore.RootOf(varDirectory), pluginName, "reload.request");

    /// <summary>Writes a new request.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + ".tmp";
        File.WriteAllText(temp, string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.UtcNow:O} {Guid.NewGuid():N}\n"));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The current request's content, or empty when there is none or it cannot be read; never throws or blocks.</summary>
    public static string Read(string path)
    {
        try
        {
            var info = new FileInfo(path);
            // Length 0 is also what a FIFO reports: never opened.
            if (!info.Exists || info.Length == 0)
            {
                return string.Empty;
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = new byte[MaxBytes];
            int read = stream.Read(buffer, 0, buffer.Length);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
