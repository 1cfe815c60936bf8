using System.Diagnostics;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Hosting.Tests.Supervision;

namespace RunnerHost.Hosting.Tests.Cli;

/// <summary>
/// Everything the host creates under var/ is 0750 (directories) and 0640 (files) whatever the caller's
/// umask: a real master and a real inject, each started by a shell with that umask.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FilePermissionTests
{
    private const UnixFileMode Directory0750 =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private const UnixFileMode File0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    [TestCase("000")]
    [TestCase("022")]
    public async Task Var_and_everything_in_it_is_0750_and_0640_whatever_the_umask(string umask)
    {
        using var harness = await MasterHarness.CreateAsync("""
            [runner.in]
            class: RecordingRunner
            output_dir: $out
            instances: 2
            """);
        string varDir = Path.Combine(harness.Root, "var");
        using var master = new RunningHost(StartUnderUmask(harness.Root, umask, "start", "-C", harness.ConfigFile));
        await harness.WaitForAllRunningAsync(master, 2);

        using (var inject = StartUnderUmask(harness.Root, umask, "inject", "-C", harness.ConfigFile, "-q", "in", "test@example.com"))
        {
            await inject.StandardInput.WriteAsync("From: anne@example.com\nTo: test@example.com\nSubject: hi\nMessage-ID: <p1@test>\n\nHi.\n");
            inject.StandardInput.Close();
            await inject.WaitForExitAsync();
            Assert.That(inject.ExitCode, Is.Zero, await inject.StandardError.ReadToEndAsync());
        }

        // A kept entry stays in the queue, so that a queue file is among what is checked.
        using (var kept = StartUnderUmask(harness.Root, umask, "inject", "-C", harness.ConfigFile, "-q", "shunt", "test@example.com"))
        {
            await kept.StandardInput.WriteAsync("From: anne@example.com\nSubject: kept\n\nKept.\n");
            kept.StandardInput.Close();
            await kept.WaitForExitAsync();
            Assert.That(kept.ExitCode, Is.Zero, await kept.StandardError.ReadToEndAsync());
        }

        await MasterHarness.WaitUntilAsync(() => harness.Recorded().Contains("p1@test"), "the injected message to be processed");
        await MasterHarness.WaitUntilAsync(() => Directory.Exists(Path.Combine(varDir, "metrics")) && Directory.GetFiles(Path.Combine(varDir, "metrics"), "*.prom").Length > 0, "metrics files");
        var whileRunning = Modes(varDir);

        master.Signal(15);
        Assert.That(await master.WaitForExitAsync(MasterHarness.Patience), Is.Zero, master.Stderr);
        var afterStop = Modes(varDir);

        string[] expected =
        [
            "var", "var/queue", "var/queue/in", "var/queue/shunt", "var/logs", "var/logs/runner-host.log",
            "var/locks", "var/locks/master.lck", "var/master.pid", "var/master.status.json", "var/metrics",
        ];
        Assert.Multiple(() =>
        {
            foreach (var name in expected)
            {
                Assert.That(whileRunning.Keys, Does.Contain(name), $"{name} exists while the master runs");
            }

            Assert.That(whileRunning.Keys.Count(k => k.StartsWith("var/queue/shunt/", StringComparison.Ordinal) && !k.StartsWith("var/queue/shunt/.journal", StringComparison.Ordinal)), Is.EqualTo(1), "the kept entry");
            foreach (var (name, (isDirectory, mode)) in whileRunning.Concat(afterStop))
            {
                Assert.That(mode, Is.EqualTo(isDirectory ? Directory0750 : File0640), $"{name} (umask {umask}): {Octal(mode)}");
            }
        });
    }

    [Test]
    public async Task A_detached_master_writes_master_log_0640_under_umask_000()
    {
        using var harness = await MasterHarness.CreateAsync("""
            [runner.in]
            class: RecordingRunner
            output_dir: $out
            """);
        string varDir = Path.Combine(harness.Root, "var");
        using (var detach = StartUnderUmask(harness.Root, "000", "start", "--detach", "-C", harness.ConfigFile))
        {
            var stderr = detach.StandardError.ReadToEndAsync();
            await detach.WaitForExitAsync();
            Assert.That(detach.ExitCode, Is.Zero, await stderr);
        }

        try
        {
            var modes = Modes(varDir);
            Assert.That(modes.Keys, Does.Contain("var/logs/master.log"));
            Assert.Multiple(() =>
            {
                foreach (var (name, (isDirectory, mode)) in modes)
                {
                    Assert.That(mode, Is.EqualTo(isDirectory ? Directory0750 : File0640), $"{name}: {Octal(mode)}");
                }
            });
        }
        finally
        {
            var stop = await harness.RunAsync("stop");
            Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
        }
    }

    private static Process StartUnderUmask(string workingDirectory, string umask, params string[] arguments)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"umask {umask} && exec dotnet \"$@\"");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(HostProcess.HostDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("RUNNER_HOST_CONFIG");
        start.Environment.Remove("RUNNER_HOST_VAR_DIR");
        return Process.Start(start) ?? throw new InvalidOperationException("could not start sh");
    }

    /// <summary>Every entry under var/ (var itself included) by its path relative to the site, with its type and mode.</summary>
    private static Dictionary<string, (bool IsDirectory, UnixFileMode Mode)> Modes(string varDir)
    {
        string root = Path.GetDirectoryName(varDir)!;
        var modes = new Dictionary<string, (bool, UnixFileMode)>(StringComparer.Ordinal)
        {
            ["var"] = (true, File.GetUnixFileMode(varDir)),
        };
        foreach (var entry in new DirectoryInfo(varDir).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            try
            {
                modes[Path.GetRelativePath(root, entry.FullName)] = (entry is DirectoryInfo, entry.UnixFileMode);
            }
            catch (FileNotFoundException)
            {
                // Renamed away while listing (a metrics file rewritten, a .tmp published).
            }
        }

        return modes;
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
