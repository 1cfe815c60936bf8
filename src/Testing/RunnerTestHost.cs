using System.Text;
using Autofac;
using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Engine;
using RunnerHost.Inspection;
using RunnerHost.Messages;
using RunnerHost.Queues;

namespace RunnerHost.Testing;

/// <summary>
/// A host in a temporary directory for testing a runner plugin: its configuration file (the list
/// <c>test@example.com</c> plus the sections a test gives), real file queues under its own
/// <c>var</c> directory, the host's engine and the host's constructor injection. A test enqueues a
/// message, runs one pass of its runner (<see cref="RunOnceAsync{TRunner}"/>) and reads what each queue
/// holds (<see cref="ReadQueueAsync"/>), the way Mailman's runner tests use <c>TestableRunner</c>.
/// </summary>
/// <remarks>Dispose it to remove the directory. One host serves one test; it is not thread-safe.</remarks>
public sealed class RunnerTestHost : IAsyncDisposable
{
    /// <summary>The list every test host has: <c>test@example.com</c>, list id <see cref="TestListId"/>, one member.</summary>
    public const string TestListSection = """
        [list.test]
        posting_address: test@example.com
        display_name: Test
        preferred_language: en
        members: aperson@example.com
        """;

    /// <summary>The list id of the list in <see cref="TestListSection"/>.</summary>
    public const string TestListId = "test.example.com";

    private readonly CapturedLog _log = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly HostServices _services;
    private readonly OutcomeCounter _outcomes = new();
    private readonly IContainer _root;
    private bool _disposed;

    /// <summary>Creates the host.</summary>
    /// <param name="configuration">INI text added to the configuration file after the test list, typically the runner's
    /// <c>[runner.NAME]</c> section (Mailman's <c>key: value</c> accepted).</param>
    /// <param name="timeProvider">The clock the host and its runners use; the system clock when null.</param>
    /// <exception cref="ArgumentException">The configuration does not parse; the message names the line.</exception>
    public RunnerTestHost(string configuration = "", TimeProvider? timeProvider = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "runnerhost-testing", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        ConfigurationFile = Path.Combine(Directory, "runner-host.cfg");
        File.WriteAllText(ConfigurationFile, $"[paths]\nvar_dir: {Path.Combine(Directory, "var")}\n\n{TestListSection}\n\n{configuration}\n");
        _loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(_log).SetMinimumLevel(LogLevel.Trace));
        try
        {
            _services = new HostServices(ConfigurationStack.Load(ConfigurationFile).Build(), _loggerFactory, timeProvider) { Outcomes = _outcomes };
        }
        catch (Exception ex) when (ex is ConfigurationException or RunnerHost.Configuration.ConfigurationValueException)
        {
            Cleanup();
            throw new ArgumentException($"The test host's configuration is not valid: {ex.Message}", nameof(configuration), ex);
        }

