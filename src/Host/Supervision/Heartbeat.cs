using System.Text.Json;
using System.Text.Json.Serialization;

namespace RunnerHost.Hosting.Supervision;

/// <summary>What a slice last reported: when its loop last turned and the message in hand since when.</summary>
public sealed record Heartbeat(DateTimeOffset ReceivedAt, DateTimeOffset? LastLoop, string? InFlight, DateTimeOffset? InFlightSince);

/// <summary>A slice waiting for the lock of its previous instance, held by <paramref name="HolderPid"/> (null when unknown).</summary>
public sealed record SliceWait(int? HolderPid, DateTimeOffset Since, string? Reason = null);

/// <summary>
/// One line a supervised child writes on its stdout: <c>{"type":"waiting","holder":PID}</c> while its
/// slice lock is held by a previous instance, <c>{"type":"ready"}</c> once the runner exists, then
/// <c>{"type":"heartbeat",...}</c> every second, <c>{"type":"plugin","plugin":...,"version":...,"error":...}</c>
/// whenever the plugin version it runs or its last reload's outcome changes, and
/// <c>{"type":"failed","reason":"..."}</c> just before it exits because it cannot start. Anything else on stdout is ignored.
/// </summary>
public sealed record HeartbeatLine(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("lastLoop")] DateTimeOffset? LastLoop = null,
    [property: JsonPropertyName("inFlight")] string? InFlight = null,
    [property: JsonPropertyName("since")] DateTimeOffset? Since = null,
    [property: JsonPropertyName("plugin")] string? Plugin = null,
    [property: JsonPropertyName("version")] string? Version = null,
    [property: JsonPropertyName("error")] string? Error = null,
    [property: JsonPropertyName("holder")] int? Holder = null,
    [property: JsonPropertyName("reason")] string? Reason = null)
{
    public const string Ready = "ready";
    public const string Beat = "heartbeat";
    public const string PluginState = "plugin";
    public const string Waiting = "waiting";
    public const string Failed = "failed";

    /// <summary>Longest plugin error kept from a child's line; the line comes from another process.</summary>
    public const int MaxErrorLength = 2000;

    /// <summary>The longest failure reason the master keeps (a plugin's exception message can be anything).</summary>
    public const int MaxReasonLength = 2000;

    public string ToJson() => JsonSerializer.Serialize(this, SupervisionJson.Default.HeartbeatLine);

    public static HeartbeatLine? TryParse(string line)
    {
        if (string.IsNullOrWhiteSpace(line) || line[0] != '{')
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(line, SupervisionJson.Default.HeartbeatLine);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
