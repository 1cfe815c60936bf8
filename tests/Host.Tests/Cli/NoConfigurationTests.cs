using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Cli;

/// <summary>
/// Commands run from a directory without a configuration (real processes, no -C, no RUNNER_HOST_CONFIG):
/// each says on stderr what it tried and that it uses the built-in defaults, and a reading command
/// leaves the directory as it found it.
/// </summary>
[Parallelizable(ParallelScope.Children)]
public sealed class NoConfigurationTests
{
    private static readonly string[][] _readingCommands =
    [
        ["status"],
        ["status", "--json"],
        ["queues"],
        ["queues", "--json"],
        ["plugins"],
        ["plugins", "list"],
        ["bad", "list"],
        ["bad", "show", "x.psv"],
        ["metrics"],
        ["stop"],
        ["restart"],
        ["reopen"],
    ];

    private static IEnumerable<TestCaseData> ReadingCommands() =>
        _readingCommands.Select(c => new TestCaseData((object)c).SetArgDisplayNames(string.Join(' ', c)));

    [TestCaseSource(nameof(ReadingCommands))]
    public async Task A_reading_command_says_what_it_tried_and_creates_nothing(string[] command)
    {
        string cwd = TestDirectories.CreateTemp("noconfig");
        try
        {
            var result = await HostProcess.RunAsync(cwd, null, command);

            Assert.That(result.Stderr, Does.Contain(Notice(cwd)), result.ToString());
            Assert.That(result.Stderr, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(Directory.GetFileSystemEntries(cwd), Is.Empty, $"nothing is created under the current directory\n{result}");
        }
        finally
        {
            TestDirectories.DeleteQuietly(cwd);
        }
    }

    [Test]
    public async Task Qfile_needs_no_configuration_and_creates_nothing()
    {
        string cwd = TestDirectories.CreateTemp("noconfig");
        try
        {
            string file = Path.Combine(cwd, "x.pck");
            await File.WriteAllTextAsync(file, "not a queue entry");

            var result = await HostProcess.RunAsync(cwd, null, "qfile", file);

            Assert.That(Directory.GetFileSystemEntries(cwd), Is.EqualTo(new[] { file }), result.ToString());
        }
        finally
        {
            TestDirectories.DeleteQuietly(cwd);
        }
    }

    [Test]
    public async Task A_writing_command_says_so_too_and_then_uses_the_defaults()
    {
        string cwd = TestDirectories.CreateTemp("noconfig");
        try
        {
            var result = await HostProcess.RunAsync(cwd, "From: a@example.com\nSubject: x\n\nx\n", "inject", "-q", "shunt", "nobody@example.com");

            Assert.That(result.Stderr, Does.Contain(Notice(cwd)), result.ToString());
        }
        finally
        {
            TestDirectories.DeleteQuietly(cwd);
        }
    }

    [Test]
    public async Task A_found_configuration_gives_no_notice()
    {
        string cwd = TestDirectories.CreateTemp("noconfig");
        try
        {
            Directory.CreateDirectory(Path.Combine(cwd, "config"));
            await File.WriteAllTextAsync(Path.Combine(cwd, "config", "runner-host.cfg"), $"[paths]\nvar_dir: {Path.Combine(cwd, "var")}\n");

            var result = await HostProcess.RunAsync(cwd, null, "status");

            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.Stderr, Is.Empty);
            Assert.That(Directory.GetFileSystemEntries(cwd), Is.EqualTo(new[] { Path.Combine(cwd, "config") }), "status creates no var/ either");
        }
        finally
        {
            TestDirectories.DeleteQuietly(cwd);
        }
    }

    private static string Notice(string cwd) =>
        $"no configuration file found (tried -C (not given), $RUNNER_HOST_CONFIG (not set), {Path.Combine(cwd, "config", "runner-host.cfg")} (no such file)); "
        + $"using the built-in defaults, var_dir {Path.Combine(cwd, "var")}. Name the file with -C FILE or $RUNNER_HOST_CONFIG";
}
