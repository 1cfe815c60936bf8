using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Supervision;

/// <summary>A runner process under the master holds only the plugin of its class, not every deployed plugin and its dependencies.</summary>
[TestFixture]
public sealed class RunnerFootprintTests
{
    private string? _root;

    [TearDown]
    public void TearDown()
    {
        if (_root is not null)
        {
            TestDirectories.DeleteQuietly(_root);
        }
    }

    [Test]
    public async Task An_archive_runner_process_maps_the_archive_plugin_and_none_of_the_others()
    {
        _root = TestDirectories.CreateTemp("footprint");
        string config = Path.Combine(_root, "runner-host.cfg");
        // The host's own plugins (all six, the rest runner's ASP.NET Core and out's MailKit among them).
        await File.WriteAllTextAsync(config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}
            plugin_dir: {Path.Combine(AppContext.BaseDirectory, "plugins")}

            [list.test]
            posting_address: test@example.com

            [runner.archive]
            class: MaildirArchiveRunner
            maildir: {Path.Combine(_root, "maildir")}
            """);
        string statusFile = Path.Combine(_root, "var", "master.status.json");
        using var master = HostProcess.Start(_root, "start", "-C", config);
        int? pid = null;
        var deadline = DateTime.UtcNow + MasterHarness.Patience;
        while (pid is null && DateTime.UtcNow < deadline && !master.HasExited)
        {
            if (StatusSnapshot.TryRead(statusFile) is { } status && status.MasterPid == master.Id
                && status.Slices is [{ State: SliceState.Running, Pid: { } running }])
            {
                pid = running;
            }

            await Task.Delay(100);
        }

        Assert.That(pid, Is.Not.Null, $"the archive slice running; master stderr:\n{master.Stderr}");
        string maps = await File.ReadAllTextAsync($"/proc/{pid}/maps");
        master.Signal(Posix.SigTerm);
        Assert.That(await master.WaitForExitAsync(MasterHarness.Patience), Is.Zero, master.Stderr);

        Assert.That(maps, Does.Contain("/Archive.dll"), "its own plugin");
        Assert.That(maps, Does.Not.Contain("/Rest.dll").And.Not.Contain("/Outgoing.dll").And.Not.Contain("/Lmtp.dll"), "the other plugins");
        // By file name: the Generic Host's own assemblies (Microsoft.Extensions.Hosting) live in the ASP.NET Core
        // shared framework's directory, and a runner process maps them; ASP.NET Core itself it must not.
        Assert.That(maps, Does.Not.Match(@"/Microsoft\.AspNetCore\.[^/\n]*\.dll").And.Not.Contain("/MailKit.dll"), "the other plugins' dependencies");
    }
}
