using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>The real file system behind <see cref="IPublishOperations"/>.</summary>
public sealed class FilePublishOperations : IPublishOperations
{
    private FilePublishOperations()
    {
    }

    /// <summary>The stateless instance.</summary>
    public static FilePublishOperations Instance { get; } = new();

    /// <inheritdoc/>
    public void FlushFile(PendingFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Handle is { } handle)
        {
            RandomAccess.FlushToDisk(handle);
        }
    }

    /// <inheritdoc/>
    public void Rename(string temporaryPath, string finalPath) => File.Move(temporaryPath, finalPath, overwrite: false);

    /// <inheritdoc/>
    public void FsyncDirectory(string directory) => DurableFiles.FsyncDirectory(directory);

    /// <inheritdoc/>
    public void DeleteTemporary(string temporaryPath) => DurableFiles.TryDelete(temporaryPath);
}
