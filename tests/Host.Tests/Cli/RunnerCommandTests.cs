using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Cli;

public sealed class RunnerCommandTests
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
    public async Task An_unknown_class_exits_4_with_one_line_naming_file_line_and_key()
    {
        string config = await WriteConfigAsync("[runner.in]\nclass: No.Such.Runner\n");

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", config, "--runner", "in", "--once");

        Assert.That(result.ExitCode, Is.EqualTo(4), result.ToString());
        // Log lines (plugins loaded) may precede it; the error itself is one line.
        var errors = result.Stderr.Split('\n').Where(l => l.StartsWith("Runner error:", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), result.Stderr);
        Assert.That(errors[0], Does.StartWith($"Runner error: {config}:6: [runner.in] class: no runner type named 'No.Such.Runner' in any plugin"));
        Assert.That(result.Stderr, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public async Task A_bad_instances_value_exits_3_with_one_line_naming_file_line_and_key()
    {
        string config = await WriteConfigAsync("[runner.in]\nclass: X\ninstances: 3\n");

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", config, "--runner", "in");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.Stderr, Is.EqualTo($"Configuration error: {config}:7: [runner.in] instances: 3 is not a power of two (1, 2, 4, 8, ...)\n"));
    }

    [Test]
    public async Task A_line_without_delimiter_exits_3_naming_file_and_line()
    {
        string config = await WriteConfigAsync("[runner.in]\nclass X\n");

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", config, "--runner", "in");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.Stderr, Does.StartWith($"Configuration error: {config}:6: "));
        Assert.That(result.Stderr.TrimEnd('\n'), Does.Not.Contain("\n"), "one line, no stack trace");
    }

    [Test]
    public async Task An_unknown_runner_section_exits_2()
    {
        string config = await WriteConfigAsync(string.Empty);

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", config, "--runner", "nosuch");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Is.EqualTo($"Error: no [runner.nosuch] section in {config}\n"));
    }

    [Test]
    public async Task A_slice_count_that_disagrees_with_instances_is_refused()
    {
        string config = await WriteConfigAsync("[runner.in]\nclass: X\ninstances: 2\n");

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", config, "--runner", "in:0:4");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain("does not match [runner.in] instances: 2"));
    }

    [TestCase("in:x:1")]
    [TestCase("in:1")]
    [TestCase("in:2:2")]
    public async Task Malformed_runner_specs_are_usage_errors(string spec)
    {
        string config = await WriteConfigAsync(string.Empty);

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", config, "--runner", spec);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.StartWith($"Error: bad runner spec '{spec}'"));
    }

    [Test]
    public async Task A_missing_configuration_file_exits_3()
    {
        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", Path.Combine(_root, "nope.cfg"), "--runner", "in");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.Stderr, Does.Contain("nope.cfg"));
    }

    [Test]
    public async Task An_unknown_option_is_a_usage_error()
    {
        var result = await HostProcess.RunAsync(_root, null, "runner", "--bogus");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain("--bogus"));
    }

    [Test]
    public async Task Injected_messages_are_processed_by_a_plugin_runner_run_once()
    {
        string config = await WriteConfigAsync(ArchiveConfig);
        for (int i = 0; i < 3; i++)
        {
            var injected = await HostProcess.RunAsync(_root, $"From: anne@example.com\nTo: test@example.com\nSubject: number {i}\n\nBody {i}.\n", "inject", "-C", config, "-q", "archive", "test@example.com");
            Assert.That(injected.ExitCode, Is.Zero, injected.ToString());
        }

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", config, "--runner", "archive", "--once");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var archived = Directory.GetFiles(Path.Combine(_root, "var", "archives", "test.example.com", "new"));
        Assert.That(archived, Has.Length.EqualTo(3));
        var subjects = archived.Select(f => MimeKit.MimeMessage.Load(f).Subject).Order(StringComparer.Ordinal);
        Assert.That(subjects, Is.EqualTo(new[] { "number 0", "number 1", "number 2" }));
        Assert.That(Directory.GetFiles(Path.Combine(_root, "var", "queue", "archive")), Is.Empty);
    }

    [Test]
    public async Task Sigterm_stops_a_running_runner_cleanly()
    {
        string config = await WriteConfigAsync(ArchiveConfig);
        using var runner = HostProcess.Start(_root, "runner", "-C", config, "--runner", "archive");
        await runner.WaitForStderrAsync("runner started.", TimeSpan.FromSeconds(60));

        runner.Signal(15);
        int exitCode = await runner.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.That(exitCode, Is.Zero, runner.Stderr);
        Assert.That(runner.Stderr, Does.Contain("caught SIGTERM"));
        Assert.That(runner.Stderr, Does.Contain("archive:0/1 runner exiting."));
    }

    private const string ArchiveConfig = """
        [list.test]
        posting_address: test@example.com

        [runner.archive]
        class: MaildirArchiveRunner
        maildir: $archive_dir
        """;

    private async Task<string> WriteConfigAsync(string body)
    {
        string file = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(file, $"# test configuration\n[paths]\nvar_dir: {Path.Combine(_root, "var")}\n\n{body}");
        return file;
    }
}
