using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RunnerHost.Bench;

/// <summary>One scenario's figures, in insertion order; printed as one JSON line or as <c>key=value</c> text.</summary>
public sealed class BenchResult
{
    private readonly List<KeyValuePair<string, object>> _fields = [];

    public BenchResult(string scenario) => Add("scenario", scenario);

    public BenchResult Add(string name, object value)
    {
        _fields.Add(new(name, value));
        return this;
    }

    /// <summary>Adds what the process allocated, collected and spent in CPU since <paramref name="mark"/>, per message.</summary>
    public BenchResult AddAllocations(AllocationMark mark, int messages)
    {
        var now = AllocationMark.Now();
        return Add("alloc_bytes_per_msg", (now.AllocatedBytes - mark.AllocatedBytes) / (double)messages)
            .Add("gc_gen0", now.Gen0 - mark.Gen0)
            .Add("gc_gen1", now.Gen1 - mark.Gen1)
            .Add("gc_gen2", now.Gen2 - mark.Gen2)
            .Add("cpu_us_per_msg", (now.CpuTime - mark.CpuTime).TotalMicroseconds / messages);
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in _fields)
            {
                switch (value)
                {
                    case string text:
                        json.WriteString(name, text);
                        break;
                    case bool flag:
                        json.WriteBoolean(name, flag);
                        break;
                    case double number:
                        json.WriteNumber(name, Math.Round(number, 3));
                        break;
                    case long or int:
                        json.WriteNumber(name, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                        break;
                    default:
                        json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                        break;
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public string ToText() => string.Join(' ', _fields.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Key}={(f.Value is double d ? Math.Round(d, 3) : f.Value)}")));
}
