using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Events;
using RunnerHost.Inspection;
using RunnerHost.Lists;
using RunnerHost.Queues;

namespace RunnerHost.Hosting.Tests.Plugins;

// Minimal stand-ins for the host services built elsewhere; the plugin tests need only a RunnerContext.
internal sealed class FakeQueueRegistry : IQueueRegistry
{
    public IReadOnlyList<string> Names => [];

    public IQueue this[string name] => throw new KeyNotFoundException(name);

    public bool TryGet(string name, [NotNullWhen(true)] out IQueue? queue)
    {
        queue = null;
        return false;
    }
}

// No queues at all: every call names the missing queue.
internal sealed class FakeQueueInspector : IQueueInspector
{
    public IReadOnlyList<string> QueueNames => [];

    public bool IsEntryId(string queue, string id, [NotNullWhen(false)] out string? problem)
    {
        problem = "no queues";
        return false;
    }

    public Task<QueueSummary> SummarizeAsync(string queue, CancellationToken cancellationToken = default) => throw new KeyNotFoundException(queue);

    public Task<EntryPage> ListAsync(string queue, EntryQuery query, CancellationToken cancellationToken = default) => throw new KeyNotFoundException(queue);

    public Task<EntryInspection?> ReadAsync(string queue, string id, CancellationToken cancellationToken = default) => throw new KeyNotFoundException(queue);

    public Task<IQueueLease?> TakeAsync(string queue, string id, CancellationToken cancellationToken = default) => throw new KeyNotFoundException(queue);

    public Task<DiscardOutcome> DiscardAsync(string queue, string id, CancellationToken cancellationToken = default) => throw new KeyNotFoundException(queue);

    public Task<string> RequeueAsync(string queue, string id, string targetQueue, CancellationToken cancellationToken = default) => throw new KeyNotFoundException(queue);
}

internal sealed class FakeMailingList : IMailingList
{
    public string ListId => "test.example.com";

    public string PostingAddress => "test@example.com";

    public string DisplayName => "Test";

    public string PreferredLanguage => "en";

    public IReadOnlyList<ListMember> Members => [];

    public IReadOnlyList<ListMember> Owners => [];
}

internal sealed class FakeListManager : IListManager
{
    public IReadOnlyCollection<IMailingList> Lists => [];

    public IMailingList? GetByListId(string listId) => null;

    public IMailingList? GetByPostingAddress(string postingAddress) => null;
}

internal sealed class FakeRunnerEvents : IRunnerEvents
{
    public IDisposable SubscribeToCrashes(Action<RunnerCrash> handler) => new NoOp();

    public void RaiseCrash(RunnerCrash crash)
    {
    }

    private sealed class NoOp : IDisposable
    {
        public void Dispose()
        {
        }
    }
}

internal static class TestContexts
{
    public static RunnerContext Create(string runnerName, ILogger logger, params (string Key, string Value)[] settings) => new()
    {
        Settings = new RunnerSettings(
            runnerName,
            settings.ToDictionary(s => s.Key, s => s.Value),
            settings.ToDictionary(s => s.Key, _ => "test.cfg:1")),
        Queues = new FakeQueueRegistry(),
        Inspector = new FakeQueueInspector(),
        Lists = new FakeListManager(),
        Events = new FakeRunnerEvents(),
        Logger = logger,
    };
}
