using Microsoft.Extensions.Logging;

namespace RunnerHost.Plugins.Rest;

/// <summary>Sends ASP.NET Core's own log lines to the runner's logger, so they land in the host's log with the runner's identity.</summary>
internal sealed class RunnerLoggerProvider(ILogger logger) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => logger;

    public void Dispose()
    {
        // The runner's logger belongs to the host.
    }
}
