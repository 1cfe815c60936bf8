using Microsoft.Extensions.Logging.Abstractions;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Queues.Files;
using RunnerHost.Messages;

namespace RunnerHost.Benchmarks;

/// <summary>A switchboard on a fresh directory under the temp directory; deleted on dispose.</summary>
public sealed class TempSwitchboard : IDisposable
{
    public TempSwitchboard(bool fsync, int slice = 0, int sliceCount = 1)
    {
        Root = Path.Combine(Path.GetTempPath(), "runner-host-bdn-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Switchboard = new FileSwitchboard(
            new FileSwitchboardOptions
            {
                Name = "bench",
                Directory = Path.Combine(Root, "bench"),
                BadDirectory = Path.Combine(Root, "bad"),
                Slice = slice,
                SliceCount = sliceCount,
                Fsync = fsync,
            },
            NullLogger.Instance,
            TimeProvider.System,
            new QueueNotifier());
    }

    /// <summary>About 1 KB of RFC 822 text, the size the end-to-end benchmarks use.</summary>
    public static byte[] Message { get; } = System.Text.Encoding.ASCII.GetBytes(
        "From: aperson@example.com\r\nTo: bench@example.com\r\nSubject: benchmark\r\nMessage-ID: <bench@example.com>\r\n\r\n"
        + string.Concat(Enumerable.Repeat(new string('x', 63) + "\r\n", 16)));

    public string Root { get; }

    public FileSwitchboard Switchboard { get; }

    public static MessageData Metadata() => new() { [MessageDataKeys.ListId] = "bench.example.com" };

    public void Fill(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Switchboard.EnqueueRawAsync(Message, Metadata()).GetAwaiter().GetResult();
        }
    }

    public void Dispose()
    {
        Switchboard.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
