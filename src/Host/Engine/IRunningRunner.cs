namespace RunnerHost.Hosting.Engine;

/// <summary>A runner the host is running: what its heartbeat reports, and its graceful stop.</summary>
public interface IRunningRunner
{
    /// <summary>The slice as the logs show it, e.g. <c>in:0/1</c>.</summary>
    string Identity { get; }

    /// <summary>The entry being processed now and since when; null between entries (always, for a service runner).</summary>
    InFlightEntry? InFlight { get; }

    /// <summary>When the loop last completed a turn; null before the first.</summary>
    DateTimeOffset? LastLoop { get; }

    /// <summary>Asks the runner to stop after the message in hand. Idempotent, safe from any thread.</summary>
    void RequestStop();
}
