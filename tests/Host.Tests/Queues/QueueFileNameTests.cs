using RunnerHost.Hosting.Queues;

namespace RunnerHost.Hosting.Tests.Queues;

[TestFixture]
public sealed class QueueFileNameTests
{
    private static readonly string Digest = new('a', 40);

    [TestCase(1.0, "1.0")]
    [TestCase(1795811424.5949073, "1795811424.5949073")]
    [TestCase(1700000000.0, "1700000000.0")]
    [TestCase(0.1, "0.1")]
    public void Time_is_written_like_python_repr(double seconds, string expected) =>
        Assert.That(QueueFileName.FormatTime(seconds), Is.EqualTo(expected));

    [TestCase("1700000000.0", 1700000000.0)]
    [TestCase("1700000000", 1700000000.0)]
    [TestCase("1795811424.5949073", 1795811424.5949073)]
    public void Parser_accepts_python_and_dotnet_forms(string time, double expected)
    {
        var parts = QueueFileName.Parse(time + "+" + Digest);
        Assert.That(parts.Time, Is.EqualTo(expected));
        Assert.That(parts.Digest, Is.EqualTo(Digest));
    }

    [TestCase("README", "no '+'")]
    [TestCase("abc+xyz", "not a number")]
    [TestCase("1700000000.5+xyz", "not 40 hex digits")]
    [TestCase("1700000000.5+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not 40 hex digits")]
    [TestCase("1700000000.5+gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not 40 hex digits")]
    [TestCase("+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not a number")]
    [TestCase("NaN+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not a number")]
    public void Parser_rejects_bad_names_with_a_reason(string filebase, string reason)
    {
        Assert.That(QueueFileName.TryParse(filebase, out _, out string? error), Is.False);
        Assert.That(error, Does.Contain(reason));
        Assert.Throws<FormatException>(() => QueueFileName.Parse(filebase));
    }

    [Test]
    public void Digest_covers_message_listid_time_and_nonce()
    {
        byte[] message = [1, 2, 3];
        byte[] nonce = [0, 0, 0, 0, 0, 0, 0, 0];
        string baseline = QueueFileName.ComputeDigest(message, null, "1.0", nonce);

        Assert.That(baseline, Does.Match("^[0-9a-f]{40}$"));
        Assert.That(QueueFileName.ComputeDigest(message, "--nolist--", "1.0", nonce), Is.EqualTo(baseline));
        Assert.That(QueueFileName.ComputeDigest(message, "t.example.com", "1.0", nonce), Is.Not.EqualTo(baseline));
        Assert.That(QueueFileName.ComputeDigest(message, null, "2.0", nonce), Is.Not.EqualTo(baseline));
        Assert.That(QueueFileName.ComputeDigest([1, 2, 4], null, "1.0", nonce), Is.Not.EqualTo(baseline));
        Assert.That(QueueFileName.ComputeDigest(message, null, "1.0", [1, 0, 0, 0, 0, 0, 0, 0]), Is.Not.EqualTo(baseline));
    }

    [Test]
    public void Created_names_parse_back_to_their_time()
    {
        double seconds = QueueFileName.ToUnixSeconds(DateTimeOffset.UtcNow);
        string filebase = QueueFileName.Create([42], null, seconds);
        Assert.That(QueueFileName.Parse(filebase).Time, Is.EqualTo(seconds));
    }
}
