using System.Text.Json.Serialization;

namespace RunnerHost.Hosting.Supervision;

/// <summary>Source-generated JSON for the heartbeat lines, the status file and <c>status --json</c>.</summary>
[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HeartbeatLine))]
[JsonSerializable(typeof(StatusSnapshot))]
[JsonSerializable(typeof(StatusReport))]
internal sealed partial class SupervisionJson : JsonSerializerContext;
