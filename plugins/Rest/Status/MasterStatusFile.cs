using System.Diagnostics;
using System.Text.Json;

namespace RunnerHost.Plugins.Rest.Status;

/// <summary>One runner slice as the master last wrote it.</summary>
public sealed record SliceView(
    string Runner,
    int Slice,
    int Count,
    string Isolation,
    string State,
    int? Pid,
    DateTimeOffset? StartedAt,
    int RestartsInWindow,
    int MaxRestarts,
    string? LastExit,
    string? FailureReason,
    DateTimeOffset? NextStartAt,
    DateTimeOffset? LastLoop,
    string? InFlight,
    DateTimeOffset? InFlightSince,
    string? WaitingFor,
    string? Plugin,
    string? PluginVersion,
    string? PluginError)
{
    public string Name => $"{Runner} {Slice}/{Count}";
}

/// <summary>The master's view: every slice, or why there is none.</summary>
public sealed record MasterView(bool Running, int? Pid, DateTimeOffset? StartedAt, DateTimeOffset? UpdatedAt, bool Stopping, IReadOnlyList<SliceView> Slices, string Message);

/// <summary>
/// Reads <c>$var_dir/master.status.json</c>, which the master rewrites every second. The file is read as
/// hostile input: any field may be missing or of another type, and a value that does not fit is left out.
/// </summary>
internal static class MasterStatusFile
{
    // The master writes a few KB; a file far larger is not a status file.
    private const long MaxLength = 16 * 1024 * 1024;

    public static async Task<MasterView> ReadAsync(string varDir, CancellationToken cancellationToken)
    {
        string path = Path.Combine(varDir, "master.status.json");
        using var document = await TryReadAsync(path, cancellationToken).ConfigureAwait(false);
        if (document?.RootElement is not { ValueKind: JsonValueKind.Object } root
            // TryGetInt32 throws on a non-number, so the kind is checked first (Int); a pid is positive.
            || Int(root, "masterPid") is not { } pid || pid <= 0
            || !IsAlive(pid))
        {
            return new MasterView(false, null, null, null, false, [], $"The master is not running ({path} is absent or stale); start it with 'runner-host start'.");
        }

        var slices = root.TryGetProperty("slices", out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object).Select(Slice).ToList()
            : [];
        return new MasterView(
            true,
            pid,
            Time(root, "masterStartedAt"),
            Time(root, "updatedAt"),
            root.TryGetProperty("stopping", out var stopping) && stopping.ValueKind == JsonValueKind.True,
            slices,
            string.Empty);
    }

    private static SliceView Slice(JsonElement s) => new(
        Text(s, "runner") ?? "?",
        Int(s, "slice") ?? 0,
        Int(s, "count") ?? 1,
        Text(s, "isolation") ?? "?",
        Text(s, "state") ?? "?",
        Int(s, "pid"),
        Time(s, "startedAt"),
        Int(s, "restartsInWindow") ?? 0,
        Int(s, "maxRestarts") ?? 0,
        Text(s, "lastExit"),
        Text(s, "failureReason"),
        Time(s, "nextStartAt"),
        Time(s, "lastLoop"),
        Text(s, "inFlight"),
        Time(s, "inFlightSince"),
        Text(s, "waitingFor"),
        Text(s, "plugin"),
        Text(s, "pluginVersion"),
        Text(s, "pluginError"));

    private static async Task<JsonDocument?> TryReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            return stream.Length > MaxLength ? null : await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The status file is removed when the master exits; a SIGKILLed master leaves it behind, so the pid decides.</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) ? number : null;

    public static DateTimeOffset? Time(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time) ? time : null;
}
