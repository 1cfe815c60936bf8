using RunnerHost.Hosting.Operations;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Operations;

public sealed class BadCommandTests
{
    private TestHost _host = null!;
    private string _bad = null!;

    [SetUp]
    public void SetUp()
    {
        _host = new TestHost("[runner.in]\nclass: Unused\n");
        _bad = Path.Combine(_host.QueueDir, "bad");
        Directory.CreateDirectory(_bad);
    }

    [TearDown]
    public void TearDown() => _host.Dispose();

    [Test]
    public async Task List_shows_name_size_age_and_reason()
    {
        string name = await PreserveAsync("listed", "unreadable: checksum mismatch");

        var result = await HostProcess.RunAsync(_host.Root, null, "bad", "list", "-C", _host.ConfigFile);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        long size = new FileInfo(Path.Combine(_bad, name + ".psv")).Length;
        Assert.That(result.Stdout, Does.Match($"^{Escape(name)}  {size}  \\d+d  unreadable: checksum mismatch\n$"));
    }

    [Test]
    public async Task Requeue_enqueues_into_the_named_queue_and_removes_psv_and_reason()
    {
        string name = await PreserveAsync("again", "shunt failed");

        var result = await HostProcess.RunAsync(_host.Root, null, "bad", "requeue", "-C", _host.ConfigFile, name, "--to", "in");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(_host.CheckQueueFiles("bad"), Is.EqualTo("empty"));
        string filebase = _host.Queue("in").GetFiles().Single();
        Assert.That(result.Stdout, Is.EqualTo($"{name} -> in {filebase}\n"));
        var entry = await _host.Queue("in").DequeueAsync(filebase);
        Assert.That(entry.Message.Subject, Is.EqualTo("again"));
        Assert.That(entry.Metadata.GetString(PreservedEntries.RequeuedFromKey), Is.EqualTo($"bad/{name}.psv"));
    }

    [Test]
    public async Task An_undecodable_entry_is_refused_with_its_reason_and_kept()
    {
        await File.WriteAllTextAsync(Path.Combine(_bad, "README.psv"), "garbage\n");

        var result = await HostProcess.RunAsync(_host.Root, null, "bad", "requeue", "-C", _host.ConfigFile, "README", "--to", "in");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        // The reason names the problem and the size, never the file's bytes.
        Assert.That(result.Stderr, Is.EqualTo("cannot requeue README: undecodable: bad magic: expected 'RUNNERHOST-QUEUE' at the start; the file's 8 bytes are not a queue entry\n"));
        Assert.That(_host.CheckQueueFiles("bad"), Is.EqualTo(".psv: 1"));
        Assert.That(_host.CheckQueueFiles("in"), Is.EqualTo("empty"));
    }

    [Test]
    public async Task Purge_deletes_only_the_named_entries_with_their_reasons()
    {
        string gone = await PreserveAsync("gone", "x");
        string kept = await PreserveAsync("kept", "y");

        var result = await HostProcess.RunAsync(_host.Root, null, "bad", "purge", "-C", _host.ConfigFile, gone + ".psv");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Is.EqualTo($"{gone} purged\n"));
        Assert.That(Directory.GetFiles(_bad).Select(Path.GetFileName).Order(StringComparer.Ordinal), Is.EqualTo(new[] { kept + ".psv", kept + ".psv.reason" }));
    }

    [Test]
    public async Task Purge_all_needs_yes()
    {
        await PreserveAsync("one", "x");

        var refused = await HostProcess.RunAsync(_host.Root, null, "bad", "purge", "-C", _host.ConfigFile, "--all");
        Assert.That(refused.ExitCode, Is.EqualTo(2), refused.ToString());
        Assert.That(refused.Stderr, Is.EqualTo("Error: purge --all would delete 1 entries; add --yes to confirm\n"));
        Assert.That(_host.CheckQueueFiles("bad"), Is.EqualTo(".psv: 1\n.reason: 1"));

        var purged = await HostProcess.RunAsync(_host.Root, null, "bad", "purge", "-C", _host.ConfigFile, "--all", "--yes");
        Assert.That(purged.ExitCode, Is.Zero, purged.ToString());
        Assert.That(_host.CheckQueueFiles("bad"), Is.EqualTo("empty"));
    }

    [TestCase("purge", "../in/x", "Error: bad entry name '../in/x': must not contain '/', '\\' or '..'\n")]
    [TestCase("show", "a/b", "Error: bad entry name 'a/b': must not contain '/', '\\' or '..'\n")]
    [TestCase("purge", "nosuch", "Error: no preserved entry nosuch in bad\n")]
    public async Task Bad_names_are_one_line_exit_2_and_nothing_is_removed(string verb, string name, string expected)
    {
        await PreserveAsync("safe", "x");

        var result = await HostProcess.RunAsync(_host.Root, null, "bad", verb, "-C", _host.ConfigFile, name);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Is.EqualTo(expected.Replace("{bad}", _bad, StringComparison.Ordinal)));
        Assert.That(_host.CheckQueueFiles("bad"), Is.EqualTo(".psv: 1\n.reason: 1"));
    }

    [Test]
    public async Task Purge_with_one_unknown_name_deletes_nothing()
    {
        string name = await PreserveAsync("safe", "x");

        var result = await HostProcess.RunAsync(_host.Root, null, "bad", "purge", "-C", _host.ConfigFile, name, "nosuch");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(_host.CheckQueueFiles("bad"), Is.EqualTo(".psv: 1\n.reason: 1"));
    }

    [Test]
    public async Task Requeue_to_an_unknown_queue_is_exit_2()
    {
        string name = await PreserveAsync("nowhere", "x");

        var result = await HostProcess.RunAsync(_host.Root, null, "bad", "requeue", "-C", _host.ConfigFile, name, "--to", "bogus");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Is.EqualTo("Error: No such queue: bogus\n"));
    }

    [Test]
    public async Task Show_prints_the_entry_and_its_reason()
    {
        string name = await PreserveAsync("shown", "why not");

        var result = await HostProcess.RunAsync(_host.Root, null, "bad", "show", "-C", _host.ConfigFile, name);

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.Contain("Subject: shown\n"));
        Assert.That(result.Stdout, Does.Contain("reason       : why not\n"));
    }

    private async Task<string> PreserveAsync(string subject, string reason)
    {
        string path = await ShuntedEntries.AddAsync(_host, subject);
        string name = Path.GetFileNameWithoutExtension(path);
        File.Move(path, Path.Combine(_bad, name + ".psv"));
        await File.WriteAllTextAsync(Path.Combine(_bad, name + ".psv.reason"), $$"""{"reason":"{{reason}}","queue":"in","original_file":"{{name}}.bak","time":"2024-01-01T00:00:00.0000000+00:00"}""");
        return name;
    }

    private static string Escape(string text) => System.Text.RegularExpressions.Regex.Escape(text);
}
