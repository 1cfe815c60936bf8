using System.Diagnostics.Metrics;

namespace RunnerHost.Hosting.Diagnostics;

/// <summary>
/// One labelled series of an instrument, as a measurement's tags name it (in the order given): a dictionary key
/// built without allocating, for up to <see cref="MaxTags"/> tags.
/// </summary>
internal readonly record struct SeriesKey
{
    public const int MaxTags = 3;

    private readonly Instrument _instrument;
    private readonly int _count;
    private readonly KeyValuePair<string, object?> _first;
    private readonly KeyValuePair<string, object?> _second;
    private readonly KeyValuePair<string, object?> _third;

    public SeriesKey(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tags.Length, MaxTags);
        _instrument = instrument;
        _count = tags.Length;
        _first = tags.Length > 0 ? tags[0] : default;
        _second = tags.Length > 1 ? tags[1] : default;
        _third = tags.Length > 2 ? tags[2] : default;
    }
}
