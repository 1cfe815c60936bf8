using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using RunnerHost.Hosting.Tests.MailFlow;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary>Every endpoint of the rest runner over real HTTP: status codes, JSON shapes, problem details, auth.</summary>
[NonParallelizable]
public sealed partial class RestApiTests
{
    private const string Message = "From: anne@example.com\r\nTo: two@example.com\r\nSubject: via REST\r\nMessage-ID: <rest-1@example.com>\r\n\r\nHello.\r\n";

    private RestHost _rest = null!;

    [SetUp]
    public async Task SetUp() => _rest = await RestHost.StartAsync();

    [TearDown]
    public async Task TearDown() => await _rest.DisposeAsync();

    [Test]
    public async Task Health_live_and_ready_answer_200()
    {
        var live = await GetJsonAsync("/health/live", HttpStatusCode.OK);
        Assert.That(live.GetProperty("status").GetString(), Is.EqualTo("live"));
        var ready = await GetJsonAsync("/health/ready", HttpStatusCode.OK);
        Assert.That(ready.GetProperty("status").GetString(), Is.EqualTo("ready"));
        Assert.That(ready.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()), Is.EquivalentTo(new[] { "var_dir", "queues", "slices" }));
    }

    [Test]
    public async Task Runners_says_the_master_is_not_running_without_a_status_file_and_shows_slices_with_one()
    {
        var none = await GetJsonAsync("/runners", HttpStatusCode.OK);
        Assert.That(none.GetProperty("masterRunning").GetBoolean(), Is.False);
        Assert.That(none.GetProperty("message").GetString(), Does.Contain("not running"));

        // A status file written by a live process (this one) counts as a running master.
        var started = DateTimeOffset.UtcNow.AddSeconds(-30);
        await File.WriteAllTextAsync(Path.Combine(_rest.VarDir, "master.status.json"), $$"""
            {"masterPid":{{Environment.ProcessId}},"masterStartedAt":"{{started:O}}","updatedAt":"{{DateTimeOffset.UtcNow:O}}","stopping":false,
             "slices":[{"runner":"in","slice":0,"count":1,"isolation":"process","state":"running","pid":4242,"startedAt":"{{started:O}}","restartsInWindow":1,"maxRestarts":10}]}
            """);
        var running = await GetJsonAsync("/runners", HttpStatusCode.OK);
        Assert.That(running.GetProperty("masterRunning").GetBoolean(), Is.True);
        var slice = running.GetProperty("runners")[0];
        Assert.Multiple(() =>
        {
            Assert.That(slice.GetProperty("runner").GetString(), Is.EqualTo("in"));
            Assert.That(slice.GetProperty("state").GetString(), Is.EqualTo("running"));
            Assert.That(slice.GetProperty("pid").GetInt32(), Is.EqualTo(4242));
            Assert.That(slice.GetProperty("restarts").GetInt32(), Is.EqualTo(1));
            Assert.That(slice.GetProperty("uptimeSeconds").GetDouble(), Is.GreaterThanOrEqualTo(29));
        });
    }

    [Test]
    public async Task Queues_lists_every_queue_with_depth_and_oldest_age()
    {
        await _rest.Flow.EnqueueAsync("out", Message, new MessageData { ListId = "two.example.com" });
        var queues = await GetJsonAsync("/queues", HttpStatusCode.OK);
        var byName = queues.EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!);
        Assert.That(byName.Keys, Is.SupersetOf(new[] { "in", "out", "retry", "archive", "shunt", "bad" }));
        Assert.That(byName["out"].GetProperty("depth").GetInt32(), Is.EqualTo(1));
        Assert.That(byName["in"].GetProperty("depth").GetInt32(), Is.Zero);
        Assert.That(byName["in"].GetProperty("oldestAgeSeconds").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Unknown_queue_is_404_problem_details()
    {
        var response = await _rest.Client.GetAsync("/queues/nope");
        await AssertProblemAsync(response, HttpStatusCode.NotFound, "No such queue");
        await AssertProblemAsync(await _rest.Client.GetAsync($"/queues/nope/{FakeFilebase}"), HttpStatusCode.NotFound, "No such queue");
    }

    [TestCase("a..b")]
    [TestCase("..%2F..%2Fetc")]
    [TestCase("x%2Fy")]
    [TestCase("not-a-filebase")]
    public async Task Malformed_filebases_are_400(string filebase)
    {
        await AssertProblemAsync(await _rest.Client.GetAsync($"/queues/in/{filebase}/"[..^1]), HttpStatusCode.BadRequest, "Invalid filebase");
        using var delete = RestHost.Request(HttpMethod.Delete, $"/queues/in/{filebase}");
        await AssertProblemAsync(await _rest.Client.SendAsync(delete), HttpStatusCode.BadRequest, "Invalid filebase");
    }

    [Test]
    public async Task Inject_needs_the_token()
    {
        await AssertProblemAsync(await _rest.InjectAsync("in", Message, token: null), HttpStatusCode.Unauthorized, "Unauthorized");
        var wrong = await _rest.InjectAsync("in", Message, token: "wrong-token-0123456789");
        Assert.That(wrong.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        await AssertProblemAsync(wrong, HttpStatusCode.Unauthorized, "Unauthorized");
        Assert.That(_rest.Flow.Count("in"), Is.Zero);
    }

    [Test]
    public async Task Inject_then_read_the_entry_then_a_runner_processes_it()
    {
        var response = await _rest.InjectAsync("in", Message, query: "?listid=two@example.com&metadata=origin%3Drest");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        using var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        string filebase = created.RootElement.GetProperty("filebase").GetString()!;
        Assert.That(response.Headers.Location?.ToString(), Is.EqualTo($"/queues/in/{filebase}"));
        Assert.That(_rest.Flow.Queue("in").GetFiles(), Is.EqualTo(new[] { filebase }));

        var listing = await GetJsonAsync("/queues/in", HttpStatusCode.OK);
        var entry = listing.GetProperty("entries")[0];
        Assert.That(entry.GetProperty("filebase").GetString(), Is.EqualTo(filebase));
        Assert.That(entry.GetProperty("due").GetDateTimeOffset(), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(5)));

        var read = await GetJsonAsync($"/queues/in/{filebase}", HttpStatusCode.OK);
        Assert.Multiple(() =>
        {
            Assert.That(read.GetProperty("metadata").GetProperty("listid").GetString(), Is.EqualTo("two.example.com"));
            Assert.That(read.GetProperty("metadata").GetProperty("origin").GetString(), Is.EqualTo("rest"));
            Assert.That(read.GetProperty("message").GetString(), Is.EqualTo(Message));
            Assert.That(read.GetProperty("state").GetString(), Is.EqualTo("ready"));
        });

        await _rest.Flow.RunOnceAsync("in");
        Assert.That(_rest.Flow.Count("in"), Is.Zero);
        Assert.That(_rest.Flow.Count("out"), Is.EqualTo(1), "the pipeline handed it on");
        Assert.That(_rest.Flow.Count("archive"), Is.EqualTo(1));
        await AssertProblemAsync(await _rest.GetAsync($"/queues/in/{filebase}"), HttpStatusCode.NotFound, "No such entry");
    }

    [Test]
    public async Task Inject_refuses_unknown_list_unknown_queue_wrong_media_type_and_garbage()
    {
        await AssertProblemAsync(await _rest.InjectAsync("in", Message, query: "?listid=nope.example.com"), HttpStatusCode.NotFound, "No such list");
        await AssertProblemAsync(await _rest.InjectAsync("in", Message, query: string.Empty), HttpStatusCode.BadRequest, "Missing list");
        await AssertProblemAsync(await _rest.InjectAsync("nope", Message), HttpStatusCode.NotFound, "No such queue");
        await AssertProblemAsync(await _rest.InjectAsync("in", Message, contentType: "text/plain"), HttpStatusCode.UnsupportedMediaType, "Unsupported media type");
        await AssertProblemAsync(await _rest.InjectAsync("in", string.Empty), HttpStatusCode.BadRequest, "Not a message");
        await AssertProblemAsync(await _rest.InjectAsync("in", Message, query: "?listid=two.example.com&metadata=novalue"), HttpStatusCode.BadRequest, "Bad metadata");
        Assert.That(_rest.Flow.Count("in"), Is.Zero);
    }

    [Test]
    public async Task Delete_removes_the_entry_entirely_and_is_404_afterwards()
    {
        string filebase = await _rest.Flow.EnqueueAsync("out", Message, new MessageData { ListId = "two.example.com" });
        using (var unauthorized = RestHost.Request(HttpMethod.Delete, $"/queues/out/{filebase}", token: null))
        {
            await AssertProblemAsync(await _rest.Client.SendAsync(unauthorized), HttpStatusCode.Unauthorized, "Unauthorized");
        }

        using (var delete = RestHost.Request(HttpMethod.Delete, $"/queues/out/{filebase}"))
        {
            var response = await _rest.Client.SendAsync(delete);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        Assert.That(_rest.Flow.Host.CheckQueueFiles("out"), Is.EqualTo("empty"), "no .pck and no .bak left");
        using var again = RestHost.Request(HttpMethod.Delete, $"/queues/out/{filebase}");
        await AssertProblemAsync(await _rest.Client.SendAsync(again), HttpStatusCode.NotFound, "No such entry");
    }

    [Test]
    public async Task Unshunt_one_replays_into_its_queue_with_the_journal_and_refuses_a_journaled_entry()
    {
        var shunted = new MessageData { ListId = "two.example.com", WhichQueue = "out", [MessageDataKeys.Error] = new MessageData { ["type"] = "System.IO.IOException", ["message"] = "boom" } };
        string filebase = await _rest.Flow.EnqueueAsync("shunt", Message, shunted);

        using (var request = RestHost.Request(HttpMethod.Post, $"/shunt/{filebase}/unshunt"))
        {
            var result = await ReadJsonAsync(await _rest.Client.SendAsync(request), HttpStatusCode.OK);
            Assert.That(result.GetProperty("queue").GetString(), Is.EqualTo("out"));
            string newFilebase = result.GetProperty("newFilebase").GetString()!;
            Assert.That(_rest.Flow.Queue("out").GetFiles(), Is.EqualTo(new[] { newFilebase }));
            var replayed = await GetJsonAsync($"/queues/out/{newFilebase}", HttpStatusCode.OK);
            var metadata = replayed.GetProperty("metadata");
            Assert.That(metadata.GetProperty("replayed_from").GetString(), Is.EqualTo(filebase));
            Assert.That(metadata.GetProperty("replay_count").GetInt64(), Is.EqualTo(1));
            Assert.That(metadata.GetProperty("last_error").GetProperty("message").GetString(), Is.EqualTo("boom"));
            Assert.That(metadata.TryGetProperty("whichq", out _), Is.False);
        }

        Assert.That(_rest.Flow.Count("shunt"), Is.Zero);
        string journal = await File.ReadAllTextAsync(Path.Combine(_rest.VarDir, "replayed.journal"));
        Assert.That(journal, Does.StartWith($"{filebase} out "));

        using (var gone = RestHost.Request(HttpMethod.Post, $"/shunt/{filebase}/unshunt"))
        {
            await AssertProblemAsync(await _rest.Client.SendAsync(gone), HttpStatusCode.NotFound, "No such entry");
        }

        // A journaled entry still in shunt (a crash between enqueue and removal) is refused, never sent twice.
        string leftover = await _rest.Flow.EnqueueAsync("shunt", Message, shunted);
        await File.AppendAllTextAsync(Path.Combine(_rest.VarDir, "replayed.journal"), $"{leftover} out 1.0+{new string('0', 40)} 2026-01-01T00:00:00Z\n");
        using var twice = RestHost.Request(HttpMethod.Post, $"/shunt/{leftover}/unshunt");
        await AssertProblemAsync(await _rest.Client.SendAsync(twice), HttpStatusCode.Conflict, "Already replayed");
        Assert.That(_rest.Flow.Count("shunt"), Is.EqualTo(1));
    }

    [Test]
    public async Task Unshunt_all_replays_every_entry_and_reports_each()
    {
        for (int i = 0; i < 3; i++)
        {
            await _rest.Flow.EnqueueAsync("shunt", Message, new MessageData { ListId = "two.example.com", WhichQueue = "in" });
        }

        await _rest.Flow.EnqueueAsync("shunt", Message, new MessageData { ListId = "two.example.com", WhichQueue = "nowhere" });
        using var request = RestHost.Request(HttpMethod.Post, "/shunt/unshunt");
        var result = await ReadJsonAsync(await _rest.Client.SendAsync(request), HttpStatusCode.OK);
        Assert.That(result.GetProperty("replayed").GetArrayLength(), Is.EqualTo(3));
        Assert.That(result.GetProperty("failed")[0].GetProperty("problem").GetString(), Does.Contain("no such queue: nowhere"));
        Assert.That(_rest.Flow.Count("in"), Is.EqualTo(3));
        Assert.That(_rest.Flow.Count("shunt"), Is.EqualTo(1), "the one without a queue stays");

        using var unauthorized = RestHost.Request(HttpMethod.Post, "/shunt/unshunt", token: "wrong-token-0123456789");
        await AssertProblemAsync(await _rest.Client.SendAsync(unauthorized), HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Test]
    public async Task Metrics_is_prometheus_text_with_queue_gauges_and_the_runner_files()
    {
        await _rest.Flow.EnqueueAsync("out", Message, new MessageData { ListId = "two.example.com" });
        string metricsDir = Path.Combine(_rest.VarDir, "metrics");
        Directory.CreateDirectory(metricsDir);
        await File.WriteAllTextAsync(Path.Combine(metricsDir, "out-0.prom"), "# HELP runnerhost_messages_processed_total Processed.\n# TYPE runnerhost_messages_processed_total counter\nrunnerhost_messages_processed_total{runner=\"out\",slice=\"0\"} 7\n");

        var response = await _rest.Client.GetAsync("/metrics");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        string text = await response.Content.ReadAsStringAsync();
        var samples = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList();
        Assert.That(samples, Is.Not.Empty);
        Assert.That(samples, Has.All.Matches<string>(l => SampleLine().IsMatch(l ?? string.Empty)), text);
        Assert.That(samples, Does.Contain("runnerhost_queue_depth{queue=\"out\"} 1"));
        Assert.That(samples, Does.Contain("runnerhost_messages_processed_total{runner=\"out\",slice=\"0\"} 7"));
        Assert.That(text, Does.Contain("# TYPE runnerhost_queue_depth gauge"));
    }

    [Test]
    public async Task Ready_is_503_when_the_var_directory_is_gone()
    {
        Directory.Delete(_rest.VarDir, recursive: true);
        await AssertProblemAsync(await _rest.Client.GetAsync("/health/ready"), HttpStatusCode.ServiceUnavailable, "Not ready");
        var ready = await ReadyResponse.GetAsync(_rest.Client);
        Assert.That(ready.Checks["var_dir"].Status, Is.EqualTo("Unhealthy"), ready.Body);
        Assert.That(ready.Body, Does.Contain("\"detail\":\"var_dir: var_dir ("));
        Assert.That((await _rest.Client.GetAsync("/health/live")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private static string FakeFilebase => $"1700000000.0+{new string('a', 40)}";

    // With the token: reading an entry needs it (RestAuthTests covers who may call what without it).
    private async Task<JsonElement> GetJsonAsync(string path, HttpStatusCode expected) => await ReadJsonAsync(await _rest.GetAsync(path), expected);

    internal static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    internal static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, string title)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), body);
        using var problem = JsonDocument.Parse(body);
        Assert.That(problem.RootElement.GetProperty("status").GetInt32(), Is.EqualTo((int)expected));
        Assert.That(problem.RootElement.GetProperty("title").GetString(), Is.EqualTo(title));
        Assert.That(problem.RootElement.GetProperty("detail").GetString(), Is.Not.Empty);
    }

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*=""[^""]*""(,[a-zA-Z_][a-zA-Z0-9_]*=""[^""]*"")*\})? (-?[0-9.]+([eE][-+]?[0-9]+)?|NaN|[+-]Inf)( [0-9]+)?$")]
    private static partial Regex SampleLine();
}
