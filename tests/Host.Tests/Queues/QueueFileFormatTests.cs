using System.Text;
using RunnerHost.Hosting.Queues;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Queues;

[TestFixture]
public sealed class QueueFileFormatTests
{
    // The worked example of docs/queue-format.md, byte for byte.
    private const string DocumentedExample =
        "RUNNERHOST-QUEUE 1 56 78\n"
        + "{\"listid\":\"t.example.com\",\"version\":3,\"_parsemsg\":false}"
        + "From: aperson@example.com\r\nTo: t@example.com\r\nSubject: hi\r\n\r\nA test message.\r\n"
        + "\nEND 203c3eb92a2236912297e69122fd483e40c253f83bafa5db8d6ce544f05ab9e0\n";

    private static readonly byte[] ExampleMessage = Encoding.ASCII.GetBytes("From: aperson@example.com\r\nTo: t@example.com\r\nSubject: hi\r\n\r\nA test message.\r\n");

    [Test]
    public void Encode_produces_the_documented_example()
    {
        var metadata = new MessageData { ["listid"] = "t.example.com", ["version"] = 3, ["_parsemsg"] = false };
        byte[] file = QueueFileFormat.Encode(metadata, ExampleMessage);
        Assert.That(Encoding.ASCII.GetString(file), Is.EqualTo(DocumentedExample));
        Assert.That(file, Has.Length.EqualTo(229));
    }

    [Test]
    public void Decode_reads_the_documented_example()
    {
        var entry = QueueFileFormat.Decode(Encoding.ASCII.GetBytes(DocumentedExample));
        Assert.That(entry.Version, Is.EqualTo(1));
        Assert.That(entry.Metadata.ListId, Is.EqualTo("t.example.com"));
        Assert.That(entry.Metadata["version"], Is.EqualTo(3L));
        Assert.That(entry.Message.ToArray(), Is.EqualTo(ExampleMessage));
    }

    [Test]
    public void Every_single_byte_truncation_is_detected()
    {
        byte[] file = Encoding.ASCII.GetBytes(DocumentedExample);
        for (int length = 0; length < file.Length; length++)
        {
            var partial = QueueFileFormat.ReadWhatYouCan(file.AsMemory(0, length));
            Assert.That(partial.Problems, Is.Not.Empty, $"length {length}");
        }
    }
}
