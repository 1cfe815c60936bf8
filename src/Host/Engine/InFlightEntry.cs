namespace RunnerHost.Hosting.Engine;

/// <summary>The entry a runner is processing and since when.</summary>
/// <param name="Id">The entry's id.</param>
/// <param name="Since">When processing started.</param>
public sealed record InFlightEntry(string Id, DateTimeOffset Since);
