using System.Diagnostics;
using System.Text;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Supervision;

/// <summary>
/// What an operator's queue directory may really hold — poison names, a FIFO, a symbolic link, a
/// directory, metadata that is not UTF-8 — under a real master (<c>runner-host start</c>): the queue
/// keeps flowing, every entry ends in bad with a reason, and the operator commands answer.
/// </summary>
public sealed class HostileQueueTests
{
    private static readonly TimeSpan CommandPatience = TimeSpan.FromSeconds(30);

    private MasterHarness _harness = null!;

    private string LogFile => Path.Combine(_harness.Root, "var", "logs", "runner-host.log");

    private string BadDir => _harness.QueueDir("bad");

    [SetUp]
    public async Task SetUp() => _harness = await MasterHarness.CreateAsync("""
        [runner.rec]
        class: RecordingRunner
        output_dir: $out
        restart_backoff: 0.2s
        max_restarts: 2
        stop_timeout: 5s
        """);

    [TearDown]
    public void TearDown() => _harness?.Dispose();

    [Test]
    public async Task Far_future_names_go_to_bad_and_the_queue_keeps_flowing()
    {
        string[] poison = [Plant("300000000000.0", 'a'), Plant("1000000000000.0", 'b'), Plant("-5.0", 'c'), Plant("inf", 'd')];
        using var master = _harness.StartMaster();
        await _harness.WaitForAllRunningAsync(master, 1);

        await _harness.EnqueueAsync("rec", 3);
        await MasterHarness.WaitUntilAsync(() => _harness.Recorded().Count == 3, "3 good messages processed");

        foreach (string name in poison)
        {
            string preserved = Path.Combine(BadDir, name[..^4] + ".psv");
            Assert.That(File.Exists(preserved), Is.True, $"{name} preserved");
            Assert.That(await File.ReadAllTextAsync(preserved + ".reason"), Does.Contain("file name is not <time>+<digest>: time"));
        }

        var status = await RunQuicklyAsync("status");
        var queues = await RunQuicklyAsync("queues");
        Assert.That(status.ExitCode, Is.EqualTo(StatusCommand.Running), status.ToString());
        Assert.That(status.Stderr, Is.Empty, status.ToString());
        Assert.That(queues.ExitCode, Is.Zero, queues.ToString());
        Assert.That(_harness.Status!.Slices.Single().RestartsInWindow, Is.Zero, "the runner never crashed");

        master.Signal(Posix.SigTerm);
        Assert.That(await master.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.Zero, master.Stderr);
    }

    [Test]
    public async Task A_fifo_a_link_and_damaged_metadata_are_quarantined_and_a_directory_is_flagged()
    {
        string fifo = NameIn("1700000000.1", '1');
        await RunToolAsync("mkfifo", Path.Combine(_harness.QueueDir("rec"), fifo));
        string link = NameIn("1700000000.2", '2');
        File.CreateSymbolicLink(Path.Combine(_harness.QueueDir("rec"), link), "/etc/passwd");
        string directory = NameIn("1700000000.3", '3');
        Directory.CreateDirectory(Path.Combine(_harness.QueueDir("rec"), directory));
        // A string holding the byte 0xFF: JSON structure intact, UTF-8 not.
        byte[] metadata = [.. "{\"listid\":\"test.example.com\",\"subject\":\""u8.ToArray(), 0xFF, .. "\"}"u8.ToArray()];
        string utf8 = Plant("1700000000.4", '4', QueueFileFormat.Frame(metadata, "From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n"u8, 1));

        using var master = _harness.StartMaster();
        await _harness.WaitForAllRunningAsync(master, 1);
        await _harness.EnqueueAsync("rec", 2);
        await MasterHarness.WaitUntilAsync(() => _harness.Recorded().Count == 2, "the good messages processed past the FIFO");

        var reasons = new Dictionary<string, string> { [fifo] = "FIFO", [link] = "symbolic link", [utf8] = "is not valid UTF-8" };
        foreach (var (name, reason) in reasons)
        {
            string preserved = Path.Combine(BadDir, name[..^4] + ".psv");
            await MasterHarness.WaitUntilAsync(() => File.Exists(preserved + ".reason"), $"{name} preserved with a reason");
            Assert.That(await File.ReadAllTextAsync(preserved + ".reason"), Does.Contain(reason), name);
        }

        Assert.That(Directory.Exists(Path.Combine(_harness.QueueDir("rec"), directory)), Is.True, "a directory is left where it is");
        string log = await File.ReadAllTextAsync(LogFile);
        Assert.That(log, Does.Not.Contain("root:x:0:0"), "no byte of the link's target reaches the log");
        Assert.That(log, Does.Contain($"ignoring {Path.Combine(_harness.QueueDir("rec"), directory)}: a directory"));

        // Every inspector answers at once, names the damage and shows what it can.
        var qfileFifo = await RunQuicklyAsync("qfile", Path.Combine(BadDir, fifo[..^4] + ".psv"));
        var showFifo = await RunQuicklyAsync("bad", "show", fifo[..^4]);
        var qfileUtf8 = await RunQuicklyAsync("qfile", Path.Combine(BadDir, utf8[..^4] + ".psv"));
        var showUtf8 = await RunQuicklyAsync("bad", "show", utf8[..^4]);
        var list = await RunQuicklyAsync("bad", "list");
        var queues = await RunQuicklyAsync("queues");
        var status = await RunQuicklyAsync("status");
        var statusJson = await RunQuicklyAsync("status", "--json");
        using (Assert.EnterMultipleScope())
        {
            foreach (var fifoReport in new[] { qfileFifo, showFifo })
            {
                Assert.That(fifoReport.Stdout, Does.Contain("not a regular file but a FIFO (named pipe); not opened"), fifoReport.ToString());
                Assert.That(fifoReport.Stderr, Is.Empty, fifoReport.ToString());
            }

            foreach (var utf8Report in new[] { qfileUtf8, showUtf8 })
            {
                Assert.That(utf8Report.Stdout, Does.Contain("metadata JSON invalid: the value of 'subject' is not valid UTF-8"), utf8Report.ToString());
                Assert.That(utf8Report.Stdout, Does.Contain("\"listid\":\"test.example.com\"").And.Contain("Subject: x"), "what can be read is shown");
                Assert.That(utf8Report.Stderr, Is.Empty, utf8Report.ToString());
            }

            Assert.That(qfileFifo.ExitCode, Is.EqualTo(1), "damaged");
            Assert.That(qfileUtf8.ExitCode, Is.EqualTo(1), "damaged");
            Assert.That(list.Stdout, Does.Contain(fifo[..^4]).And.Contain(link[..^4]).And.Contain(utf8[..^4]));
            Assert.That(queues.Stdout, Does.Contain($"STRAY: rec holds 1 file that no runner processes: {directory} (a directory, not a queue entry)"), queues.ToString());
            Assert.That(status.Stdout, Does.Contain("STRAY: files no runner processes: rec 1 ('runner-host queues' names them)\n"), status.ToString());
            using var json = System.Text.Json.JsonDocument.Parse(statusJson.Stdout);
            Assert.That(json.RootElement.GetProperty("strays").GetProperty("rec").GetInt32(), Is.EqualTo(1), statusJson.Stdout);
        }
    }

