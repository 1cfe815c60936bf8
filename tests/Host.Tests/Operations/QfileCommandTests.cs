using System.Text.Json;
using RunnerHost.Hosting.Operations;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Operations;

public sealed class QfileCommandTests
{
    private TestHost _host = null!;

    [SetUp]
    public void SetUp() => _host = new TestHost("[runner.in]\nclass: Unused\n");

    [TearDown]
    public void TearDown() => _host.Dispose();

    [Test]
    public async Task A_shunted_entry_shows_metadata_error_record_and_message()
    {
        string path = await ShuntedEntries.AddAsync(_host, "hello");

        var result = await HostProcess.RunAsync(_host.Root, null, "qfile", path);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Stdout, Does.StartWith($"File: {path}\nKind: ready entry (.pck)\n"));
            Assert.That(result.Stdout, Does.Contain("checksum ok"));
            Assert.That(result.Stdout, Does.Contain("[----- metadata -----]\n_parsemsg: False\nlistid   : test.example.com\nversion  : 3\nwhichq   : in\n"));
            Assert.That(result.Stdout, Does.Contain("[----- error -----]\ntype    : System.InvalidOperationException\nmessage : borked\n"));
            Assert.That(result.Stdout, Does.Contain("stack:\n    System.InvalidOperationException: borked\n        at Somewhere()\n"));
            Assert.That(result.Stdout, Does.Contain("[----- message -----]\nFrom: aperson@example.com\n"));
            Assert.That(result.Stdout, Does.Contain("Subject: hello\n\nBody of hello.\n[----- end -----]\n"));
            Assert.That(result.Stderr, Is.Empty);
        }
    }

    [Test]
    public async Task A_kept_queued_entry_shows_when_it_is_due_and_queues_shows_the_next_due_time()
    {
        var due = DateTimeOffset.UtcNow.AddHours(1);
        string filebase = await _host.Queue("in").EnqueueAsync(TestMessages.FromText("From: a@example.com\nSubject: later\n\nbody\n"), notBefore: due);
        string path = Path.Combine(_host.QueueDir, "in", filebase + ".pck");

        var qfile = await HostProcess.RunAsync(_host.Root, null, "qfile", path);
        var json = await HostProcess.RunAsync(_host.Root, null, "qfile", "--json", path);
        var queues = await HostProcess.RunAsync(_host.Root, null, "queues", "-C", _host.ConfigFile);
        var queuesJson = await HostProcess.RunAsync(_host.Root, null, "queues", "-C", _host.ConfigFile, "--json");

        string iso = due.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(qfile.Stdout, Does.Match($"\nDue: {iso}\\.\\d{{3}}Z \\(in (59m\\d\\ds|1h00m)\\)\n"), qfile.ToString());
        using (var document = JsonDocument.Parse(json.Stdout))
        {
            Assert.That(document.RootElement[0].GetProperty("due").GetDateTimeOffset(), Is.EqualTo(due).Within(TimeSpan.FromMilliseconds(1)));
            Assert.That(document.RootElement[0].GetProperty("due_now").GetBoolean(), Is.False);
        }

        Assert.That(queues.Stdout, Does.Contain($"later: in has 1 entry kept for later; the next is due {iso}Z\n"), queues.ToString());
        using (var document = JsonDocument.Parse(queuesJson.Stdout))
        {
            var queue = document.RootElement.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "in");
            Assert.That(queue.GetProperty("next_due").GetDateTimeOffset(), Is.EqualTo(due).Within(TimeSpan.FromMilliseconds(1)));
        }
    }

    [Test]
    public async Task A_truncated_entry_says_what_is_damaged_prints_what_can_be_read_and_exits_1()
    {
        string path = await ShuntedEntries.AddAsync(_host, "cut");
        byte[] bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length - 80)]);

        var result = await HostProcess.RunAsync(_host.Root, null, "qfile", path);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stdout, Does.Contain($"DAMAGED:\n  - truncated: expected {bytes.Length} bytes got {bytes.Length - 80}\n"));
        Assert.That(result.Stdout, Does.Contain("Readable: header, metadata, "));
        Assert.That(result.Stdout, Does.Contain("listid   : test.example.com"));
        Assert.That(result.Stdout, Does.Contain("From: aperson@example.com"));
    }

    [Test]
    public async Task Garbage_is_reported_as_bad_magic()
    {
        string path = Path.Combine(_host.Root, "garbage.pck");
        await File.WriteAllTextAsync(path, "not a queue file\n");

        var report = FileQueueInspector.Inspect(path, queue: null, DateTimeOffset.UtcNow);

        Assert.That(report.Damaged, Is.True);
        Assert.That(report.Problems[0], Does.StartWith("bad magic"));
        Assert.That(EntryReportWriter.ToText(report, path, DateTimeOffset.UtcNow), Does.Contain("Format: unknown (no readable header)\nDAMAGED:\n  - bad magic"));
    }

    [Test]
    public async Task A_preserved_entry_shows_its_reason()
    {
        string path = await ShuntedEntries.AddAsync(_host, "kept");
        string bad = Path.Combine(_host.QueueDir, "bad");
        Directory.CreateDirectory(bad);
        string psv = Path.Combine(bad, Path.GetFileNameWithoutExtension(path) + ".psv");
        File.Move(path, psv);
        await File.WriteAllTextAsync(psv + ".reason", """{"reason":"shunt failed: disk full","queue":"in","original_file":"x.bak","time":"2024-01-01T00:00:00.0000000+00:00"}""");

        var result = await HostProcess.RunAsync(_host.Root, null, "qfile", psv);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.Contain("Kind: preserved entry (.psv)\n"));
        Assert.That(result.Stdout, Does.Contain("[----- reason -----]\noriginal_file: x.bak\nqueue        : in\nreason       : shunt failed: disk full\n"));
    }

    [Test]
    public async Task Json_output_is_an_array_with_metadata_error_headers_and_body()
    {
        string path = await ShuntedEntries.AddAsync(_host, "json");

        var result = await HostProcess.RunAsync(_host.Root, null, "qfile", "--json", path, path);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        using var document = JsonDocument.Parse(result.Stdout);
        Assert.That(document.RootElement.GetArrayLength(), Is.EqualTo(2));
        var entry = document.RootElement[0];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(entry.GetProperty("file").GetString(), Is.EqualTo(path));
            Assert.That(entry.GetProperty("damaged").GetBoolean(), Is.False);
            Assert.That(entry.GetProperty("metadata").GetProperty("error").GetProperty("type").GetString(), Is.EqualTo("System.InvalidOperationException"));
            var headers = entry.GetProperty("message").GetProperty("headers").EnumerateArray().ToList();
            Assert.That(headers.Select(h => h.GetProperty("name").GetString()), Is.EqualTo(new[] { "From", "To", "Subject" }));
            Assert.That(entry.GetProperty("message").GetProperty("body").GetString(), Is.EqualTo("Body of json.\n"));
        }
    }

    [Test]
    public async Task A_missing_file_is_one_line_and_exit_2()
    {
        string missing = Path.Combine(_host.Root, "nope.pck");

        var result = await HostProcess.RunAsync(_host.Root, null, "qfile", missing);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stderr, Is.EqualTo($"Error: no such file: {missing}\n"));
        Assert.That(result.Stdout, Is.Empty);
    }

    [Test]
    public void Folded_headers_are_unfolded_and_the_body_follows_the_blank_line()
    {
        var (headers, body) = MessageText.Split("Subject: a\r\n  long one\r\nTo: b\r\n\r\nbody\r\n");

        Assert.That(headers, Is.EqualTo(new[] { ("Subject", "a long one"), ("To", "b") }));
        Assert.That(body, Is.EqualTo("body\r\n"));
    }
}