        var builder = new ContainerBuilder();
        RunnerRegistrations.AddHostServices(builder, _services);
        // No plugin folders here: the runner under test comes from the test's own assemblies.
        builder.RegisterInstance<RunnerHost.Operations.IPluginDirectory>(new NoPlugins());
        _root = builder.Build();
    }

    /// <summary>The host's directory: its configuration file and its <c>var</c> directory (queues, logs, state).</summary>
    public string Directory { get; }

    /// <summary>The configuration file the host reads.</summary>
    public string ConfigurationFile { get; }

    /// <summary>The var directory: queues under <c>queue/</c>, runner state under <c>state/</c>.</summary>
    public string VarDirectory => _services.Configuration.Paths.VarDir;

    /// <summary>Every configured queue, to enqueue into directly.</summary>
    public IQueueRegistry Queues => _services.Queues;

    /// <summary>The inspection surface operators see (summaries, listings, entries).</summary>
    public IQueueInspector Inspector => _services.Inspector;

    /// <summary>Every line logged so far by the host and the runners.</summary>
    public IReadOnlyList<LogRecord> Logs => _log.Records;

    /// <summary>Enqueues an RFC 822 message given as text (<c>\n</c> line ends are fine).</summary>
    /// <param name="queue">The queue, e.g. the runner's name.</param>
    /// <param name="messageText">The message.</param>
    /// <param name="metadata">Its metadata; when null, <c>listid</c> is the test list's.</param>
    /// <param name="cancellationToken">Cancels the enqueue.</param>
    /// <returns>The entry's id.</returns>
    public Task<string> EnqueueAsync(string queue, string messageText, MessageData? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageText);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(messageText));
        return EnqueueAsync(queue, MimeMessage.Load(stream, cancellationToken), metadata, cancellationToken);
    }

    /// <summary>Enqueues a message.</summary>
    /// <param name="queue">The queue, e.g. the runner's name.</param>
    /// <param name="message">The message.</param>
    /// <param name="metadata">Its metadata; when null, <c>listid</c> is the test list's.</param>
    /// <param name="cancellationToken">Cancels the enqueue.</param>
    /// <returns>The entry's id.</returns>
    public Task<string> EnqueueAsync(string queue, MimeMessage message, MessageData? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return QueueNamed(queue).EnqueueAsync(message, metadata ?? new MessageData { [MessageDataKeys.ListId] = TestListId }, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Builds the runner of <c>[runner.<paramref name="runnerName"/>]</c> as <typeparamref name="TRunner"/>, the way
    /// the host does (its constructor's services, its assembly's Autofac modules, its settings), and runs
    /// one full pass over its slice of its queue followed by its periodic hook and clean-up.
    /// </summary>
    /// <typeparam name="TRunner">The runner type (the section's <c>class</c> is not looked up).</typeparam>
    /// <param name="runnerName">The runner's name: its section must be in the configuration.</param>
    /// <param name="slice">The slice to run, 0-based.</param>
    /// <param name="sliceCount">How many slices the queue is split into.</param>
    /// <param name="cancellationToken">Interrupts the pass; the entry in hand is released unchanged.</param>
    /// <returns>How the entries of the pass ended.</returns>
    /// <exception cref="InvalidOperationException">The runner cannot be built or its section has no queue; the message says why.</exception>
    public async Task<PassResult> RunOnceAsync<TRunner>(string runnerName, int slice = 0, int sliceCount = 1, CancellationToken cancellationToken = default)
        where TRunner : Runner
    {
        await using var scope = BeginRunner<TRunner>(runnerName, slice, sliceCount, out var runner, out var settings);
        _outcomes.Take();
        using var driver = await OpenAsync(runner, settings, cancellationToken).ConfigureAwait(false);
        await driver.RunAsync(once: true, cancellationToken).ConfigureAwait(false);
        return _outcomes.Take();
    }

    /// <summary>
    /// Builds the service runner of <c>[runner.<paramref name="runnerName"/>]</c> as <typeparamref name="TService"/>
    /// the way the host does and starts it; it serves until the returned handle is disposed.
    /// </summary>
    /// <typeparam name="TService">The runner type.</typeparam>
    /// <param name="runnerName">The runner's name: its section must be in the configuration.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running service; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException">The runner cannot be built; the message says why.</exception>
    public async Task<RunningService<TService>> StartAsync<TService>(string runnerName, CancellationToken cancellationToken = default)
        where TService : ServiceRunner
    {
        var scope = BeginRunner<TService>(runnerName, 0, 1, out var runner, out var settings);
        RunnerDriver driver;
        try
        {
            driver = await OpenAsync(runner, settings, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await scope.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var run = Task.Run(() => driver.RunAsync(once: false, CancellationToken.None), CancellationToken.None);
        return new RunningService<TService>((TService)runner, run, async () =>
        {
            driver.Dispose();
            await scope.DisposeAsync().ConfigureAwait(false);
        });
    }

    /// <summary>Every entry of a queue, oldest first, parsed: ready ones, those due later, shunted and preserved ones.</summary>
    /// <param name="queue">The queue, e.g. <c>shunt</c>, <c>bad</c> or the next runner's.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The entries (an entry whose message cannot be read has an empty message).</returns>
    public async Task<IReadOnlyList<QueuedMessage>> ReadQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        QueueNamed(queue);
        var entries = new List<QueuedMessage>();
        for (int offset = 0; ; offset += EntryQuery.MaxLimit)
        {
            var page = await Inspector.ListAsync(queue, new EntryQuery(offset, EntryQuery.MaxLimit), cancellationToken).ConfigureAwait(false);
            foreach (var summary in page.Entries)
            {
                if (await Inspector.ReadAsync(queue, summary.Id, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    entries.Add(new QueuedMessage(entry.Id, entry.State, Parse(entry.Message), entry.Metadata ?? new MessageData()));
                }
            }

            if (page.Entries.Count == 0 || offset + page.Entries.Count >= page.Total)
            {
                return entries;
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _root.DisposeAsync().ConfigureAwait(false);
        _services.Dispose();
        Cleanup();
    }

    private static MimeMessage Parse(ReadOnlyMemory<byte>? bytes)
    {
        if (bytes is not { Length: > 0 } content)
        {
            return new MimeMessage();
        }

        using var stream = new MemoryStream(content.ToArray(), writable: false);
        return MimeMessage.Load(stream);
    }

    private IQueue QueueNamed(string queue) =>
        Queues.TryGet(queue, out var found)
            ? found
            : throw new ArgumentException($"No queue '{queue}' in the test host: a queue is configured by its runner's [runner.{queue}] section.", nameof(queue));

    private ILifetimeScope BeginRunner<TRunner>(string runnerName, int slice, int sliceCount, out RunnerBase runner, out RunnerHost.Configuration.RunnerSettings settings)
        where TRunner : RunnerBase
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(slice);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sliceCount, slice);
        if (!_services.Configuration.TryGetRunner(runnerName, out var found))
        {
            throw new InvalidOperationException($"No [runner.{runnerName}] section in the test host's configuration ({ConfigurationFile}).");
        }

        settings = found;
        var configurationLogger = _loggerFactory.CreateLogger(HostConfiguration.LogCategory);
        foreach (var warning in RunnerKeyCheck.Check(_services.Configuration, settings, typeof(TRunner)))
        {
            configurationLogger.LogWarning("{Warning}", warning);
        }

        var context = _services.CreateContext(settings, slice, sliceCount);
        var type = typeof(TRunner);
        var scope = _root.BeginLifetimeScope(builder => RunnerRegistrations.AddRunner(builder, type.Assembly, type, runnerName, context));
        try
        {
            runner = scope.ResolveNamed<RunnerBase>(runnerName);
            return scope;
        }
        catch (Exception ex)
        {
            scope.Dispose();
            var innermost = ex;
            while (innermost.InnerException is { } inner)
            {
                innermost = inner;
            }

            throw new InvalidOperationException($"runner '{runnerName}': cannot create '{type.FullName}': {innermost.Message}", ex);
        }
    }

    private async Task<RunnerDriver> OpenAsync(RunnerBase runner, RunnerHost.Configuration.RunnerSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            return await RunnerDriver.OpenAsync(_services, runner, settings, cancellationToken).ConfigureAwait(false);
        }
        catch (RunnerCreationException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
    }

    private void Cleanup()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A process the test started may still hold a file; the temporary directory is the OS's to clean.
        }
    }
}
