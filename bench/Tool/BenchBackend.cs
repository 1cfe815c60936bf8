using RunnerHost.Hosting.Configuration;

namespace RunnerHost.Bench;

/// <summary>
/// The queue back end a benchmark runs on, as its <c>[queues]</c> section and runner section say it:
/// files (with or without fsync; fsync applies to files only), or JetStream on
/// <see cref="Servers"/> with <see cref="Replicas"/> replicas per stream.
/// </summary>
public sealed record BenchBackend
{
    public QueueBackendKind Kind { get; init; } = QueueBackendKind.File;

    /// <summary>File back end: fsync the entry file and the directory on enqueue.</summary>
    public bool Fsync { get; init; } = true;

    /// <summary>File back end: <c>[queues] commit</c>.</summary>
    public Hosting.Queues.QueueCommit Commit { get; init; } = Hosting.Queues.QueueCommit.Journal;

    /// <summary>JetStream: the servers; null = a throw-away server (or cluster) started for the run.</summary>
    public IReadOnlyList<string>? Servers { get; init; }

    /// <summary>JetStream: stream replicas.</summary>
    public int Replicas { get; init; } = 1;

    public static BenchBackend Files(bool fsync) => new() { Fsync = fsync };

    public static BenchBackend JetStream(IReadOnlyList<string>? servers, int replicas) =>
        new() { Kind = QueueBackendKind.JetStream, Servers = servers, Replicas = replicas };

    /// <summary>The name in results: <c>file</c> or <c>jetstream</c>.</summary>
    public string Name => Kind == QueueBackendKind.JetStream ? "jetstream" : "file";
}