/// <summary>Builds shunt entries as the runner core writes them: whichq and a full error record.</summary>
internal static class ShuntedEntries
{
    public static async Task<string> AddAsync(TestHost host, string subject, string whichq = "in", string errorType = "System.InvalidOperationException", string? listId = "test.example.com")
    {
        var metadata = new MessageData { [MessageDataKeys.WhichQueue] = whichq };
        if (listId is not null)
        {
            metadata.ListId = listId;
        }

        metadata[MessageDataKeys.Error] = new MessageData
        {
            [ErrorRecordKeys.Type] = errorType,
            [ErrorRecordKeys.Message] = "borked",
            [ErrorRecordKeys.Runner] = whichq,
            [ErrorRecordKeys.Slice] = "0/1",
            [ErrorRecordKeys.Queue] = whichq,
            [ErrorRecordKeys.Filebase] = "1700000000.0+0000000000000000000000000000000000000000",
            [ErrorRecordKeys.Time] = "2024-01-01T00:00:00.0000000+00:00",
            [ErrorRecordKeys.Attempt] = 1,
            [ErrorRecordKeys.Stack] = $"{errorType}: borked\n    at Somewhere()",
        };
        byte[] message = System.Text.Encoding.UTF8.GetBytes($"From: aperson@example.com\nTo: test@example.com\nSubject: {subject}\n\nBody of {subject}.\n");
        string filebase = await host.Queue("shunt").EnqueueRawAsync(message, metadata);
        return Path.Combine(host.QueueDir, "shunt", filebase + ".pck");
    }
}
