using RunnerHost.Hosting.Diagnostics;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Diagnostics;

public sealed class LoggingTests
{
    private string _root = null!;
    private string _config = null!;
    private string _log = null!;

    [SetUp]
    public async Task SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "runnerhost-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        _config = Path.Combine(_root, "runner-host.cfg");
        _log = Path.Combine(_root, "var", "logs", "runner-host.log");
        await File.WriteAllTextAsync(_config, $"[paths]\nvar_dir: {Path.Combine(_root, "var")}\n\n[list.test]\nposting_address: test@example.com\n\n[runner.archive]\nclass: MaildirArchiveRunner\nmaildir: {Path.Combine(_root, "maildir")}\n");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task Sighup_reopens_the_log_file_so_a_renamed_file_is_replaced()
    {
        using var runner = HostProcess.Start(_root, "runner", "-C", _config, "--runner", "archive");
        await runner.WaitForStderrAsync("runner started.", TimeSpan.FromSeconds(60));
        Assert.That(await File.ReadAllTextAsync(_log), Does.Match(@"INF archive:0/1\[\d+\] .*archive:0/1 runner started\."), "runner name, slice and pid on every line");

        File.Move(_log, _log + ".1");
        runner.Signal(1);
        await runner.WaitForStderrAsync("Reopened log file", TimeSpan.FromSeconds(30));
        await Inject("after rotation");
        await runner.WaitForStderrAsync("archived", TimeSpan.FromSeconds(30));
        runner.Signal(15);
        Assert.That(await runner.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Zero, runner.Stderr);

        string rotated = await File.ReadAllTextAsync(_log + ".1");
        string fresh = await File.ReadAllTextAsync(_log);
        Assert.That(rotated, Does.Not.Contain("archived"));
        Assert.That(fresh, Does.Contain("Reopened log file"));
        Assert.That(fresh, Does.Contain("archived"));
        Assert.That(fresh, Does.Contain("runner exiting."));
    }

    [Test]
    public async Task An_exception_that_shunts_a_message_is_in_the_file_with_its_stack()
    {
        await File.WriteAllTextAsync(Path.Combine(_root, "maildir"), "a file, not a directory\n");
        await Inject("doomed");

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", _config, "--runner", "archive", "--once");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        string log = await File.ReadAllTextAsync(_log);
        Assert.That(log, Does.Contain("uncaught runner exception"));
        Assert.That(log, Does.Contain("at RunnerHost.Plugins.Archive.MaildirArchiveRunner.ProcessEntryAsync"));
        Assert.That(log, Does.Contain("SHUNTING"));
    }

    [Test]
    public async Task Commands_log_their_name_and_pid()
    {
        await Inject("named");

        Assert.That(await File.ReadAllTextAsync(_log), Is.Empty.Or.Not.Contain("archive:"), "inject logs nothing by itself");
        var identity = LogIdentity.FromCommandLine(["-C", "x.cfg", "unshunt", "--dry-run"]);
        Assert.That(identity.Source, Is.EqualTo("unshunt"));
        var runner = LogIdentity.FromCommandLine(["runner", "-C", "x.cfg", "--runner", "in:1:2"]);
        Assert.That((runner.Source, runner.Runner, runner.Slice), Is.EqualTo(("in:1/2", "in", "1/2")));
    }

    private async Task Inject(string subject)
    {
        var result = await HostProcess.RunAsync(_root, $"From: anne@example.com\nTo: test@example.com\nSubject: {subject}\n\nBody.\n", "inject", "-C", _config, "-q", "archive", "test@example.com");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
    }
}
