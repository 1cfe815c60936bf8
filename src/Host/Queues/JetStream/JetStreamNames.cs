using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RunnerHost.Hosting.Queues.JetStream;

/// <summary>Where an entry is kept in a queue's stream: ready to take, due later, or held by an operator's command.</summary>
public enum EntryPlace
{
    Ready,
    Later,
    Held,
}

/// <summary>
/// The layout of queues in JetStream (docs/scale-out.md, "Layout"): one stream per queue, one subject per
/// entry. A subject carries the entry's slice as the top <see cref="SliceBits"/> bits of its digest, one
/// token per bit, so that one filter subject (all that nats-server 2.9 allows per consumer) selects
/// exactly the slice of any power-of-two instance count, and any entry is found by its id alone.
/// </summary>
public sealed partial class JetStreamNames(string prefix)
{
    /// <summary>Slice bits in every subject: up to 256 slices (a runner has at most 64 instances).</summary>
    public const int SliceBits = 8;

    private const string ReadyToken = "r";
    private const string LaterToken = "l";
    private const string HeldToken = "h";

    public string Prefix => prefix;

    /// <summary>The KV bucket of slice claims (which host and pid works each slice).</summary>
    public string SliceBucket => prefix + "_slices";

    /// <summary>The KV bucket of deliveries that did not count as attempts (a stop gave the entry back).</summary>
    public string AttemptBucket => prefix + "_attempts";

    /// <summary>True for a queue name that can name a stream and a subject token.</summary>
    public static bool IsValidQueueName(string queue) => QueuePattern().IsMatch(queue);

    public string Stream(string queue) => prefix + "_" + queue;

    public string AllSubjects(string queue) => $"{prefix}.{queue}.>";

    /// <summary>The filter of one slice's entries in <paramref name="place"/>; the consumer of a slice filters its ready ones.</summary>
    public string SliceFilter(string queue, EntryPlace place, int slice, int sliceCount)
    {
        var filter = new StringBuilder().Append(prefix).Append('.').Append(queue).Append('.').Append(Token(place));
        int bits = System.Numerics.BitOperations.Log2((uint)sliceCount);
        for (int bit = bits - 1; bit >= 0; bit--)
        {
            filter.Append('.').Append((slice >> bit) & 1);
        }

        return filter.Append(".>").ToString();
    }

    /// <summary>The subject of entry <paramref name="id"/> (a parsed filebase) in <paramref name="place"/>.</summary>
    public string Subject(string queue, EntryPlace place, string id, string digest)
    {
        uint top = uint.Parse(digest.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        var subject = new StringBuilder().Append(prefix).Append('.').Append(queue).Append('.').Append(Token(place));
        for (int bit = 31; bit > 31 - SliceBits; bit--)
        {
            subject.Append('.').Append((top >> bit) & 1);
        }

        return subject.Append('.').Append(IdToken(id)).ToString();
    }

    /// <summary>Reads a subject of <paramref name="queue"/>'s stream back: where the entry is and its id; false for anything else (a stray).</summary>
    public bool TryParseSubject(string queue, string subject, out EntryPlace place, out string id)
    {
        place = EntryPlace.Ready;
        id = string.Empty;
        string root = $"{prefix}.{queue}.";
        if (!subject.StartsWith(root, StringComparison.Ordinal))
        {
            return false;
        }

        var tokens = subject[root.Length..].Split('.');
        if (tokens.Length != SliceBits + 2 || !TryPlace(tokens[0], out place) || tokens.Skip(1).Take(SliceBits).Any(t => t is not ("0" or "1")))
        {
            return false;
        }

        id = tokens[^1].Replace('_', '.');
        return id.Length > 0;
    }

    /// <summary>The consumer of one slice; the count is in the name so that slices of another instance count are told apart.</summary>
    public static string Consumer(string queue, int slice, int sliceCount) =>
        string.Create(CultureInfo.InvariantCulture, $"{queue}_{slice}of{sliceCount}");

    /// <summary>The slice claim key of one slice.</summary>
    public static string SliceKey(string queue, int slice, int sliceCount) =>
        string.Create(CultureInfo.InvariantCulture, $"{queue}.{sliceCount}.{slice}");

    // Entry ids are filebases (<time>+<digest>); a '.' would split the subject token, and ids never hold '_'.
    private static string IdToken(string id) => id.Replace('.', '_');

    private static string Token(EntryPlace place) => place switch
    {
        EntryPlace.Ready => ReadyToken,
        EntryPlace.Later => LaterToken,
        _ => HeldToken,
    };

    private static bool TryPlace(string token, out EntryPlace place)
    {
        (bool ok, place) = token switch
        {
            ReadyToken => (true, EntryPlace.Ready),
            LaterToken => (true, EntryPlace.Later),
            HeldToken => (true, EntryPlace.Held),
            _ => (false, EntryPlace.Ready),
        };
        return ok;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex QueuePattern();
}
