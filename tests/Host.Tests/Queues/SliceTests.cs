using System.Globalization;
using System.Numerics;
using RunnerHost.Hosting.Queues;

namespace RunnerHost.Hosting.Tests.Queues;

[TestFixture]
public sealed class SliceTests
{
    private static readonly BigInteger HashSpace = BigInteger.One << 160;

    private QueueTestEnvironment _env = null!;

    [SetUp]
    public void SetUp() => _env = new QueueTestEnvironment();

    [TearDown]
    public void TearDown() => _env.Dispose();

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    [TestCase(8)]
    [TestCase(16)]
    public void Every_name_lands_in_exactly_one_slice_given_by_its_top_bits(int count)
    {
        var random = new Random(count);
        var perSlice = new int[count];
        for (int i = 0; i < 5000; i++)
        {
            byte[] message = new byte[32];
            random.NextBytes(message);
            string filebase = QueueFileName.Create(message, "t.example.com", 1_700_000_000 + i * 0.001);
            string digest = QueueFileName.Parse(filebase).Digest;
            var value = BigInteger.Parse("0" + digest, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

            // Exact version of Mailman's ranges [s*2^160/n, (s+1)*2^160/n - 1].
            var containing = Enumerable.Range(0, count)
                .Where(s => value >= s * HashSpace / count && value <= ((s + 1) * HashSpace / count) - 1)
                .ToList();
            int slice = SliceMath.SliceOf(digest, count);

            Assert.That(containing, Has.Count.EqualTo(1), digest);
            Assert.That(slice, Is.EqualTo(containing[0]), digest);
            Assert.That(slice, Is.EqualTo((int)(value >> (160 - BitOperations.Log2((uint)count)))), digest);
            perSlice[slice]++;
        }

        Assert.That(perSlice.Sum(), Is.EqualTo(5000));
        Assert.That(perSlice, Has.All.GreaterThan(5000 / count / 2), "a hash should spread names roughly evenly");
    }

    [Test]
    public void Boundary_digests_fall_in_the_upper_slice_only()
    {
        string half = "8" + new string('0', 39);
        string justBelow = "7" + new string('f', 39);
        Assert.That(SliceMath.SliceOf(half, 2), Is.EqualTo(1));
        Assert.That(SliceMath.SliceOf(justBelow, 2), Is.EqualTo(0));
        Assert.That(SliceMath.SliceOf(half, 8), Is.EqualTo(4));
        Assert.That(SliceMath.SliceOf(new string('f', 40), 65536), Is.EqualTo(65535));
    }

    [TestCase(0)]
    [TestCase(3)]
    [TestCase(-1)]
    [TestCase(6)]
    [TestCase(131072)]
    [TestCase(int.MinValue)]
    public void Non_powers_of_two_and_zero_are_rejected(int count)
    {
        Assert.That(SliceMath.IsValidSliceCount(count), Is.False);
        Assert.Throws<ArgumentOutOfRangeException>(() => SliceMath.SliceOf(new string('a', 40), count));
        Assert.Throws<ArgumentException>(() => _env.Create("in", 0, count));
    }

    [Test]
    public void Powers_of_two_up_to_65536_are_accepted()
    {
        for (int count = 1; count <= 65536; count *= 2)
        {
            Assert.That(SliceMath.IsValidSliceCount(count), Is.True, count.ToString(CultureInfo.InvariantCulture));
        }
    }

    [Test]
    public void Slice_outside_the_count_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => _env.Create("in", 4, 4));
        Assert.Throws<ArgumentException>(() => _env.Create("in", -1, 4));
    }

    [Test]
    public async Task Sliced_switchboards_partition_a_real_directory_exactly()
    {
        var writer = _env.Create("in", fsync: false);
        var all = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 200; i++)
        {
            all.Add(await writer.EnqueueAsync(QueueTestEnvironment.TestMessage($"message {i}")));
        }

        Assert.That(writer.GetFiles(), Has.Count.EqualTo(200), "an unsliced switchboard sees everything");
        var now = DateTimeOffset.UtcNow.AddMinutes(1);
        foreach (int count in new[] { 2, 4, 8 })
        {
            var seen = new List<string>();
            for (int slice = 0; slice < count; slice++)
            {
                using var reader = _env.Create("in", slice, count, fsync: false);
                var files = reader.GetFiles();
                Assert.That(reader.GetSnapshot(now).Ready, Is.EqualTo(files));
                Assert.That(files.Select(f => SliceMath.SliceOf(QueueFileName.Parse(f).Digest, count)), Has.All.EqualTo(slice));
                seen.AddRange(files);
            }

            Assert.That(seen, Has.Count.EqualTo(200), $"n={count}: no entry in two slices");
            Assert.That(seen.ToHashSet(StringComparer.Ordinal).SetEquals(all), Is.True, $"n={count}: every entry in some slice");
        }
    }
}
