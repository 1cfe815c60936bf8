using System.IO.Compression;
using System.Xml.Linq;
using Microsoft.Extensions.Logging.Abstractions;
using RunnerHost.Configuration;

namespace RunnerHost.Hosting.Plugins;

/// <summary>What <c>plugins install</c> did: the plugin, the version it replaced (null when new), its runner types.</summary>
public sealed record PluginInstallation(string Name, string? Version, string? ReplacedVersion, IReadOnlyList<string> RunnerTypes, string Folder);

/// <summary>
/// Installs a plugin build into the plugin directory the way a running master can take it: the build is
/// copied into a hidden staging folder beside the plugins, loaded and validated there exactly as a
/// runner would load it (contract version, shared assemblies, runner types), and only then exchanged
/// with the deployed folder in one step, so that watching runners see one change and reload once. A
/// refused build changes nothing. The replaced version is kept as a hidden folder until the next install.
/// </summary>
public sealed class PluginInstaller(string pluginDirectory)
{
    private const string StagingPrefix = ".staging-";
    private const string PreviousPrefix = ".previous-";

    /// <summary>Validates and installs <paramref name="source"/>: a build output folder or a <c>.nupkg</c>.</summary>
    /// <exception cref="PluginException">The build is refused; the message says why, in one line, and nothing changed.</exception>
    public PluginInstallation Install(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Directory.CreateDirectory(pluginDirectory);
        string staging = Path.Combine(pluginDirectory, StagingPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            string name = File.Exists(source) && source.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase)
                ? ExtractPackage(source, staging)
                : CopyBuild(source, staging);
            var loaded = Validate(staging, name, source);
            string deployed = Path.Combine(pluginDirectory, name);
            string? replaced = Directory.Exists(deployed) ? VersionOf(deployed, name) : null;
            string folder = Path.Combine(staging, name);
            RemovePrevious(name);
            if (Directory.Exists(deployed))
            {
                DirectorySwap.Exchange(folder, deployed);
                Directory.Move(folder, Path.Combine(pluginDirectory, PreviousPrefix + name));
            }
            else
            {
                Directory.Move(folder, deployed);
            }

            return loaded with { ReplacedVersion = replaced, Folder = deployed };
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Removes the deployed plugin <paramref name="name"/> (kept as its hidden previous version until the next install).</summary>
    /// <exception cref="PluginException">No such plugin.</exception>
    public string Remove(string name)
    {
        CheckName(name);
        string deployed = Path.Combine(pluginDirectory, name);
        if (!Directory.Exists(deployed))
        {
            throw new PluginException($"no plugin named '{name}' in {pluginDirectory}");
        }

        RemovePrevious(name);
        string previous = Path.Combine(pluginDirectory, PreviousPrefix + name);
        Directory.Move(deployed, previous);
        return previous;
    }

    /// <summary>The configured runners whose class is one of <paramref name="runnerTypes"/> of plugin <paramref name="name"/>.</summary>
    public static IEnumerable<string> AffectedRunners(IEnumerable<RunnerSettings> runners, string name, IReadOnlyCollection<string> runnerTypes) =>
        runners.Where(r => r.GetString("class") is { Length: > 0 } type && (type.StartsWith(name + ":", StringComparison.Ordinal)
                || runnerTypes.Any(full => full == type || full.EndsWith("." + type, StringComparison.Ordinal))))
            .Select(r => r.Name);

    private static void CheckName(string name)
    {
        if (name.Length == 0 || name.StartsWith('.') || name.AsSpan().IndexOfAny(['/', '\\', '\0']) >= 0 || name.Contains("..", StringComparison.Ordinal))
        {
            throw new PluginException($"'{name}' is not a plugin name");
        }
    }

    // A build output folder holds NAME.dll beside NAME.deps.json (the plugin's own dependency manifest).
    private static string CopyBuild(string source, string staging)
    {
        if (!Directory.Exists(source))
        {
            throw new PluginException($"{source}: neither a build output folder nor a .nupkg file");
        }

        var names = Directory.GetFiles(source, "*.deps.json").Select(f => Path.GetFileName(f)[..^".deps.json".Length])
            .Where(n => File.Exists(Path.Combine(source, n + ".dll"))).ToList();
        if (names.Count == 0 && File.Exists(Path.Combine(source, Path.GetFileName(Path.TrimEndingDirectorySeparator(source)) + ".dll")))
        {
            names.Add(Path.GetFileName(Path.TrimEndingDirectorySeparator(source)));
        }

        if (names.Count != 1)
        {
            throw new PluginException(names.Count == 0
                ? $"{source}: no plugin assembly found (a build output folder holds NAME.dll and NAME.deps.json)"
                : $"{source}: more than one plugin assembly ({string.Join(", ", names)}); install one build folder at a time");
        }

        CheckName(names[0]);
        CopyDirectory(source, Path.Combine(staging, names[0]));
        return names[0];
    }

    // A plugin's package: its id names the plugin; lib/<tfm>/ holds the build.
    private static string ExtractPackage(string package, string staging)
    {
        try
        {
            using var zip = ZipFile.OpenRead(package);
            var nuspec = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase) && !e.FullName.Contains('/', StringComparison.Ordinal))
                ?? throw new PluginException($"{package}: not a NuGet package (no .nuspec)");
            string name;
            using (var stream = nuspec.Open())
            {
                name = XDocument.Load(stream).Descendants().FirstOrDefault(e => e.Name.LocalName == "id")?.Value.Trim()
                    ?? throw new PluginException($"{package}: its .nuspec has no id");
            }

            CheckName(name);
            string prefix = $"lib/{AppContextFramework}/";
            string target = Path.Combine(staging, name);
            Directory.CreateDirectory(target);
            int files = 0;
            foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith(prefix, StringComparison.Ordinal) && e.Name.Length > 0))
            {
                string relative = entry.FullName[prefix.Length..];
                string path = Path.GetFullPath(Path.Combine(target, relative));
                if (!path.StartsWith(target + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    throw new PluginException($"{package}: entry {entry.FullName} points outside the plugin folder");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                entry.ExtractToFile(path);
                files++;
            }

            return files > 0 ? name : throw new PluginException($"{package}: no {prefix} folder (a plugin package carries its build for {AppContextFramework})");
        }
        catch (InvalidDataException ex)
        {
            throw new PluginException($"{package}: not a readable package: {ex.Message}", ex);
        }
    }

    // The target framework the host runs on, as package folders name it.
    private static string AppContextFramework => $"net{Environment.Version.Major}.{Environment.Version.Minor}";

    // Loaded and checked as a runner loads it, from the staging copy; unloaded again before the swap.
    private static PluginInstallation Validate(string staging, string name, string source)
    {
        using var catalog = new PluginCatalog(staging, NullLoggerFactory.Instance);
        var plugin = catalog.Plugins.Single();
        if (plugin.Error is { } error)
        {
            // The staging copy means nothing to the operator: name what they gave.
            throw new PluginException(error.Replace(Path.Combine(staging, name), source, StringComparison.Ordinal));
        }

        if (plugin.RunnerTypes.Count == 0)
        {
            throw new PluginException($"plugin '{name}': no runner types (no public class derived from Runner or ServiceRunner)");
        }

        return new PluginInstallation(name, plugin.Version, null, [.. plugin.RunnerTypes.Select(t => t.FullName!).Order(StringComparer.Ordinal)], string.Empty);
    }

    private static string? VersionOf(string folder, string name)
    {
        string dll = Path.Combine(folder, name + ".dll");
        try
        {
            // Read from the file's metadata, not loaded: the same version `plugins` shows for a loaded plugin.
            return File.Exists(dll)
                ? PluginCatalog.DisplayVersion(System.Diagnostics.FileVersionInfo.GetVersionInfo(dll).ProductVersion, System.Reflection.AssemblyName.GetAssemblyName(dll).Version)
                : null;
        }
        catch (Exception ex) when (ex is BadImageFormatException or IOException)
        {
            return null;
        }
    }

    private void RemovePrevious(string name)
    {
        string previous = Path.Combine(pluginDirectory, PreviousPrefix + name);
        if (Directory.Exists(previous))
        {
            Directory.Delete(previous, recursive: true);
        }
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (string directory in Directory.GetDirectories(source))
        {
            CopyDirectory(directory, Path.Combine(target, Path.GetFileName(directory)));
        }
    }
}
