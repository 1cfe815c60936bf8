using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Hosting.Cli;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Diagnostics;
using RunnerHost.Hosting.Diagnostics.Tracing;
using RunnerHost.Hosting.Engine;
using RunnerHost.Hosting.Supervision;
// RunnerHost.Hosting (this assembly's namespace) hides the Generic Host's static class of the same name.
using GenericHost = Microsoft.Extensions.Hosting.Host;

namespace RunnerHost.Hosting.Processes;

/// <summary>
/// A runner process (<c>runner-host runner</c>, which the master starts per slice): a .NET Generic Host with
/// Autofac as its container, composed by <see cref="HostComposition"/> like every host process, running one
/// <see cref="RunnerSliceService"/>; its lifetime is <see cref="RunnerProcessLifetime"/> (the signals) and its
/// shutdown timeout the runner's <c>stop_timeout</c>.
/// </summary>
internal static class RunnerProcessHost
{
    /// <exception cref="UsageException">No such runner, or a slice count that does not match the section.</exception>
    /// <exception cref="RunnerCreationException">The runner cannot be created (reported to the master first when supervised).</exception>
    public static async Task<int> RunAsync(string? configFile, RunnerSpec spec, bool once, bool supervised, CancellationToken cancellationToken)
    {
        try
        {
            return await RunHostAsync(configFile, spec, once, supervised, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (supervised && ex is RunnerCreationException or ConfigurationException or ConfigurationValueException)
        {
            // A supervised child's stderr is the master's, which the master does not read: the cause of a
            // start failure also goes to the master as one line on stdout, for status and the master's log.
            SupervisedLink.ReportCannotStart(ex.Message);
            throw;
        }
    }

    private static async Task<int> RunHostAsync(string? configFile, RunnerSpec spec, bool once, bool supervised, CancellationToken cancellationToken)
    {
        var configuration = ConfigurationStack.Load(configFile).Build();
        HostDirectories.Check(configuration.Paths, VarAccess.ReadWrite);
        var request = Request(configuration, spec, once, supervised);
        var identity = LogIdentity.Current();
        using var logging = new LogSetup(configuration.Paths.LogDir, LogLevel.Information, identity);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "runner-host" });
        builder.ConfigureContainer(new Autofac.Extensions.DependencyInjection.AutofacServiceProviderFactory(), HostComposition.ConfigureContainer);
        builder.Services.AddRunnerHost(configuration, logging);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = request.StopTimeout);
        builder.Services.AddSingleton(request);
        builder.Services.AddSingleton(logging);
        builder.Services.AddSingleton<IHostLifetime, RunnerProcessLifetime>();
        // Runner processes count their entries and leave the counters for `runner-host metrics`.
        builder.Services.AddSingleton<RunnerMetrics>();
        builder.Services.AddSingleton<IEntryOutcomes>(provider => provider.GetRequiredService<RunnerMetrics>());
        // Before the slice's service, so that the first entry is traced; the host's disposal flushes the last spans.
        builder.Services.AddRunnerHostTracing(configuration.Tracing, identity);
        builder.Services.AddSingleton<RunnerSliceService>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<RunnerSliceService>());

        using var host = builder.Build();
        // At once, so that a list manager plugin that cannot be created is its own one-line error.
        _ = HostComposition.ResolveHostServices(host.Services);
        if (!supervised)
        {
            // The master has shown them already to its own operator.
            var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(HostConfiguration.LogCategory);
            foreach (var warning in configuration.Warnings)
            {
                logger.LogWarning("{Warning}", warning);
            }
        }

        var slice = host.Services.GetRequiredService<RunnerSliceService>();
        await using (MetricsFile(host.Services, configuration, request))
        {
            // Not RunAsync: it disposes the host, and the last counters are written after the stop.
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }

        return await slice.Completion.ConfigureAwait(false);
    }

    private static RunnerSliceRequest Request(HostConfiguration configuration, RunnerSpec spec, bool once, bool supervised)
    {
        if (!configuration.TryGetRunner(spec.Name, out var settings))
        {
            throw new UsageException($"no [runner.{spec.Name}] section in {configuration.ConfigFile ?? "the configuration"}");
        }

        if (spec.Explicit && spec.Count != settings.Instances)
        {
            throw new UsageException(
                $"runner spec {spec.Name}:{spec.Slice}:{spec.Count} does not match [runner.{spec.Name}] instances: {settings.Instances}; slices of different counts would overlap");
        }

        return new RunnerSliceRequest(settings, spec, once, supervised, settings.GetDuration("stop_timeout", TimeSpan.FromSeconds(30)));
    }

    // The counters' file, written while the slice runs and once more, last, when it stopped (before the meter goes).
    private static MetricsFileWriter MetricsFile(IServiceProvider provider, HostConfiguration configuration, RunnerSliceRequest request)
    {
        provider.GetRequiredService<RunnerMetrics>();
        string file = $"{request.Settings.Name}-{request.Spec.Slice}-{request.Spec.Count}.prom";
        return new MetricsFileWriter(
            Path.Combine(MetricsFileWriter.DirectoryOf(configuration.Paths.VarDir), file),
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("RunnerHost.Metrics"),
            RunnerMetrics.MeterName);
    }
}
