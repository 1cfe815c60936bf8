using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace RunnerHost.Hosting.Plugins;

/// <summary>
/// Keeps private copies of plugin folders under <c>$var_dir/plugin-copies/NAME/HASH</c>, keyed by a digest
/// of the files' paths and bytes, and loads plugins from there instead of the deployed folder.
/// </summary>
/// <remarks>
/// Why: a loaded assembly is memory-mapped, so overwriting the deployed file in place (<c>cp</c>)
/// changes code under a running runner (<c>SecurityException: Invalid assembly public key</c>,
/// <c>CultureNotFoundException</c> while a copy is half done), and on Linux the runtime reuses an
/// already opened image for the same path, so a new load context loading the same path again gets
/// the old code (dotnet/runtime#112911). A copy per content has a path per version and is never
/// written again, so the deployed folder can be overwritten, renamed or deleted at any time.
/// A copy is taken only from files that settled: none modified within the quiet period, and the
/// same listing before and after reading them. Copies no process holds are deleted when a new one
/// of the same plugin is made.
/// </remarks>
public sealed class PluginSnapshotStore
{
    private const string LeaseFile = ".lease";
    private const string TempPrefix = ".tmp-";
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StaleTemp = TimeSpan.FromHours(1);

    private readonly ILogger _logger;

    public PluginSnapshotStore(string root, ILogger logger, TimeSpan? quietPeriod = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(logger);
        Root = Path.GetFullPath(root);
        _logger = logger;
        QuietPeriod = quietPeriod ?? TimeSpan.FromMilliseconds(500);
    }

    /// <summary>Where the copies are: <c>$var_dir/plugin-copies</c>.</summary>
    public string Root { get; }

    /// <summary>How long the newest file of a folder must be unmodified before it is copied.</summary>
    public TimeSpan QuietPeriod { get; }

    /// <summary>The store of a var directory.</summary>
    public static string RootOf(string varDirectory) => Path.Combine(varDirectory, "plugin-copies");

