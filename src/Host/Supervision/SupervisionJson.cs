using System.Text.Json.Serialization;

namespace RunnerHost.Host.Supervision;

/// <summary>Source-generated JSON for the heartbeat lines and the status file.</summary>
[JsonSourceGenerationOptions(WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HeartbeatLine))]
[JsonSerializable(typeof(StatusSnapshot))]
internal sealed partial class SupervisionJson : JsonSerializerContext;
