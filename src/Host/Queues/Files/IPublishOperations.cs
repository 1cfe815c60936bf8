using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>The file-system steps of an <see cref="EnqueueGroupCommit"/>; replaced in tests to check their order.</summary>
public interface IPublishOperations
{
    /// <summary>Makes the file's data and metadata durable (fsync).</summary>
    void FlushFile(PendingFile file);

    /// <summary>Renames without replacing an existing file.</summary>
    void Rename(string temporaryPath, string finalPath);

    /// <summary>Makes the directory's entries durable (fsync of the directory).</summary>
    void FsyncDirectory(string directory);

    /// <summary>Best-effort removal of a temporary file whose commit failed.</summary>
    void DeleteTemporary(string temporaryPath);
}
