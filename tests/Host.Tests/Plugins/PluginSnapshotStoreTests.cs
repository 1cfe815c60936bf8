using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>The private copies runners load plugins from: one per content, reused, pruned when unused, and safe on hostile folders.</summary>
[TestFixture]
public sealed class PluginSnapshotStoreTests
{
    private string _root = null!;
    private string _folder = null!;
    private PluginSnapshotStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _root = TestDirectories.CreateTemp("snapshots");
        _folder = Path.Combine(_root, "plugins", "Demo");
        Directory.CreateDirectory(Path.Combine(_folder, "de"));
        File.WriteAllText(Path.Combine(_folder, "Demo.dll"), "version one");
        File.WriteAllText(Path.Combine(_folder, "de", "Demo.resources.dll"), "resources");
        SettleFiles();
        _store = new PluginSnapshotStore(Path.Combine(_root, "var", "plugin-copies"), NullLogger.Instance, TimeSpan.FromMilliseconds(100));
    }

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public void The_copy_holds_the_files_and_the_same_content_reuses_it()
    {
        using var first = _store.Acquire(_folder);
        File.SetLastWriteTimeUtc(Path.Combine(_folder, "Demo.dll"), DateTime.UtcNow.AddMinutes(-5)); // a touch: same bytes
        using var second = _store.Acquire(_folder);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(File.ReadAllText(Path.Combine(first.Directory, "Demo.dll")), Is.EqualTo("version one"));
            Assert.That(File.ReadAllText(Path.Combine(first.Directory, "de", "Demo.resources.dll")), Is.EqualTo("resources"));
            Assert.That(second.Directory, Is.EqualTo(first.Directory), "same bytes, same copy");
            Assert.That(second.SourceFingerprint, Is.Not.EqualTo(first.SourceFingerprint), "but the listing changed");
            Assert.That(Path.GetDirectoryName(first.Directory), Is.EqualTo(Path.Combine(_root, "var", "plugin-copies", "Demo")));
        }
    }

    [Test]
    public void New_content_gets_a_new_copy_and_the_deployed_files_can_then_be_deleted()
    {
        using var first = _store.Acquire(_folder);
        File.WriteAllText(Path.Combine(_folder, "Demo.dll"), "version two");
        SettleFiles();
        using var second = _store.Acquire(_folder);
        Directory.Delete(_folder, recursive: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(second.Directory, Is.Not.EqualTo(first.Directory));
            Assert.That(File.ReadAllText(Path.Combine(first.Directory, "Demo.dll")), Is.EqualTo("version one"), "a leased copy is kept");
            Assert.That(File.ReadAllText(Path.Combine(second.Directory, "Demo.dll")), Is.EqualTo("version two"));
        }
    }

    [Test]
    public void A_copy_nobody_holds_is_deleted_when_the_next_one_is_made()
    {
        string old;
        using (var first = _store.Acquire(_folder))
        {
            old = first.Directory;
        }

        File.WriteAllText(Path.Combine(_folder, "Demo.dll"), "version two");
        SettleFiles();
        using var second = _store.Acquire(_folder);

        Assert.That(Directory.Exists(old), Is.False);
        Assert.That(Directory.Exists(second.Directory), Is.True);
    }

    [Test]
    public void A_fifo_and_a_link_to_a_parent_folder_neither_block_nor_loop()
    {
        using (var mkfifo = Process.Start("mkfifo", Path.Combine(_folder, "Pipe.dll")))
        {
            mkfifo.WaitForExit();
            Assume.That(mkfifo.ExitCode, Is.Zero, "mkfifo");
        }

        Directory.CreateSymbolicLink(Path.Combine(_folder, "loop"), _folder);
        SettleFiles();

        var acquire = Task.Run(() => _store.Acquire(_folder));
        Assert.That(acquire.Wait(TimeSpan.FromSeconds(30)), Is.True, "Acquire returned");
        using var snapshot = acquire.Result;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(new FileInfo(Path.Combine(snapshot.Directory, "Pipe.dll")).Length, Is.Zero, "copied as an empty file, never opened");
            Assert.That(Directory.Exists(Path.Combine(snapshot.Directory, "loop")), Is.False, "a link to a folder is not followed");
        }
    }

    [Test]
    public void A_missing_folder_is_one_line()
    {
        Directory.Delete(_folder, recursive: true);
        Assert.That(() => _store.Acquire(_folder), Throws.TypeOf<PluginException>().With.Message.EqualTo($"the folder {_folder} does not exist"));
    }

    // Back-dated, so the quiet period does not make every test wait.
    private void SettleFiles()
    {
        foreach (string file in Directory.GetFiles(_folder, "*", SearchOption.AllDirectories))
        {
            if (new FileInfo(file).LinkTarget is null && new FileInfo(file).Length > 0)
            {
                File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(-10));
            }
        }
    }
}
