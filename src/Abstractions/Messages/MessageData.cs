using System.Collections;
using System.Globalization;

namespace RunnerHost.Messages;

/// <summary>
/// The metadata that travels with a queued message (Mailman's "msgdata"): an ordinal,
/// case-sensitive dictionary whose values are JSON-compatible (<see cref="string"/>,
/// <see cref="bool"/>, <see cref="long"/>, <see cref="double"/>, <c>null</c>, lists of those,
/// and nested <see cref="MessageData"/>). Keys that start with <c>_</c> are volatile: every
/// enqueue strips them.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710", Justification = "Mailman calls it msgdata; the name says what it holds, not how.")]
public sealed class MessageData : IDictionary<string, object?>, IReadOnlyDictionary<string, object?>
{
    private readonly Dictionary<string, object?> _values;

    /// <summary>Creates an empty metadata dictionary.</summary>
    public MessageData()
    {
        _values = new(StringComparer.Ordinal);
    }

    // For readers that know how many keys come, plus room for the few the runner loop adds (lang):
    // growing the dictionary was a visible share of each entry's allocations.
    internal MessageData(int capacity)
    {
        _values = new(capacity, StringComparer.Ordinal);
    }

    /// <summary>Creates a copy of <paramref name="source"/> (nested dictionaries and lists are copied too).</summary>
    public MessageData(IEnumerable<KeyValuePair<string, object?>> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _values = new(source.TryGetNonEnumeratedCount(out int count) ? count : 0, StringComparer.Ordinal);
        foreach (var (key, value) in source)
        {
            this[key] = value;
        }
    }

    /// <summary>The list id the message belongs to (<c>listid</c>).</summary>
    public string? ListId
    {
        get => GetString(MessageDataKeys.ListId);
        set => SetOrRemove(MessageDataKeys.ListId, value);
    }

    /// <summary>The legacy list posting address (<c>listname</c>), used when <see cref="ListId"/> is absent.</summary>
    public string? ListName
    {
        get => GetString(MessageDataKeys.ListName);
        set => SetOrRemove(MessageDataKeys.ListName, value);
    }

    /// <summary>The queue a shunted message came from (<c>whichq</c>).</summary>
    public string? WhichQueue
    {
        get => GetString(MessageDataKeys.WhichQueue);
        set => SetOrRemove(MessageDataKeys.WhichQueue, value);
    }

    /// <summary>The language code chosen for processing (<c>lang</c>).</summary>
    public string? Language
    {
        get => GetString(MessageDataKeys.Language);
        set => SetOrRemove(MessageDataKeys.Language, value);
    }

