using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MimeKit;
using RunnerHost.Hosting.Diagnostics.Tracing;
using RunnerHost.Hosting.Tests.Runners;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Lists;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Tracing;

/// <summary>
/// What an entry's metadata says about its trace is read from disk, so it is hostile: a context that is not W3C
/// starts a new trace, the entry is processed all the same, and the runner says so once, not per entry.
/// </summary>
[NonParallelizable]
public sealed class HostileTraceContextTests
{
    private const string Valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static readonly object[] Hostile =
    [
        "garbage",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" + new string('x', 100_000),
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
        42L,
        new MessageData { ["nested"] = "dictionary" },
    ];

    private TestHost _host = null!;
    private ActivityListener _listener = null!;
    private readonly List<Activity> _spans = [];

    [SetUp]
    public void SetUp()
    {
        _spans.Clear();
        _host = new TestHost("[tracing]\nexporter: otlp\n[runner.in]\nclass: x\n[runner.out]\nclass: x\n");
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TraceSources.RunnerName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span =>
            {
                lock (_spans)
                {
                    _spans.Add(span);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [TearDown]
    public void TearDown()
    {
        _listener.Dispose();
        _host.Dispose();
    }

    [Test]
    public async Task A_hostile_traceparent_starts_a_new_trace_the_entry_is_processed_and_the_runner_says_so_once()
    {
        foreach (var value in Hostile)
        {
            await _host.Queue("in").EnqueueAsync(Message(), new MessageData { ["listid"] = "test.example.com", [TraceContextMetadata.TraceParent] = value });
        }

        var runner = new ForwardingRunner(_host.ContextFor("in"));
        await _host.RunAsync(runner);

        Assert.That(runner.Seen, Has.Count.EqualTo(Hostile.Length), "every entry processed");
        var spans = Spans("process in");
        Assert.That(spans, Has.Count.EqualTo(Hostile.Length));
        Assert.Multiple(() =>
        {
            Assert.That(spans.Select(s => s.ParentSpanId), Has.All.EqualTo(default(ActivitySpanId)), "each a new root");
            Assert.That(spans.Select(s => s.TraceId.ToHexString()), Has.None.EqualTo("0af7651916cd43dd8448eb211c80319c"));
            Assert.That(spans.Select(s => s.TraceId).Distinct().Count(), Is.EqualTo(Hostile.Length), "a trace each");
            Assert.That(spans.Select(s => s.GetTagItem("runnerhost.outcome")), Has.All.EqualTo("Processed"));
        });
        Assert.That(_host.Logs.Messages(LogLevel.Warning).Count(m => m.Contains("traceparent", StringComparison.Ordinal)), Is.EqualTo(1), "reported once per runner");

        // What the runner forwarded carries its own new span's context, never the hostile value.
        var forwarded = await ForwardedContextsAsync();
        Assert.That(forwarded.Select(Identity), Is.EquivalentTo(spans.Select(s => $"00-{s.TraceId.ToHexString()}-{s.SpanId.ToHexString()}")));
    }

    [Test]
    public async Task A_valid_traceparent_is_the_parent_and_the_forwarded_entry_carries_the_runners_span()
    {
        await _host.Queue("in").EnqueueAsync(Message(), new MessageData { ["listid"] = "test.example.com", [TraceContextMetadata.TraceParent] = Valid, [TraceContextMetadata.TraceState] = "rh=1" });

        await _host.RunAsync(new ForwardingRunner(_host.ContextFor("in")));

        var span = Spans("process in").Single();
        Assert.That(span.TraceId.ToHexString(), Is.EqualTo("0af7651916cd43dd8448eb211c80319c"));
        Assert.That(span.ParentSpanId.ToHexString(), Is.EqualTo("b7ad6b7169203331"));
        Assert.That(span.TraceStateString, Is.EqualTo("rh=1"));
        Assert.That(_host.Logs.Messages(LogLevel.Warning), Has.None.Contains("traceparent"));
        Assert.That((await ForwardedContextsAsync()).Select(Identity), Is.EqualTo(new[] { $"00-0af7651916cd43dd8448eb211c80319c-{span.SpanId.ToHexString()}" }));
    }

    // Version, trace and span id: the flags may carry more than "sampled" (W3C level 2's random-trace-id bit).
    private static string? Identity(string? traceParent) => traceParent?[..^3];

    private List<Activity> Spans(string name)
    {
        lock (_spans)
        {
            return [.. _spans.Where(s => s.DisplayName == name && s.GetTagItem("runnerhost.runner") as string == "in")];
        }
    }

    private async Task<List<string?>> ForwardedContextsAsync()
    {
        var queue = _host.Queue("out");
        var contexts = new List<string?>();
        foreach (var file in queue.GetFiles())
        {
            contexts.Add((await queue.DequeueAsync(file)).Metadata.GetString(TraceContextMetadata.TraceParent));
        }

        return contexts;
    }

    private static MimeMessage Message() => TestMessages.FromText("From: aperson@example.com\nTo: test@example.com\nSubject: hostile\nMessage-ID: <hostile@example.com>\n\nBody.\n");

    /// <summary>Passes each entry on to <c>out</c> with the metadata it came with, as the pipeline does.</summary>
    private sealed class ForwardingRunner(RunnerContext context) : TestableRunnerBase(context)
    {
        protected override async Task<bool> ProcessMessageAsync(IMailingList mailingList, MimeMessage message, MessageData metadata, CancellationToken cancellationToken)
        {
            await base.ProcessMessageAsync(mailingList, message, metadata, cancellationToken);
            await Queues["out"].EnqueueAsync(message, metadata, cancellationToken: cancellationToken);
            return false;
        }
    }
}
