using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using RunnerHost.Hosting.Queues;
using RunnerHost.Hosting.Queues.Files.Journal;
using static RunnerHost.Hosting.Tests.Queues.QueueTestEnvironment;

namespace RunnerHost.Hosting.Tests.Queues;

/// <summary>
/// The enqueue journal after a simulated crash: a writer that lets go of its segment without a
/// checkpoint (as a killed process does), then the directory damaged as a power cut can leave it,
/// and the segment's boot id changed to another boot's. The next slice open must lose nothing,
/// throw nothing and say what it did in one line per segment.
/// </summary>
[TestFixture]
[Platform("Linux")]
public sealed class JournalReplayTests
{
    private const string OtherBoot = "00000000-0000-4000-8000-000000000000";
    private QueueTestEnvironment _env = null!;

    [SetUp]
    public void SetUp() => _env = new QueueTestEnvironment();

    [TearDown]
    public void TearDown() => _env.Dispose();

    [TestCase("missing")]
    [TestCase("zero-length")]
    [TestCase("truncated")]
    [TestCase("garbage")]
    public async Task An_entry_lost_or_damaged_by_a_power_cut_is_written_back_from_its_record(string damage)
    {
        var (filebases, segment) = await CrashAfterEnqueuesAsync(3);
        string victim = Path.Combine(_env.QueueDirectory("in"), filebases[1] + ".pck");
        byte[] original = await File.ReadAllBytesAsync(victim);
        switch (damage)
        {
            case "missing":
                File.Delete(victim);
                break;
            case "zero-length":
                await File.WriteAllBytesAsync(victim, []);
                break;
            case "truncated":
                await File.WriteAllBytesAsync(victim, original[..(original.Length / 2)]);
                break;
            default:
                await File.WriteAllBytesAsync(victim, [.. Enumerable.Repeat((byte)0xA5, original.Length)]);
                break;
        }

        MoveToAnotherBoot(segment);
        var recovering = _env.Create("in");
        await recovering.RecoverAsync();

        Assert.That(recovering.GetFiles(), Is.EquivalentTo(filebases), "every entry there");
        Assert.That(await File.ReadAllBytesAsync(victim), Is.EqualTo(original), "the damaged one rewritten from its record");
        Assert.That(ReplayLines(), Has.Count.EqualTo(1).And.Some.Contains("1 entries written back, 2 present"));
        recovering.Dispose();
    }

    [Test]
    public async Task A_completion_in_the_journal_keeps_the_entry_from_coming_back()
    {
        var writer = _env.Create("in");
        string finished = await writer.EnqueueAsync(TestMessage("done"));
        string pending = await writer.EnqueueAsync(TestMessage("pending"));
        await writer.DequeueAsync(finished);
        await writer.FinishAsync(finished);
        string segment = writer.Journal!.SegmentPath!;
        writer.Journal.Abandon();
        File.Delete(Path.Combine(_env.QueueDirectory("in"), pending + ".pck")); // lost in the power cut
        MoveToAnotherBoot(segment);

        var recovering = _env.Create("in");
        await recovering.RecoverAsync();

        Assert.That(recovering.GetFiles(), Is.EqualTo(new[] { pending }), "the pending one back, the finished one not");
        Assert.That(ReplayLines(), Has.Some.Contains("1 entries written back, 0 present, 1 completed"));
        recovering.Dispose();
    }

    [Test]
    public async Task Without_a_power_cut_a_missing_entry_was_completed_and_an_unrenamed_one_is_published()
    {
        var (filebases, _) = await CrashAfterEnqueuesAsync(2);
        string directory = _env.QueueDirectory("in");
        File.Delete(Path.Combine(directory, filebases[0] + ".pck")); // taken and finished by another process
        File.Move(Path.Combine(directory, filebases[1] + ".pck"), Path.Combine(directory, filebases[1] + ".pck.tmp")); // killed before its rename

        var recovering = _env.Create("in");
        await recovering.RecoverAsync();

        Assert.That(recovering.GetFiles(), Is.EqualTo(new[] { filebases[1] }));
        Assert.That(CheckQueueFiles(directory), Is.EqualTo(".pck: 1"));
        recovering.Dispose();
    }

