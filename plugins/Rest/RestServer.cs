using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RunnerHost.Inspection;
using RunnerHost.Lists;
using RunnerHost.Operations;
using RunnerHost.Plugins.Rest.Dashboard;
using RunnerHost.Plugins.Rest.Endpoints;
using RunnerHost.Plugins.Rest.Health;
using RunnerHost.Queues;

namespace RunnerHost.Plugins.Rest;

/// <summary>The Kestrel web application serving the API on one loopback (or configured) endpoint.</summary>
internal sealed class RestServer(RestOptions options, IQueueRegistry queues, IQueueInspector inspector, IListManager lists, TimeProvider clock, IShuntReplay shuntReplay, IMetricsExporter metrics, IPluginDirectory plugins, ILogger logger) : IAsyncDisposable
{
    // How often the dashboard's throughput history samples the host's counters.
    private static readonly TimeSpan ThroughputSampling = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _sampling = new();
    private WebApplication? _app;
    private Task _sampler = Task.CompletedTask;

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:8001</c> (the real port when configured as 0).</summary>
    public string Address { get; private set; } = string.Empty;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The slim builder: no appsettings files, no hosting startup assemblies; only what is set here.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new RunnerLoggerProvider(logger));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Listen() replaces any ASPNETCORE_URLS: only the configured endpoint is served.
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(new IPEndPoint(options.Host, options.Port));
            // The inject limit is max_message_size (shared with LMTP), not Kestrel's 30 MB default.
            kestrel.Limits.MaxRequestBodySize = options.MaxMessageSize;
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(queues);
        builder.Services.AddSingleton(lists);
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(inspector);
        builder.Services.AddSingleton(shuntReplay);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(plugins);
        var throughput = new ThroughputHistory(metrics, clock);
        builder.Services.AddSingleton(throughput);
        DashboardServices.Add(builder.Services);
        HealthChecks.Add(builder.Services);

        var app = builder.Build();
        app.UseStatusCodePages();
        // A queue that cannot store or read now (an I/O error, a queue back end that does not answer) is
        // a temporary condition: 503 tells a client to try again, where 500 would blame the request.
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = ex => ex is IOException ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError });
        DashboardServices.Use(app);
        HealthChecks.Map(app);
        RunnerEndpoints.Map(app);
        QueueEndpoints.Map(app);
        ShuntEndpoints.Map(app);
        MetricsEndpoints.Map(app);
        DashboardEndpoints.Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        _sampler = throughput.RunAsync(ThroughputSampling, _sampling.Token);
        Address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? $"http://{options.Host}:{options.Port}";
    }

    public async ValueTask DisposeAsync()
    {
        await _sampling.CancelAsync().ConfigureAwait(false);
        try
        {
            await _sampler.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _sampling.Dispose();
        if (_app is { } app)
        {
            _app = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await app.StopAsync(timeout.Token).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
