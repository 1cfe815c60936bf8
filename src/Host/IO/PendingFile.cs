using Microsoft.Win32.SafeHandles;

namespace RunnerHost.Hosting.IO;

/// <summary>
/// A queue file written under its temporary name, still open and not yet fsynced, waiting to be
/// made durable and renamed to <see cref="FinalPath"/> by an <see cref="Queues.Files.EnqueueGroupCommit"/>.
/// </summary>
public sealed class PendingFile : IDisposable
{
    private readonly FileStream? _stream;

    /// <summary>Wraps an open, written file.</summary>
    public PendingFile(FileStream? stream, string temporaryPath, string finalPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(temporaryPath);
        ArgumentException.ThrowIfNullOrEmpty(finalPath);
        _stream = stream;
        TemporaryPath = temporaryPath;
        FinalPath = finalPath;
    }

    /// <summary>Where the content was written.</summary>
    public string TemporaryPath { get; }

    /// <summary>The name it is published under.</summary>
    public string FinalPath { get; }

    /// <summary>The open file; null only for test doubles that never touch the disk.</summary>
    public SafeFileHandle? Handle => _stream?.SafeFileHandle;

    /// <inheritdoc/>
    public void Dispose() => _stream?.Dispose();
}
