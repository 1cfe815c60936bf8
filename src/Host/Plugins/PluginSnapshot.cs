namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// A private, immutable copy of a plugin folder, held (leased) for as long as a catalog loads from
/// it: the lease is a shared <c>flock</c> on its <c>.lease</c> file, which the kernel drops when the
/// process dies, and a copy is deleted only by whoever gets the lock exclusively.
/// </summary>
public sealed class PluginSnapshot : IDisposable
{
    private readonly FileStream _lease;

    internal PluginSnapshot(string directory, string contentHash, string sourceFingerprint, FileStream lease)
    {
        Directory = directory;
        ContentHash = contentHash;
        SourceFingerprint = sourceFingerprint;
        _lease = lease;
    }

    /// <summary>The copy's folder: <c>$var_dir/plugin-copies/NAME/HASH</c>.</summary>
    public string Directory { get; }

    /// <summary>The digest of every file's path and bytes; the copy's folder name.</summary>
    public string ContentHash { get; }

    /// <summary>The <see cref="PluginFolderListing.Fingerprint"/> of the deployed folder the copy was taken from.</summary>
    public string SourceFingerprint { get; }

    public void Dispose() => _lease.Dispose();
}
