using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using RunnerHost.Configuration;
using RunnerHost.Events;
using RunnerHost.Lists;
using RunnerHost.Queues;

namespace RunnerHost.Host.Tests.Plugins;

// Minimal stand-ins for the host services built elsewhere; the plugin tests need only a RunnerContext.
internal sealed class FakeSwitchboardRegistry : ISwitchboardRegistry
{
    public IReadOnlyList<string> Names => [];

    public ISwitchboard this[string name] => throw new KeyNotFoundException(name);

    public bool TryGet(string name, [NotNullWhen(true)] out ISwitchboard? switchboard)
    {
        switchboard = null;
        return false;
    }
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
        Queues = new FakeSwitchboardRegistry(),
        Lists = new FakeListManager(),
        Events = new FakeRunnerEvents(),
        Logger = logger,
    };
}
