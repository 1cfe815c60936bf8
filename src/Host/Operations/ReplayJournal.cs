using System.Globalization;
using System.Text;

using RunnerHost.Hosting.IO;

namespace RunnerHost.Hosting.Operations;

/// <summary>One replay: which shunt entry went to which queue under which new name, and when.</summary>
public sealed record ReplayRecord(string Filebase, string Queue, string NewFilebase, string Time);

/// <summary>
/// The durable list of shunt entries already replayed (<c>$var_dir/replayed.journal</c>, one
/// <c>FILEBASE QUEUE NEW-FILEBASE TIME</c> line each). An entry still in shunt whose filebase is
/// listed was replayed once already (a crash came between the enqueue and the removal), so replaying
/// it again could deliver it twice: unshunt refuses it.
/// </summary>
public sealed class ReplayJournal
{
    /// <summary>The journal's file name in the var directory (it is the replay's own state, not the queue's, whatever the back end).</summary>
    public const string FileName = "replayed.journal";

    private readonly Dictionary<string, ReplayRecord> _records = new(StringComparer.Ordinal);
    private readonly bool _fsync;

    private ReplayJournal(string path, bool fsync)
    {
        Path = path;
        _fsync = fsync;
    }

    public string Path { get; }

    /// <summary>
    /// Reads the journal in <paramref name="varDirectory"/> (empty when there is none yet), and the records
    /// of <paramref name="earlierJournal"/> when given: where an earlier version kept it, so that an upgrade
    /// never forgets a replay. New records go to the journal in <paramref name="varDirectory"/> only.
    /// </summary>
    public static ReplayJournal Open(string varDirectory, bool fsync = true, string? earlierJournal = null)
    {
        var journal = new ReplayJournal(System.IO.Path.Combine(varDirectory, FileName), fsync);
        foreach (string? path in new[] { earlierJournal, journal.Path })
        {
            if (path is null || !File.Exists(path))
            {
                continue;
            }

            foreach (var line in File.ReadLines(path))
            {
                var fields = line.Split(' ');
                if (fields.Length == 4)
                {
                    journal._records[fields[0]] = new ReplayRecord(fields[0], fields[1], fields[2], fields[3]);
                }
            }
        }

        return journal;
    }

    public bool TryGet(string filebase, out ReplayRecord? record) => _records.TryGetValue(filebase, out record);

    /// <summary>Appends a record and flushes it to disk before returning.</summary>
    public void Append(string filebase, string queue, string newFilebase, DateTimeOffset time)
    {
        var record = new ReplayRecord(filebase, queue, newFilebase, time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        DurableFiles.EnsureDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using (var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            stream.Write(Encoding.UTF8.GetBytes($"{record.Filebase} {record.Queue} {record.NewFilebase} {record.Time}\n"));
            stream.Flush(flushToDisk: _fsync);
        }

        _records[filebase] = record;
    }
}
