using System.Diagnostics;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>
/// The Maildir archive keeps archived mail as private as the queues: files 0640 in folders 0750,
/// whatever the umask. Run as an operator would: <c>inject</c> and <c>runner --once</c> processes
/// started under umask 000.
/// </summary>
[NonParallelizable]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ArchivePermissionsTests
{
    private const UnixFileMode File0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
    private const UnixFileMode Directory0750 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _root = TestDirectories.CreateTemp("archive-perms");
    }

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public async Task Archived_messages_are_0640_in_0750_folders_under_umask_000()
    {
        string archives = Path.Combine(_root, "var", "archives");
        string config = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}

            {TestHost.DefaultConfig}

            [runner.archive]
            class: MaildirArchiveRunner
            maildir: $archive_dir/maildirs
            """);
        string message = Path.Combine(_root, "post.eml");
        await File.WriteAllTextAsync(message, "From: anne@example.com\r\nTo: test@example.com\r\nSubject: archived\r\nMessage-ID: <perm-1@example.com>\r\n\r\nKeep me private.\r\n");

        var inject = await RunUnderUmask000Async("inject", "-q", "archive", "-f", message, "-C", config, "test@example.com");
        Assert.That(inject.ExitCode, Is.Zero, inject.ToString());
        var run = await RunUnderUmask000Async("runner", "--runner", "archive", "--once", "-C", config);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());

        string maildirs = Path.Combine(archives, "maildirs");
        string list = Path.Combine(maildirs, "test.example.com");
        var archived = Directory.GetFiles(Path.Combine(list, "new"));
        Assert.That(archived, Has.Length.EqualTo(1), run.ToString());
        Assert.That(await File.ReadAllTextAsync(archived[0]), Does.Contain("Keep me private."));
        Assert.Multiple(() =>
        {
            Assert.That(File.GetUnixFileMode(archived[0]), Is.EqualTo(File0640), "the archived message");
            foreach (var directory in new[] { maildirs, list, Path.Combine(list, "tmp"), Path.Combine(list, "new"), Path.Combine(list, "cur") })
            {
                Assert.That(File.GetUnixFileMode(directory), Is.EqualTo(Directory0750), directory);
            }
        });
    }

    /// <summary>Runs <c>runner-host ARGS</c> through <c>/bin/sh</c> with umask 000, the way a careless service unit would.</summary>
    private async Task<ProcessResult> RunUnderUmask000Async(params string[] arguments)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = _root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-c", "umask 000 && exec dotnet \"$@\"", "sh", HostProcess.HostDll }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("RUNNER_HOST_CONFIG");
        start.Environment.Remove("RUNNER_HOST_VAR_DIR");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start /bin/sh");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
