using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RunnerHost.Hosting.Plugins;

/// <summary>One file of a plugin folder: its path relative to the folder, the path to read it from, its size and modification time.</summary>
internal sealed record PluginFolderEntry(string RelativePath, string SourcePath, long Length, DateTime LastWriteUtc);

/// <summary>
/// The files of a plugin folder as <c>stat</c> sees them, without opening any: what a deployment
/// changes (and so a cheap way to notice one, and to tell whether files settled), and what the
/// private copy copies. Symbolic links to files are followed, links to directories are not (no
/// loop can be built); a folder with more than <see cref="MaxFiles"/> files or <see cref="MaxBytes"/>
/// bytes is refused rather than copied.
/// </summary>
internal sealed class PluginFolderListing
{
    public const int MaxFiles = 10_000;
    public const long MaxBytes = 2L << 30;
    private const int MaxDepth = 32;

    private PluginFolderListing(IReadOnlyList<PluginFolderEntry> entries, string fingerprint)
    {
        Entries = entries;
        Fingerprint = fingerprint;
    }

    /// <summary>The files, in ordinal order of their relative paths.</summary>
    public IReadOnlyList<PluginFolderEntry> Entries { get; }

    /// <summary>A short digest of every path, size and modification time: equal fingerprints, same listing.</summary>
    public string Fingerprint { get; }

    /// <summary>The most recent modification time of any file; <see cref="DateTime.MinValue"/> for an empty folder.</summary>
    public DateTime NewestWriteUtc => Entries.Count == 0 ? DateTime.MinValue : Entries.Max(e => e.LastWriteUtc);

    /// <exception cref="PluginException">The folder is missing, unreadable or too large; one line.</exception>
    public static PluginFolderListing Read(string folder)
    {
        var entries = new List<PluginFolderEntry>();
        long total = 0;
        try
        {
            if (!Directory.Exists(folder))
            {
                throw new PluginException($"the folder {folder} does not exist");
            }

            Walk(new DirectoryInfo(folder), string.Empty, entries, ref total, 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginException($"cannot list its files: {PluginCatalog.OneLine(ex.Message)}", ex);
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        var text = new StringBuilder();
        foreach (var entry in entries)
        {
            text.Append(entry.RelativePath).Append('\0')
                .Append(entry.Length.ToString(CultureInfo.InvariantCulture)).Append('\0')
                .Append(entry.LastWriteUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return new PluginFolderListing(entries, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32]);
    }

    /// <summary>The fingerprint of the folder, or a word for why there is none (missing, unreadable); never throws.</summary>
    public static string FingerprintOf(string folder)
    {
        try
        {
            return Read(folder).Fingerprint;
        }
        catch (PluginException ex)
        {
            return "unreadable: " + ex.Message;
        }
    }

    private static void Walk(DirectoryInfo directory, string relative, List<PluginFolderEntry> entries, ref long total, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new PluginException($"its folders nest deeper than {MaxDepth} levels ({relative})");
        }

        foreach (var info in directory.EnumerateFileSystemInfos())
        {
            string path = relative.Length == 0 ? info.Name : relative + "/" + info.Name;
            if (info.LinkTarget is not null)
            {
                // Only a link to an existing regular-looking file is taken, as what it points to.
                if (info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true } target)
                {
                    Add(new PluginFolderEntry(path, info.FullName, target.Length, target.LastWriteTimeUtc), entries, ref total);
                }

                continue;
            }

            if (info is DirectoryInfo subdirectory)
            {
                Walk(subdirectory, path, entries, ref total, depth + 1);
            }
            else if (info is FileInfo file)
            {
                Add(new PluginFolderEntry(path, file.FullName, file.Length, file.LastWriteTimeUtc), entries, ref total);
            }
        }
    }

    private static void Add(PluginFolderEntry entry, List<PluginFolderEntry> entries, ref long total)
    {
        entries.Add(entry);
        total += entry.Length;
        if (entries.Count > MaxFiles)
        {
            throw new PluginException($"it has more than {MaxFiles} files");
        }

        if (total > MaxBytes)
        {
            throw new PluginException($"its files are larger than {MaxBytes >> 30} GiB");
        }
    }
}
