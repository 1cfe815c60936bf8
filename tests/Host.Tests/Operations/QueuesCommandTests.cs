using System.Text.Json;
using RunnerHost.Hosting.Operations;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Operations;

public sealed class QueuesCommandTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private TestHost _host = null!;

    [SetUp]
    public void SetUp() => _host = new TestHost("[runner.in]\nclass: Unused\ninstances: 2\n");

    [TearDown]
    public void TearDown() => _host.Dispose();

    [Test]
    public async Task Depth_per_slice_and_ages_come_from_the_names_alone()
    {
        string dir = Path.Combine(_host.QueueDir, "in");
        Directory.CreateDirectory(dir);
        // Slice 0 digests start below 0x80000000, slice 1 above. Files are empty: nothing is read.
        Touch(dir, -30, "0", ".pck");       // 0-1m, slice 0
        Touch(dir, -4 * 60, "f", ".pck");   // 1-5m, slice 1
        Touch(dir, -200 * 60, "1", ".bak"); // 160m+, taken, slice 0
        Touch(dir, 3600, "e", ".pck");      // not yet due, slice 1
        Touch(dir, -30, "a", ".pck.tmp");   // ignored

        var inspector = new FileQueueInspector([new FileQueueLayout("in", dir, 2)], _host.Services.Files.Switchboards, new Queues.ManualClock(Now));
        var shape = await inspector.SummarizeAsync("in");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(shape.Depth, Is.EqualTo(4));
            Assert.That(shape.Slices.Select(s => s.Entries), Is.EqualTo(new[] { 2, 2 }));
            Assert.That(shape.NotYetDue, Is.EqualTo(1));
            Assert.That(shape.InProgress, Is.EqualTo(1));
            Assert.That(shape.Ages, Is.EqualTo(new[] { 1, 1, 0, 0, 0, 0, 0, 1 }));
            Assert.That(shape.OldestAge, Is.EqualTo(TimeSpan.FromMinutes(200)));
        }
    }

    [Test]
    public async Task Text_and_json_list_every_configured_queue()
    {
        await ShuntedEntries.AddAsync(_host, "one");

        var text = await HostProcess.RunAsync(_host.Root, null, "queues", "-C", _host.ConfigFile);
        var json = await HostProcess.RunAsync(_host.Root, null, "queues", "-C", _host.ConfigFile, "--json");

        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        string[] lines = text.Stdout.TrimEnd('\n').Split('\n');
        Assert.That(lines[0], Does.Match("^queue +total +later +0-1m +1-5m +5-10m +10-20m +20-40m +40-80m +80-160m +160m\\+ +taken  slices$"));
        Assert.That(lines[1..^1].Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "bad", "in", "shunt" }));
        Assert.That(lines[^1], Does.StartWith("master: not running"));
        Assert.That(lines[2], Does.EndWith("  0 0"), "in has two slices");
        Assert.That(lines[3], Does.Match("^shunt +1 +0 +1 +0 +0 +0 +0 +0 +0 +0 +0  1$"));

        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var shunt = document.RootElement.GetProperty("queues")[2];
        Assert.That(shunt.GetProperty("name").GetString(), Is.EqualTo("shunt"));
        Assert.That(shunt.GetProperty("depth").GetInt32(), Is.EqualTo(1));
        Assert.That(shunt.GetProperty("ages").GetProperty("0-1m").GetInt32(), Is.EqualTo(1));
        Assert.That(document.RootElement.GetProperty("queues")[1].GetProperty("per_slice").GetArrayLength(), Is.EqualTo(2));
        Assert.That(document.RootElement.GetProperty("master").GetProperty("running").GetBoolean(), Is.False);
    }

    private static void Touch(string dir, int offsetSeconds, string digestStart, string extension)
    {
        string time = QueueFileName.FormatTime(Now.ToUnixTimeSeconds() + offsetSeconds);
        string digest = (digestStart + new string('0', 40))[..40];
        File.WriteAllBytes(Path.Combine(dir, time + "+" + digest + extension), []);
    }
}
