using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Tests.Support;
using MimeKit;
using RunnerHost.Hosting.Queues;

namespace RunnerHost.Hosting.Tests.Queues;

/// <summary>A temporary queue root with a shared notifier and logger; deletes everything on dispose.</summary>
internal sealed class QueueTestEnvironment : IDisposable
{
    private readonly List<FileSwitchboard> _switchboards = [];

    public QueueTestEnvironment(TimeProvider? clock = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "runnerhost-queues-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Clock = clock ?? TimeProvider.System;
    }

    public string Root { get; }

    public string BadDirectory => Path.Combine(Root, "bad");

    public TimeProvider Clock { get; }

    public QueueNotifier Notifier { get; } = new();

    public ListLoggerProvider Logs { get; } = new();

    public ILogger Logger => Logs.CreateLogger("queue");

    public string QueueDirectory(string name) => Path.Combine(Root, name);

    public FileSwitchboard Create(string name = "test", int slice = 0, int sliceCount = 1, bool fsync = true, QueueCommit commit = QueueCommit.Journal)
    {
        var switchboard = new FileSwitchboard(
            new FileSwitchboardOptions
            {
                Name = name,
                Directory = QueueDirectory(name),
                BadDirectory = BadDirectory,
                Slice = slice,
                SliceCount = sliceCount,
                Fsync = fsync,
                Commit = commit,
            },
            Logger,
            Clock,
            Notifier);
        _switchboards.Add(switchboard);
        return switchboard;
    }

    /// <summary>Mailman's doctest: <c>empty</c>, or one <c>.ext: count</c> line per extension, sorted.</summary>
    public static string CheckQueueFiles(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return "empty";
        }

        var lines = Directory.EnumerateFiles(directory)
            .GroupBy(path => Path.GetExtension(path), StringComparer.Ordinal)
            .OrderBy(group => group.Key, StringComparer.Ordinal)
            .Select(group => $"{group.Key}: {group.Count()}")
            .ToList();
        return lines.Count == 0 ? "empty" : string.Join("\n", lines);
    }

    public static MimeMessage TestMessage(string body = "A test message.")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("aperson@example.com"));
        message.To.Add(MailboxAddress.Parse("_xtest@example.com"));
        message.Subject = "Test";
        message.MessageId = "ant@example.com";
        message.Body = new TextPart("plain") { Text = body };
        return message;
    }

    public static byte[] Serialize(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(FormatOptions.Default, stream);
        return stream.ToArray();
    }

    public void Dispose()
    {
        foreach (var switchboard in _switchboards)
        {
            switchboard.Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A watcher may still hold the directory briefly; the OS temp cleaner will get it.
        }
    }
}
