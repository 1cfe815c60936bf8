namespace RunnerHost.Events;

/// <summary>Process-wide runner events that plugins and tests can observe.</summary>
public interface IRunnerEvents
{
    /// <summary>Subscribes to crash events; dispose the result to unsubscribe. Handlers run synchronously and their exceptions are logged, not propagated.</summary>
    IDisposable SubscribeToCrashes(Action<RunnerCrash> handler);

    /// <summary>Delivers a crash event to every current subscriber.</summary>
    void RaiseCrash(RunnerCrash crash);
}