    /// <summary>
    /// Returns a leased copy of <paramref name="pluginFolder"/>'s current files, reusing the copy of
    /// the same content if there is one. Waits (at most 20 s) for the files to settle.
    /// </summary>
    /// <exception cref="PluginException">The folder cannot be read or copied, or kept changing; one line.</exception>
    public PluginSnapshot Acquire(string pluginFolder, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginFolder);
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(pluginFolder));
        string copies = Path.Combine(Root, name);
        try
        {
            CreatePrivateDirectory(copies);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginException($"cannot make its private copy under {Root}: {PluginCatalog.OneLine(ex.Message)}", ex);
        }

        var deadline = DateTime.UtcNow + SettleLimit;
        string why = "its files kept changing";
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var before = PluginFolderListing.Read(pluginFolder);
            if (DateTime.UtcNow - before.NewestWriteUtc < QuietPeriod)
            {
                Wait(cancellationToken);
                continue;
            }

            if (Hash(before, copyTo: null) is not { } hash || PluginFolderListing.Read(pluginFolder).Fingerprint != before.Fingerprint)
            {
                Wait(cancellationToken);
                continue;
            }

            string target = Path.Combine(copies, hash);
            if (TryLease(target) is { } existing)
            {
                Prune(copies, keep: target);
                return new PluginSnapshot(target, hash, before.Fingerprint, existing);
            }

            string temp = Path.Combine(copies, TempPrefix + Guid.NewGuid().ToString("N"));
            FileStream? lease = null;
            try
            {
                if (Hash(before, copyTo: temp) != hash)
                {
                    why = "its files changed while they were copied";
                    Wait(cancellationToken);
                    continue;
                }

                // Leased before it becomes visible, so no other process can prune it in between.
                var leaseOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite | FileShare.Delete };
                if (!OperatingSystem.IsWindows())
                {
                    leaseOptions.UnixCreateMode = FileMode0640;
                }

                lease = new FileStream(Path.Combine(temp, LeaseFile), leaseOptions);
                System.IO.Directory.Move(temp, target);
                _logger.LogInformation("Plugin {Plugin}: private copy {Copy} of {Folder}", name, target, pluginFolder);
                var snapshot = new PluginSnapshot(target, hash, before.Fingerprint, lease);
                lease = null;
                Prune(copies, keep: target);
                return snapshot;
            }
            catch (IOException) when (System.IO.Directory.Exists(target))
            {
                // Another process made the same copy first: use it (next round).
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new PluginException($"cannot make its private copy in {copies}: {PluginCatalog.OneLine(ex.Message)}", ex);
            }
            finally
            {
                lease?.Dispose();
                DeleteQuietly(temp);
            }
        }

        throw new PluginException(string.Create(CultureInfo.InvariantCulture, $"{why} for {SettleLimit.TotalSeconds:0}s; not loaded"));
    }

    private void Wait(CancellationToken cancellationToken) =>
        cancellationToken.WaitHandle.WaitOne(QuietPeriod / 2);

    // The digest of the listed files' paths and bytes, copying them to copyTo if given; null when a
    // file is no longer as listed (it changed while being read).
    private static string? Hash(PluginFolderListing listing, string? copyTo)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        Span<byte> length = stackalloc byte[8];
        if (copyTo is not null)
        {
            CreatePrivateDirectory(copyTo);
        }

        foreach (var entry in listing.Entries)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(entry.RelativePath));
            BinaryPrimitives.WriteInt64LittleEndian(length, entry.Length);
            hash.AppendData([0]);
            hash.AppendData(length);
            FileStream? output = null;
            try
            {
                if (copyTo is not null)
                {
                    string destination = Path.Combine(copyTo, entry.RelativePath);
                    CreatePrivateDirectory(Path.GetDirectoryName(destination)!);
                    var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                    if (!OperatingSystem.IsWindows())
                    {
                        options.UnixCreateMode = FileMode0640;
                    }

                    output = new FileStream(destination, options);
                }

                // A zero-length entry is never opened: whatever is not a regular file (a FIFO, a device) reports
                // length 0, so nothing here can block. Exactly the listed length is read, never more.
                if (entry.Length > 0 && !CopyExactly(entry, buffer, hash, output))
                {
                    return null;
                }
            }
            finally
            {
                output?.Dispose();
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    }

    // False when the source is not as listed (gone, shorter or longer: being rewritten); errors writing the copy propagate.
    private static bool CopyExactly(PluginFolderEntry entry, byte[] buffer, IncrementalHash hash, FileStream? output)
    {
        FileStream input;
        try
        {
            input = new FileStream(entry.SourcePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (IOException)
        {
            return false;
        }

        using (input)
        {
            long remaining = entry.Length;
            while (remaining > 0)
            {
                int read = ReadSource(input, buffer, (int)Math.Min(buffer.Length, remaining));
                if (read <= 0)
                {
                    return false;
                }

                hash.AppendData(buffer, 0, read);
                output?.Write(buffer, 0, read);
                remaining -= read;
            }

            return ReadSource(input, buffer, 1) == 0;
        }
    }

    // -1 when the read fails (e.g. the file was truncated under us on some file systems).
    private static int ReadSource(FileStream input, byte[] buffer, int count)
    {
        try
        {
            return input.Read(buffer, 0, count);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static FileStream? TryLease(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            return null;
        }

        try
        {
            // A shared lock: refused while a pruner holds it exclusively (it is deleting the copy).
            return new FileStream(Path.Combine(directory, LeaseFile), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (IOException)
        {
            return null;
        }
    }

    // Deletes the other copies of a plugin that no process holds, and temp folders of crashed copies.
    private void Prune(string copies, string keep)
    {
        try
        {
            foreach (string directory in System.IO.Directory.GetDirectories(copies))
            {
                if (directory == keep)
                {
                    continue;
                }

                if (Path.GetFileName(directory).StartsWith(TempPrefix, StringComparison.Ordinal))
                {
                    if (DateTime.UtcNow - System.IO.Directory.GetLastWriteTimeUtc(directory) > StaleTemp)
                    {
                        DeleteQuietly(directory);
                    }

                    continue;
                }

                FileStream exclusive;
                try
                {
                    exclusive = new FileStream(Path.Combine(directory, LeaseFile), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException)
                {
                    continue; // held by a running catalog
                }

                using (exclusive)
                {
                    DeleteQuietly(directory);
                }

                _logger.LogDebug("Deleted the unused private plugin copy {Copy}", directory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug("Cannot prune plugin copies in {Directory}: {Error}", copies, ex.Message);
        }
    }

    // 0750: the copies hold the plugin's code, readable by the host's group only.
    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(path);
        }
        else
        {
            System.IO.Directory.CreateDirectory(path, DirectoryMode);
        }
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            if (System.IO.Directory.Exists(directory))
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next prune.
        }
    }

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private const UnixFileMode FileMode0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
}
