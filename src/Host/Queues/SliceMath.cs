using System.Globalization;
using System.Numerics;

namespace RunnerHost.Hosting.Queues;

/// <summary>Which slice of a queue's hash space a digest belongs to.</summary>
public static class SliceMath
{
    /// <summary>The largest supported number of slices.</summary>
    public const int MaxSliceCount = 1 << 16;

    /// <summary>True for 1, 2, 4, ... up to <see cref="MaxSliceCount"/>; false for 0, negatives and non-powers of two.</summary>
    public static bool IsValidSliceCount(int count) => count is >= 1 and <= MaxSliceCount && BitOperations.IsPow2(count);

    /// <summary>
    /// The slice of <paramref name="digestHex"/> among <paramref name="count"/>: its top log2(count) bits.
    /// Exact integer arithmetic, so every digest is in exactly one slice (Mailman's float bounds put
    /// boundary digests in two).
    /// </summary>
    public static int SliceOf(string digestHex, int count)
    {
        ArgumentNullException.ThrowIfNull(digestHex);
        if (!IsValidSliceCount(count))
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "The slice count must be a power of two between 1 and 65536.");
        }

        if (digestHex.Length < 8)
        {
            throw new ArgumentException($"Not a digest: '{digestHex}'.", nameof(digestHex));
        }

        int bits = BitOperations.Log2((uint)count);
        if (bits == 0)
        {
            return 0;
        }

        uint top = uint.Parse(digestHex.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return (int)(top >> (32 - bits));
    }
}