    [Test]
    public async Task A_torn_tail_ends_the_replay_with_one_line_naming_segment_and_offset()
    {
        var (filebases, segment) = await CrashAfterEnqueuesAsync(2);
        long tail = RecordOffsets(segment)[^1] + RecordLength(segment, RecordOffsets(segment)[^1]);
        await using (var stream = new FileStream(segment, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.Position = tail;
            stream.Write([0x52, 0x48, 0x4A, 0x52, 1, 2, 3, 4, 5, 6, 7, 8]); // a record header cut short
        }

        foreach (string filebase in filebases)
        {
            File.Delete(Path.Combine(_env.QueueDirectory("in"), filebase + ".pck"));
        }

        MoveToAnotherBoot(segment);
        var recovering = _env.Create("in");
        await recovering.RecoverAsync();

        Assert.That(recovering.GetFiles(), Is.EquivalentTo(filebases));
        Assert.That(ReplayLines(), Has.Count.EqualTo(1).And.Some.Contains(Path.GetFileName(segment)).And.Some.Contains($"stopped at offset {tail}: torn tail"));
        Assert.That(File.Exists(segment), Is.True, "a torn tail is no damage: the segment is retired for reuse");
        recovering.Dispose();
    }

    [TestCase("garbage in the middle")]
    [TestCase("a length past the end")]
    public async Task A_damaged_record_loses_only_itself_and_the_segment_is_preserved(string damage)
    {
        var (filebases, segment) = await CrashAfterEnqueuesAsync(3);
        var offsets = RecordOffsets(segment);
        await using (var stream = new FileStream(segment, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            if (damage == "garbage in the middle")
            {
                stream.Position = offsets[1] + 60;
                stream.Write([.. Enumerable.Repeat((byte)0x5A, 64)]);
            }
            else
            {
                stream.Position = offsets[1] + 44;
                var huge = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(huge, uint.MaxValue - 7);
                stream.Write(huge);
            }
        }

        File.Delete(Path.Combine(_env.QueueDirectory("in"), filebases[0] + ".pck"));
        File.Delete(Path.Combine(_env.QueueDirectory("in"), filebases[2] + ".pck"));
        MoveToAnotherBoot(segment);
        var recovering = _env.Create("in");
        await recovering.RecoverAsync();

        Assert.That(recovering.GetFiles(), Is.EquivalentTo(filebases), "the records around the damage replayed; the damaged one's entry file was intact");
        Assert.That(File.Exists(segment + ".damaged-1"), Is.True, "preserved aside");
        Assert.That(File.Exists(segment), Is.False);
        Assert.That(ReplayLines(), Has.Count.EqualTo(1).And.Some.Contains($"stopped at offset {offsets[1]}"));
        recovering.Dispose();
    }

    [Test]
    public async Task A_record_whose_name_is_no_queue_file_name_is_not_written()
    {
        var (_, segment) = await CrashAfterEnqueuesAsync(1);
        var bytes = await File.ReadAllBytesAsync(segment);
        JournalSegmentFile.TryReadHeader(bytes, out ulong generation, out _, out _);
        int offset = RecordOffsets(segment)[^1] + RecordLength(segment, RecordOffsets(segment)[^1]);
        var record = new byte[JournalRecordFormat.SizeOf(12, 3)];
        JournalRecordFormat.Write(record, JournalRecordKind.Entry, generation, 1, "..%2fescaped", [1, 2, 3]);
        await using (var stream = new FileStream(segment, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.Position = offset;
            stream.Write(record);
        }

        MoveToAnotherBoot(segment);
        var recovering = _env.Create("in");
        await recovering.RecoverAsync();

        Assert.That(Directory.EnumerateFiles(_env.Root, "*escaped*", SearchOption.AllDirectories), Is.Empty);
        Assert.That(_env.Logs.Lines.Select(l => l.Message), Has.Some.Contains("no queue file name"));
        Assert.That(File.Exists(segment + ".damaged-1"), Is.True);
        recovering.Dispose();
    }

    [Test]
    public async Task A_live_writers_segment_is_left_alone_and_a_retired_one_is_reused()
    {
        var writer = _env.Create("in");
        string filebase = await writer.EnqueueAsync(TestMessage());
        string segment = writer.Journal!.SegmentPath!;
        File.Delete(Path.Combine(_env.QueueDirectory("in"), filebase + ".pck"));

        var recovering = _env.Create("in");
        await recovering.RecoverAsync();
        Assert.That(recovering.GetFiles(), Is.Empty, "the live writer's records are not replayed");

        writer.Dispose(); // checkpoint and retire
        var next = _env.Create("in");
        await next.EnqueueAsync(TestMessage());
        Assert.That(next.Journal!.SegmentPath, Is.EqualTo(segment), "the retired segment recycled");
        Assert.That(Directory.EnumerateFiles(Path.GetDirectoryName(segment)!, "*.wal"), Has.Exactly(1).Items);
        next.Dispose();
        recovering.Dispose();
    }

    private async Task<(List<string> Filebases, string Segment)> CrashAfterEnqueuesAsync(int count)
    {
        var writer = _env.Create("in");
        var filebases = new List<string>();
        for (int i = 0; i < count; i++)
        {
            filebases.Add(await writer.EnqueueAsync(TestMessage($"message {i}")));
        }

        string segment = writer.Journal!.SegmentPath!;
        writer.Journal.Abandon();
        return (filebases, segment);
    }

    private IReadOnlyList<string> ReplayLines() =>
        [.. _env.Logs.Lines.Where(l => l.Level >= LogLevel.Warning && l.Message.Contains("journal segment", StringComparison.Ordinal)).Select(l => l.Message)];

    // As if the records were written before a reboot: the segment's header names another boot.
    private static void MoveToAnotherBoot(string segment)
    {
        var bytes = File.ReadAllBytes(segment);
        Assert.That(JournalSegmentFile.TryReadHeader(bytes, out ulong generation, out _, out _), Is.True);
        using var file = JournalSegmentFile.Open(segment);
        file.WriteHeader(generation, OtherBoot);
    }

    private static List<int> RecordOffsets(string segment)
    {
        var bytes = File.ReadAllBytes(segment);
        JournalSegmentFile.TryReadHeader(bytes, out ulong generation, out _, out _);
        var offsets = new List<int>();
        int offset = JournalSegmentFile.HeaderSize;
        while (JournalRecordFormat.TryRead(bytes, offset, generation, out var record, out _) == JournalReadResult.Record)
        {
            offsets.Add(offset);
            offset += record.Length;
        }

        return offsets;
    }

    private static int RecordLength(string segment, int offset)
    {
        var bytes = File.ReadAllBytes(segment);
        JournalSegmentFile.TryReadHeader(bytes, out ulong generation, out _, out _);
        JournalRecordFormat.TryRead(bytes, offset, generation, out var record, out _);
        return record.Length;
    }
}
