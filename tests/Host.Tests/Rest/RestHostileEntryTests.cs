using System.Net;
using System.Text;
using System.Text.Json;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Tests.Queues;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary>The REST API's readers of entry names and entry files, over real HTTP, against what a queue directory may really hold.</summary>
public sealed class RestHostileEntryTests
{
    private RestHost _rest = null!;

    private string QueueDir(string name) => Path.Combine(_rest.VarDir, "queue", name);

    [OneTimeSetUp]
    public async Task SetUp() => _rest = await RestHost.StartAsync();

    [OneTimeTearDown]
    public async Task TearDown() => await _rest.DisposeAsync();

    [Test]
    public async Task Queue_listings_answer_200_whatever_the_names_hold()
    {
        Directory.CreateDirectory(QueueDir("in"));
        int n = 0;
        foreach (string time in EntryNameReaderTests.HostileTimes)
        {
            string name = time + "+" + (n++).ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + new string('c', 38) + ".pck";
            await File.WriteAllBytesAsync(Path.Combine(QueueDir("in"), name), QueueFileFormat.Encode(new MessageData(), "Subject: x\r\n\r\nx\r\n"u8));
        }

        var queues = await _rest.Client.GetAsync("/queues");
        var queue = await _rest.Client.GetAsync("/queues/in");

        Assert.That(queues.StatusCode, Is.EqualTo(HttpStatusCode.OK), await queues.Content.ReadAsStringAsync());
        Assert.That(queue.StatusCode, Is.EqualTo(HttpStatusCode.OK), await queue.Content.ReadAsStringAsync());
        using var listing = JsonDocument.Parse(await queue.Content.ReadAsStringAsync());
        Assert.That(listing.RootElement.GetProperty("entries").GetArrayLength(), Is.Zero, "none of them is an entry");
        using var request = RestHost.Request(HttpMethod.Get, "/queues/in/300000000000.0+" + new string('c', 40));
        var entry = await _rest.Client.SendAsync(request);
        Assert.That(entry.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "a name the runners refuse is no filebase here either");
    }

    [Test]
    public async Task An_entry_with_damaged_metadata_is_named_as_damaged_as_qfile_names_it()
    {
        Directory.CreateDirectory(QueueDir("out"));
        string filebase = "1700000000.5+" + new string('d', 40);
        byte[] metadata = [.. "{\"subject\":\""u8.ToArray(), 0xC3, 0x28, .. "\"}"u8.ToArray()];
        await File.WriteAllBytesAsync(Path.Combine(QueueDir("out"), filebase + ".pck"), QueueFileFormat.Frame(metadata, "Subject: x\r\n\r\nx\r\n"u8, 1));

        using var request = RestHost.Request(HttpMethod.Get, $"/queues/out/{filebase}");
        var response = await _rest.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("metadata JSON invalid: the value of 'subject' is not valid UTF-8"));
    }

    [Test]
    public async Task A_fifo_is_reported_not_opened()
    {
        Directory.CreateDirectory(QueueDir("retry"));
        string filebase = "1700000000.5+" + new string('e', 40);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(QueueDir("retry"), filebase + ".pck")))
        {
            await mkfifo.WaitForExitAsync();
        }

        using var request = RestHost.Request(HttpMethod.Get, $"/queues/retry/{filebase}");
        var response = await _rest.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("not a regular file but a FIFO (named pipe); not opened"));
    }

    [Test]
    public async Task Posting_to_bad_is_refused()
    {
        var response = await _rest.InjectAsync("bad", "From: a@example.com\r\nSubject: x\r\n\r\nx\r\n");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), await response.Content.ReadAsStringAsync());
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("takes no new ones"));
        Assert.That(Directory.Exists(QueueDir("bad")) ? Directory.GetFiles(QueueDir("bad")) : [], Is.Empty);
    }
}
