using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RunnerHost.Messages;

using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Queues.Files;

/// <summary>Moves files into the bad directory as <c>&lt;name&gt;.psv</c> (unique) with a <c>.reason</c> sidecar.</summary>
internal sealed class FilePreservation(string queueName, string badDirectory, bool fsync, ILogger logger, TimeProvider time)
{
    public string BadDirectory => badDirectory;

    /// <summary>Moves <paramref name="source"/> to bad; false (logged) when it could not be moved, or a concurrent mover won.</summary>
    public bool Preserve(string source, string baseName, string reason)
    {
        string target;
        try
        {
            DurableFiles.EnsureDirectory(badDirectory);
            target = MoveToUniqueName(source, baseName);
        }
        catch (FileNotFoundException)
        {
            return false; // A concurrent mover won.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogError(ex, "Failed to preserve backup file: {Path}", source);
            return false;
        }

        try
        {
            var sidecar = new MessageData
            {
                ["reason"] = reason,
                ["queue"] = queueName,
                ["original_file"] = Path.GetFileName(source),
                ["time"] = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            };
            DurableFiles.WriteNewFile(target + QueueDirectoryScan.ReasonSuffix, MetadataJson.Serialize(sidecar), fsync, replaceExisting: true);
            if (fsync)
            {
                DurableFiles.FsyncDirectory(badDirectory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            logger.LogError(ex, "Preserved {Path} as {Target} but could not record the reason", source, target);
        }

        return true;
    }

    private string MoveToUniqueName(string source, string baseName)
    {
        for (int attempt = 0; ; attempt++)
        {
            string name = attempt == 0 ? baseName : string.Create(CultureInfo.InvariantCulture, $"{baseName}-{attempt}");
            string target = Path.Combine(badDirectory, name + QueueDirectoryScan.PreservedExtension);
            if (File.Exists(target))
            {
                continue;
            }

            try
            {
                File.Move(source, target, overwrite: false);
                return target;
            }
            catch (IOException) when (File.Exists(target) && File.Exists(source))
            {
                // Lost a race for this name; try the next.
            }
        }
    }
}
