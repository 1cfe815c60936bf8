using Autofac;
using MimeKit;
using RunnerHost.Inspection;
using RunnerHost.Lists;
using RunnerHost.Messages;
using RunnerHost.Testing;

namespace RunnerHost.Hosting.Tests.Testing;

/// <summary>The testing package authors use: one pass of a runner built the way the host builds it, over real file queues.</summary>
public sealed class RunnerTestHostTests
{
    private const string Sections = """
        [runner.relay]
        class: RunnerHost.Hosting.Tests.Testing.RelayRunner
        prefix: [relayed]
        [runner.next]
        class: none
        [runner.clock]
        class: RunnerHost.Hosting.Tests.Testing.ClockService
        path:
        """;

    [Test]
    public async Task A_pass_processes_the_entry_and_its_output_is_read_back_from_the_next_queue()
    {
        await using var host = new RunnerTestHost(Sections);
        await host.EnqueueAsync("relay", "From: a@example.com\nTo: test@example.com\nSubject: Hello\n\nBody\n");

        var pass = await host.RunOnceAsync<RelayRunner>("relay");

        Assert.That(pass.ToString(), Is.EqualTo("processed 1, requeued 0, shunted 0, preserved 0, released 0"));
        var relayed = (await host.ReadQueueAsync("next")).Single(m => m.Message.Subject != "digest");
        Assert.That((relayed.Message.Subject, relayed.Metadata.GetString("greeting"), relayed.State), Is.EqualTo(("[relayed] Hello", "from the module", EntryState.Ready)));
        Assert.That(await host.ReadQueueAsync("relay"), Is.Empty);
    }

    [Test]
    public async Task A_hook_that_throws_shunts_the_entry_with_its_error_record()
    {
        await using var host = new RunnerTestHost(Sections);
        await host.EnqueueAsync("relay", "From: a@example.com\nSubject: throw\n\nBody\n");

        var pass = await host.RunOnceAsync<RelayRunner>("relay");

        var shunted = (await host.ReadQueueAsync("shunt")).Single();
        Assert.That((pass.Shunted, pass.Total), Is.EqualTo((1, 1)));
        Assert.That(shunted.Error?.GetString("message"), Is.EqualTo("asked to throw"));
        Assert.That(shunted.State, Is.EqualTo(EntryState.Shunted));
    }

    [Test]
    public async Task A_kept_entry_stays_in_its_queue_due_later()
    {
        await using var host = new RunnerTestHost(Sections);
        await host.EnqueueAsync("relay", "From: a@example.com\nSubject: keep\n\nBody\n");

        var pass = await host.RunOnceAsync<RelayRunner>("relay");

        Assert.That(pass.Requeued, Is.EqualTo(1));
        Assert.That((await host.ReadQueueAsync("relay")).Single().State, Is.EqualTo(EntryState.DueLater));
    }

    [Test]
    public async Task A_message_for_a_list_the_host_does_not_have_is_shunted()
    {
        await using var host = new RunnerTestHost(Sections);
        await host.EnqueueAsync("relay", "Subject: x\n\n.\n", new MessageData { [MessageDataKeys.ListId] = "nope.example.com" });

        var pass = await host.RunOnceAsync<RelayRunner>("relay");

        Assert.That(pass.Shunted, Is.EqualTo(1));
    }

    [Test]
    public async Task A_misspelt_key_is_warned_about_as_under_the_host()
    {
        await using var host = new RunnerTestHost(Sections.Replace("prefix:", "prefx:", StringComparison.Ordinal));

        await host.RunOnceAsync<RelayRunner>("relay");

        Assert.That(host.Logs.Select(l => l.Message), Has.Some.Contains("prefx").And.Contains("prefix"));
    }

    [Test]
    public async Task A_runner_without_a_section_is_refused_with_its_name()
    {
        await using var host = new RunnerTestHost(Sections);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.RunOnceAsync<RelayRunner>("digest"));

        Assert.That(error!.Message, Does.StartWith("No [runner.digest] section in the test host's configuration"));
    }

    [Test]
    public async Task A_service_runner_starts_and_stops_as_under_the_host()
    {
        await using var host = new RunnerTestHost(Sections);

        var service = await host.StartAsync<ClockService>("clock");
        await service.Runner.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await service.DisposeAsync();

        Assert.That(service.Runner.Stopped, Is.True);
    }

    [Test]
    public async Task Periodic_work_under_Every_runs_once_per_interval_across_runner_instances()
    {
        await using var host = new RunnerTestHost(Sections);

        await host.RunOnceAsync<RelayRunner>("relay");
        await host.RunOnceAsync<RelayRunner>("relay");

        Assert.That((await host.ReadQueueAsync("next")).Count(m => m.Message.Subject == "digest"), Is.EqualTo(1));
        Assert.That(File.Exists(Path.Combine(host.VarDirectory, "state", "relay", "digest.slice0of1.stamp")), Is.True);
    }

    [Test]
    public async Task Disposing_the_host_removes_its_directory()
    {
        var host = new RunnerTestHost(Sections);
        await host.EnqueueAsync("relay", "Subject: x\n\n.\n");

        await host.DisposeAsync();

        Assert.That(Directory.Exists(host.Directory), Is.False);
    }
}

/// <summary>What the test module registers, taken by <see cref="RelayRunner"/>'s constructor.</summary>
public sealed record Greeting(string Text);

/// <summary>A module found in the runner's assembly, as in a plugin.</summary>
public sealed class GreetingModule : Module
{
    protected override void Load(ContainerBuilder builder) => builder.RegisterInstance(new Greeting("from the module"));
}

[RunnerHost.Configuration.RunnerSetting("prefix")]
public sealed class RelayRunner(RunnerContext context, Greeting greeting) : Runner(context)
{
    protected override async Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
    {
        switch (message.Subject)
        {
            case "throw":
                throw new InvalidOperationException("asked to throw");
            case "keep":
                return true;
        }

        message.Subject = $"{Settings.GetString("prefix")} {message.Subject}";
        await Queues["next"].EnqueueAsync(message, metadata, new MessageData { ["greeting"] = greeting.Text }, cancellationToken: cancellationToken);
        return false;
    }

    protected override Task DoPeriodicAsync(CancellationToken cancellationToken) =>
        Every(TimeSpan.FromHours(1), "digest").RunIfDueAsync(
            token => Queues["next"].EnqueueAsync(new MimeMessage { Subject = "digest" }, cancellationToken: token), cancellationToken);
}

public sealed class ClockService(RunnerContext context) : ServiceRunner(context)
{
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Stopped { get; private set; }

    protected override Task StartAsync(CancellationToken cancellationToken)
    {
        Started.TrySetResult();
        return Task.CompletedTask;
    }

    protected override Task StopAsync(CancellationToken cancellationToken)
    {
        Stopped = true;
        return Task.CompletedTask;
    }
}
