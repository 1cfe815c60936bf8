using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;

namespace RunnerHost.Plugins.Lmtp;

/// <summary>
/// The LMTP server (RFC 2033) that takes mail from the MTA into the queues: a runner without a queue.
/// It listens once started; the stop closes the listener and drains the sessions. Settings: docs/mail-flow.md.
/// </summary>
[RunnerSetting("lmtp_host", "lmtp_port", "max_connections", "max_message_size", "max_recipients", "max_line_length", "idle_timeout", "data_timeout", "max_errors", "served_queues")]
public sealed class LmtpRunner(RunnerContext context) : ServiceRunner(context)
{
    private LmtpServer? _server;

    protected override Task StartAsync(CancellationToken cancellationToken)
    {
        var options = LmtpOptions.Read(Settings);
        var server = new LmtpServer(options, Lists, Queues, Clock, Logger);
        server.Start();
        _server = server;
        Logger.LogInformation("{Runner} LMTP listening on {Endpoint}", Identity, server.Endpoint);
        return Task.CompletedTask;
    }

    protected override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { } server)
        {
            _server = null;
            await server.DisposeAsync().ConfigureAwait(false);
            Logger.LogInformation("{Runner} LMTP server stopped", Identity);
        }
    }
}
