using RunnerHost.Host.Tests.Support;

namespace RunnerHost.Host.Tests.Cli;

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
        Assert.That(result.Stderr, Is.EqualTo($"Runner error: {config}:6: [runner.in] class: no runner type named 'No.Such.Runner' is loaded\n"));
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

    private async Task<string> WriteConfigAsync(string body)
    {
        string file = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(file, $"# test configuration\n[paths]\nvar_dir: {Path.Combine(_root, "var")}\n\n{body}");
        return file;
    }
}