    [Test]
    public async Task Bad_is_no_injection_target_and_a_pck_put_there_is_flagged()
    {
        var inject = await HostProcessRunAsync("From: a@example.com\nSubject: x\n\nbody\n", "inject", "-q", "bad", "test@example.com");
        Directory.CreateDirectory(BadDir);
        string stray = Plant("1700000000.5", '5');
        File.Move(Path.Combine(_harness.QueueDir("rec"), stray), Path.Combine(BadDir, stray));

        var list = await RunQuicklyAsync("bad", "list");
        var queues = await RunQuicklyAsync("queues", "--json");
        var status = await RunQuicklyAsync("status");

        Assert.That(inject.ExitCode, Is.EqualTo(2), inject.ToString());
        Assert.That(inject.Stderr, Does.Contain("queue 'bad' holds preserved entries and takes no new ones"));
        Assert.That(Directory.GetFiles(BadDir), Is.EqualTo(new[] { Path.Combine(BadDir, stray) }), "nothing was written into bad");
        Assert.That(list.Stdout, Does.Contain($"STRAY {stray}: a .pck file in the bad directory"));
        Assert.That(status.Stdout, Is.EqualTo("RunnerHost is not running\nSTRAY: files no runner processes: bad 1 ('runner-host queues' names them)\n"), status.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(queues.Stdout);
        var bad = json.RootElement.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "bad");
        Assert.That(bad.GetProperty("stray_count").GetInt32(), Is.EqualTo(1));
        Assert.That(bad.GetProperty("strays")[0].GetProperty("name").GetString(), Is.EqualTo(stray));
    }

    // A name in the rec queue, its directory created; nothing is written.
    private string NameIn(string time, char digit)
    {
        Directory.CreateDirectory(_harness.QueueDir("rec"));
        return time + "+" + new string(digit, 40) + ".pck";
    }

    private string Plant(string time, char digit, byte[] content)
    {
        string name = NameIn(time, digit);
        File.WriteAllBytes(Path.Combine(_harness.QueueDir("rec"), name), content);
        return name;
    }

    // A correctly framed entry: only its name is wrong, when it is.
    private string Plant(string time, char digit) => Plant(time, digit, QueueFileFormat.Encode(
        new MessageData { ListId = "test.example.com" },
        Encoding.ASCII.GetBytes($"From: a@example.com\r\nMessage-ID: <{digit}@poison>\r\nSubject: poison\r\n\r\nbody\r\n")));

    private async Task<Support.ProcessResult> RunQuicklyAsync(params string[] arguments)
    {
        var run = _harness.RunAsync(arguments);
        var finished = await Task.WhenAny(run, Task.Delay(CommandPatience));
        Assert.That(finished, Is.SameAs(run), $"runner-host {string.Join(' ', arguments)} did not answer within {CommandPatience}");
        return await run;
    }

    private Task<Support.ProcessResult> HostProcessRunAsync(string stdin, params string[] arguments) =>
        Support.HostProcess.RunAsync(_harness.Root, stdin, [.. arguments, "-C", _harness.ConfigFile]);

    private static async Task RunToolAsync(string tool, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { UseShellExecute = false }) ?? throw new InvalidOperationException($"cannot start {tool}");
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, $"{tool} failed");
    }
}
