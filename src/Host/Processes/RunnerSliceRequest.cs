using RunnerHost.Configuration;
using RunnerHost.Hosting.Cli;

namespace RunnerHost.Hosting.Processes;

/// <summary>What a runner process was asked to run: one slice of one configured runner.</summary>
/// <param name="Settings">The runner's <c>[runner.NAME]</c> section.</param>
/// <param name="Spec">The slice.</param>
/// <param name="Once">One full pass, the periodic hook, and exit.</param>
/// <param name="Supervised">Started by the master: heartbeats on stdout, stdin EOF stops it.</param>
/// <param name="StopTimeout">How long a graceful stop may take (<c>stop_timeout</c>) before the message in hand is interrupted.</param>
internal sealed record RunnerSliceRequest(RunnerSettings Settings, RunnerSpec Spec, bool Once, bool Supervised, TimeSpan StopTimeout);
