using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Operations;

/// <summary>The operator's path from the shell: a message fails, is found, read with its error, unshunted and processed.</summary>
public sealed class ShuntWorkflowTests
{
    private string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "runnerhost-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task A_shunted_message_is_found_read_with_its_error_unshunted_and_processed()
    {
        string blocker = Path.Combine(_root, "maildir");
        await File.WriteAllTextAsync(blocker, "a file where the Maildir should be\n");
        string config = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(config, $"[paths]\nvar_dir: {Path.Combine(_root, "var")}\n\n[list.test]\nposting_address: test@example.com\n\n[runner.archive]\nclass: MaildirArchiveRunner\nmaildir: {blocker}\n");
        var injected = await HostProcess.RunAsync(_root, "From: anne@example.com\nTo: test@example.com\nSubject: stuck\n\nBody.\n", "inject", "-C", config, "-q", "archive", "test@example.com");
        Assert.That(injected.ExitCode, Is.Zero, injected.ToString());

        // The Maildir cannot be created: the runner shunts the message.
        var failed = await HostProcess.RunAsync(_root, null, "runner", "-C", config, "--runner", "archive", "--once");
        Assert.That(failed.ExitCode, Is.Zero, failed.ToString());

        var listed = await HostProcess.RunAsync(_root, null, "unshunt", "-C", config, "--dry-run");
        Assert.That(listed.ExitCode, Is.Zero, listed.ToString());
        string[] fields = listed.Stdout.Split("  ");
        string filebase = fields[0];
        Assert.That(fields[1..3], Is.EqualTo(new[] { "archive", "test.example.com" }));
        Assert.That(fields[3], Does.StartWith("System.IO.DirectoryNotFoundException: "));

        var shown = await HostProcess.RunAsync(_root, null, "qfile", Path.Combine(_root, "var", "queue", "shunt", filebase + ".pck"));
        Assert.That(shown.ExitCode, Is.Zero, shown.ToString());
        Assert.That(shown.Stdout, Does.Contain("[----- error -----]\ntype    : System.IO.DirectoryNotFoundException\n"));
        Assert.That(shown.Stdout, Does.Contain("runner  : archive\n"));
        Assert.That(shown.Stdout, Does.Contain("MaildirArchiveRunner.ProcessEntryAsync"), "the stack is recorded");
        Assert.That(shown.Stdout, Does.Contain("Subject: stuck\n"));

        // The operator fixes the cause and replays the message into its queue.
        File.Delete(blocker);
        var unshunted = await HostProcess.RunAsync(_root, null, "unshunt", "-C", config, "--id", filebase);
        Assert.That(unshunted.ExitCode, Is.Zero, unshunted.ToString());
        Assert.That(unshunted.Stdout, Does.StartWith($"{filebase} -> archive "));

        var processed = await HostProcess.RunAsync(_root, null, "runner", "-C", config, "--runner", "archive", "--once");
        Assert.That(processed.ExitCode, Is.Zero, processed.ToString());
        var archived = Directory.GetFiles(Path.Combine(blocker, "test.example.com", "new"));
        Assert.That(archived, Has.Length.EqualTo(1));
        Assert.That(MimeKit.MimeMessage.Load(archived[0]).Subject, Is.EqualTo("stuck"));

        var again = await HostProcess.RunAsync(_root, null, "unshunt", "-C", config, "--dry-run");
        Assert.That(again.Stdout, Is.Empty, "nothing left in shunt");
    }
}
