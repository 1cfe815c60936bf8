using System.Diagnostics;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Cli;

/// <summary>
/// A var_dir that is a file, cannot be created or cannot be written: every command (a real process each)
/// says so in one line and exits 3, with no stack trace and without pretending the queues are empty.
/// </summary>
[Parallelizable(ParallelScope.Children)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class VarDirTests
{
    private const string Message = "From: anne@example.com\nTo: test@example.com\nSubject: hi\n\nHi.\n";

    /// <summary>Every command that reads the configuration, with the arguments it needs.</summary>
    private static readonly string[][] _commands =
    [
        ["inject", "test@example.com"],
        ["queues"],
        ["queues", "--json"],
        ["runner", "--runner", "in", "--once"],
        ["runner", "--runner", "in"],
        ["start"],
        ["start", "--detach", "--timeout", "20"],
        ["status"],
        ["status", "--json"],
        ["stop"],
        ["restart"],
        ["reopen"],
        ["plugins"],
        ["plugins", "reload", "Archive"],
        ["metrics"],
        ["bad", "list"],
        ["bad", "show", "x.psv"],
        ["bad", "requeue", "--to", "in", "x.psv"],
        ["bad", "purge", "--all", "--yes"],
        ["unshunt"],
    ];

    private static readonly string[][] _writingCommands =
    [
        ["inject", "test@example.com"],
        ["runner", "--runner", "in", "--once"],
        ["start"],
        ["start", "--detach", "--timeout", "20"],
        ["bad", "requeue", "--to", "in", "x.psv"],
        ["bad", "purge", "--all", "--yes"],
        ["unshunt"],
    ];

    private static IEnumerable<TestCaseData> Commands() =>
        _commands.Select(c => new TestCaseData((object)c).SetArgDisplayNames(string.Join(' ', c)));

    private static IEnumerable<TestCaseData> WritingCommands() =>
        _writingCommands.Select(c => new TestCaseData((object)c).SetArgDisplayNames(string.Join(' ', c)));

    [TestCaseSource(nameof(Commands))]
    public async Task A_var_dir_that_is_a_file_is_one_line_and_exit_3(string[] command)
    {
        using var site = new Site();
        string varDir = Path.Combine(site.Root, "var");
        await File.WriteAllTextAsync(varDir, "not a directory\n");
        string config = site.WriteConfig(varDir);

        var result = await HostProcess.RunAsync(site.Root, StdinFor(command), [.. command, "-C", config]);

        AssertOneLine(result, $"Configuration error: {config}:2: var_dir {varDir} is not a writable directory: it is a file");
        Assert.That(File.ReadAllText(varDir), Is.EqualTo("not a directory\n"), "the file is left alone");
    }

    [TestCaseSource(nameof(Commands))]
    public async Task A_var_dir_that_cannot_be_created_is_one_line_and_exit_3(string[] command)
    {
        using var site = new Site();
        string blocker = Path.Combine(site.Root, "blocker");
        await File.WriteAllTextAsync(blocker, "a file where a directory should be\n");
        string varDir = Path.Combine(blocker, "var");
        string config = site.WriteConfig(varDir);

        var result = await HostProcess.RunAsync(site.Root, StdinFor(command), [.. command, "-C", config]);

        AssertOneLine(result, $"Configuration error: {config}:2: var_dir {varDir} is not a writable directory: it cannot be created: {blocker} is a file");
    }

    [TestCaseSource(nameof(WritingCommands))]
    public async Task A_var_dir_without_write_permission_is_one_line_and_exit_3_for_commands_that_write(string[] command)
    {
        using var site = new Site();
        string varDir = Path.Combine(site.Root, "var");
        Directory.CreateDirectory(varDir);
        using var readOnly = ReadOnlyDirectory.Make(varDir);
        string config = site.WriteConfig(varDir);

        var result = await HostProcess.RunAsync(site.Root, StdinFor(command), [.. command, "-C", config]);

        AssertOneLine(result, $"Configuration error: {config}:2: var_dir {varDir} is not a writable directory: no write permission (mode ");
    }

    [Test]
    public async Task Reading_commands_work_on_a_var_dir_they_may_only_read()
    {
        // The group of a 0750 var/ can read it: status and queues must work for its members.
        using var site = new Site();
        string varDir = Path.Combine(site.Root, "var");
        Directory.CreateDirectory(Path.Combine(varDir, "queue", "in"));
        Directory.CreateDirectory(Path.Combine(varDir, "logs"));
        Directory.CreateDirectory(Path.Combine(varDir, "locks"));
        using var readOnly = ReadOnlyDirectory.Make(varDir);
        string config = site.WriteConfig(varDir);

        var status = await HostProcess.RunAsync(site.Root, null, "status", "-C", config);
        var queues = await HostProcess.RunAsync(site.Root, null, "queues", "-C", config);

        Assert.That(status.ExitCode, Is.Zero, status.ToString());
        Assert.That(status.Stdout, Is.EqualTo("RunnerHost is not running\n"));
        Assert.That(queues.ExitCode, Is.Zero, queues.ToString());
        Assert.That(queues.Stdout, Does.Contain("in "));
    }

    [Test]
    public async Task A_missing_var_dir_is_created_by_a_writing_command_and_not_by_a_reading_one()
    {
        using var site = new Site();
        string varDir = Path.Combine(site.Root, "data", "var");
        string config = site.WriteConfig(varDir);

        var status = await HostProcess.RunAsync(site.Root, null, "status", "-C", config);
        Assert.That(status.ExitCode, Is.Zero, status.ToString());
        Assert.That(Directory.Exists(Path.Combine(site.Root, "data")), Is.False, "status creates nothing");

        var inject = await HostProcess.RunAsync(site.Root, Message, "inject", "-C", config, "test@example.com");
        Assert.That(inject.ExitCode, Is.Zero, inject.ToString());
        Assert.That(Directory.GetFiles(Path.Combine(varDir, "queue", "in")), Has.Length.EqualTo(1));
    }

    // Only inject reads stdin; a process that exits before we write would make the write fail.
    private static string? StdinFor(string[] command) => command[0] == "inject" ? Message : null;

    private static void AssertOneLine(ProcessResult result, string expectedStart)
    {
        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), result.ToString());
        Assert.That(lines[0], Does.StartWith(expectedStart), result.ToString());
        Assert.That(result.Stdout, Is.Empty, "no output that looks like an answer (an empty queue table, 'not running')");
    }

    /// <summary>A temporary directory with a configuration whose var_dir is given.</summary>
    private sealed class Site : IDisposable
    {
        public string Root { get; } = TestDirectories.CreateTemp("vardir");

        public string WriteConfig(string varDir)
        {
            string file = Path.Combine(Root, "runner-host.cfg");
            File.WriteAllText(file, $"[paths]\nvar_dir: {varDir}\n\n[list.test]\nposting_address: test@example.com\n\n[runner.in]\nclass: MaildirArchiveRunner\n");
            return file;
        }

        public void Dispose() => TestDirectories.DeleteQuietly(Root);
    }
}

/// <summary>
/// Makes a directory unwritable for this process: chmod 0555, or for root (who ignores modes) the
/// immutable attribute, which binds root too. Undone on dispose.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class ReadOnlyDirectory : IDisposable
{
    private readonly string _path;
    private readonly bool _immutable;

    private ReadOnlyDirectory(string path, bool immutable)
    {
        _path = path;
        _immutable = immutable;
    }

    public static ReadOnlyDirectory Make(string path)
    {
        bool root = Environment.UserName == "root";
        if (root)
        {
            Chattr("+i", path);
        }
        else
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }

        var made = new ReadOnlyDirectory(path, root);
        try
        {
            File.WriteAllText(Path.Combine(path, "probe"), string.Empty);
        }
        catch (UnauthorizedAccessException)
        {
            return made;
        }
        catch (IOException)
        {
            return made;
        }

        made.Dispose();
        Assert.Ignore($"cannot make {path} unwritable here (neither chmod nor chattr +i binds this user)");
        return made;
    }

    public void Dispose()
    {
        if (_immutable)
        {
            Chattr("-i", _path);
        }
        else
        {
            File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static void Chattr(string flag, string path)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true, UseShellExecute = false });
            process?.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No chattr: the probe write in Make tells.
        }
    }
}