    /// <summary>
    /// The earliest time the runner should process the message again after its dispose hook asked
    /// to keep it queued (<c>not_before</c>, seconds since the Unix epoch). When absent the runner
    /// applies its requeue backoff.
    /// </summary>
    public DateTimeOffset? NotBefore
    {
        get => TryGetDouble(MessageDataKeys.NotBefore, out var seconds)
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000))
            : null;
        set
        {
            if (value is { } time)
            {
                this[MessageDataKeys.NotBefore] = time.ToUnixTimeMilliseconds() / 1000.0;
            }
            else
            {
                Remove(MessageDataKeys.NotBefore);
            }
        }
    }

    /// <summary>The number of entries.</summary>
    public int Count => _values.Count;

    /// <summary>The keys, in insertion order.</summary>
    public ICollection<string> Keys => _values.Keys;

    /// <summary>The values, in insertion order.</summary>
    public ICollection<object?> Values => _values.Values;

    IEnumerable<string> IReadOnlyDictionary<string, object?>.Keys => _values.Keys;

    IEnumerable<object?> IReadOnlyDictionary<string, object?>.Values => _values.Values;

    bool ICollection<KeyValuePair<string, object?>>.IsReadOnly => false;

    /// <summary>Gets or sets a value; the value is normalised to a JSON-compatible type.</summary>
    /// <exception cref="KeyNotFoundException">Getting a key that is not present.</exception>
    /// <exception cref="ArgumentException">Setting a value of a type that metadata cannot hold.</exception>
    public object? this[string key]
    {
        get => _values.TryGetValue(key, out var value)
            ? value
            : throw new KeyNotFoundException($"The metadata has no key '{key}'.");
        set
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            _values[key] = Normalize(key, value);
        }
    }

    /// <summary>Returns a deep copy.</summary>
    public MessageData Clone() => new(this);

    /// <summary>Returns the value as a string: strings as is, other scalars in invariant culture, absent as null.</summary>
    public string? GetString(string key) => _values.TryGetValue(key, out var value) ? value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    } : null;

    /// <summary>Reads an integer value (integers, or strings holding one).</summary>
    public bool TryGetInt64(string key, out long result)
    {
        result = 0;
        return _values.TryGetValue(key, out var value) && value switch
        {
            long l => (result = l) == l,
            double d when d == Math.Floor(d) && Math.Abs(d) < 9e15 => (result = (long)d) == result,
            string s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out result),
            _ => false,
        };
    }

    /// <summary>Reads a number (integers, doubles, or strings holding one).</summary>
    public bool TryGetDouble(string key, out double result)
    {
        result = 0;
        return _values.TryGetValue(key, out var value) && value switch
        {
            long l => (result = l) == l,
            double d => (result = d) == d || double.IsNaN(d),
            string s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out result),
            _ => false,
        };
    }

    /// <summary>Reads a boolean (booleans, or the strings <c>true</c>/<c>false</c>).</summary>
    public bool TryGetBoolean(string key, out bool result)
    {
        result = false;
        return _values.TryGetValue(key, out var value) && value switch
        {
            bool b => (result = b) == b,
            string s => bool.TryParse(s, out result),
            _ => false,
        };
    }

    /// <summary>Reads a nested dictionary.</summary>
    public MessageData? GetNested(string key) => _values.TryGetValue(key, out var value) ? value as MessageData : null;

    /// <inheritdoc/>
    public void Add(string key, object? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        _values.Add(key, Normalize(key, value));
    }

    /// <inheritdoc/>
    public bool ContainsKey(string key) => _values.ContainsKey(key);

    /// <inheritdoc/>
    public bool Remove(string key) => _values.Remove(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, out object? value) => _values.TryGetValue(key, out value);

    /// <inheritdoc/>
    public void Clear() => _values.Clear();

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    void ICollection<KeyValuePair<string, object?>>.Add(KeyValuePair<string, object?> item) => Add(item.Key, item.Value);

    bool ICollection<KeyValuePair<string, object?>>.Contains(KeyValuePair<string, object?> item) =>
        _values.TryGetValue(item.Key, out var value) && Equals(value, item.Value);

    void ICollection<KeyValuePair<string, object?>>.CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex) =>
        ((ICollection<KeyValuePair<string, object?>>)_values).CopyTo(array, arrayIndex);

    bool ICollection<KeyValuePair<string, object?>>.Remove(KeyValuePair<string, object?> item) =>
        ((ICollection<KeyValuePair<string, object?>>)this).Contains(item) && _values.Remove(item.Key);

    private void SetOrRemove(string key, string? value)
    {
        if (value is null)
        {
            _values.Remove(key);
        }
        else
        {
            _values[key] = value;
        }
    }

    // One canonical representation per JSON type keeps equality, rendering and serialisation simple.
    private static object? Normalize(string key, object? value) => value switch
    {
        null or string or bool or long or double => value,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        uint u => (long)u,
        ulong ul when ul <= long.MaxValue => (long)ul,
        float f => (double)f,
        decimal m => (double)m,
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
        TimeSpan t => t.TotalSeconds,
        Enum e => e.ToString(),
        MessageData nested => nested.Clone(),
        IEnumerable<KeyValuePair<string, object?>> pairs => new MessageData(pairs),
        System.Collections.IEnumerable list => NormalizeList(key, list),
        _ => throw new ArgumentException(
            $"Metadata key '{key}' cannot hold a value of type {value.GetType().FullName}; use a string, number, boolean, list or nested MessageData.",
            nameof(value)),
    };

    // Apart from Normalize: a lambda there made every call allocate its closure, list or not.
    private static List<object?> NormalizeList(string key, System.Collections.IEnumerable list)
    {
        var items = new List<object?>();
        foreach (object? item in list)
        {
            items.Add(Normalize(key, item));
        }

        return items;
    }
}
