using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using RunnerHost.Hosting.Composition;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Supervision;
using RunnerHost.Hosting.Tests.Supervision;
using RunnerHost.Hosting.Tests.Support;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>
/// An author's whole path, outside the repository: the packages this build produced in a local feed,
/// <c>dotnet new install</c> of the template package, <c>dotnet new runnerhost-runner</c> in a temporary
/// directory, its own tests on the testing package, a Release build against the packed contract,
/// <c>plugins install</c> into a host, <c>start</c> with two slices, <c>inject</c>; then a v2 of the same
/// project installed under the running master, with every message handled exactly once.
/// </summary>
[NonParallelizable]
public sealed partial class TemplateTests
{
    private const int Batch = 150;
    private string _root = null!;
    private string _feed = null!;
    private string _suffix = null!;

    private string _hive = null!;

    // The packages of this build in a local feed, and the template installed from it into a hive of the
    // test's own (the user's templates are left alone).
    [OneTimeSetUp]
    public async Task PackAndInstallTheTemplate()
    {
        _root = TestDirectories.CreateTemp("template");
        _feed = Path.Combine(_root, "feed");
        _hive = Path.Combine(_root, "hive");
        // A version of this run's own: NuGet's global cache never serves an earlier build of the same version.
        _suffix = "test" + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        await DotnetCli.RunAsync(TestPluginBuilder.RepoRoot(), ["pack", "RunnerHost.sln", "--no-build", "-c", configuration, "-o", _feed, "-p:VersionSuffix=" + _suffix]);
        string template = Directory.GetFiles(_feed, "RunnerHost.Templates.*.nupkg").Single();
        await DotnetCli.RunAsync(_root, ["new", "install", template, "--debug:custom-hive", _hive], build: false);
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        TestDirectories.DeleteQuietly(_root);
        // This run's packages, restored into the user's global cache, are of no use to anyone after it.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in new[] { "runnerhost.abstractions", "runnerhost.testing" })
        {
            foreach (string version in Directory.Exists(Path.Combine(cache, id)) ? Directory.GetDirectories(Path.Combine(cache, id), "*-" + _suffix) : [])
            {
                TestDirectories.DeleteQuietly(version);
            }
        }
    }

    [Test]
    public async Task A_plugin_from_the_template_is_built_outside_the_repository_installed_run_and_upgraded_without_losing_a_message()
    {
        string project = await CreateProjectAsync();

        // The generated tests run against the testing package, as the author's first `dotnet test` does.
        string tested = await DotnetCli.RunAsync(project, ["test"]);
        Assert.That(tested, Does.Contain("Passed!"), tested);

        string build = await BuildAsync(project, "1.0.0");
        string varDir = Path.Combine(_root, "var");
        string config = Path.Combine(_root, "runner-host.cfg");
        // The sample section as the template wrote it, with the two slices an operator might choose.
        string section = (await File.ReadAllTextAsync(Path.Combine(project, "digest.cfg"))).Replace("instances: 1", "instances: 2", StringComparison.Ordinal);
        await File.WriteAllTextAsync(config, $"""
            [paths]
            var_dir: {varDir}
            plugin_dir: {Path.Combine(_root, "plugins")}

            [list.test]
            posting_address: test@example.com

            {section}
            sleep_time: 0.1s
            """);

        var installed = await HostProcess.RunAsync(_root, null, "plugins", "install", build, "-C", config);
        Assert.That(installed.ExitCode, Is.Zero, installed.ToString());
        Assert.That(installed.Stdout, Does.StartWith("Installed plugin Digest 1.0.0").And.Contain("runners affected: digest"), installed.ToString());

        using var master = HostProcess.Start(_root, "start", "-C", config);
        string message = Path.Combine(_root, "hello.eml");
        await File.WriteAllTextAsync(message, "From: anne@example.com\nTo: test@example.com\nSubject: hello\n\nHi.\n");
        var injected = await HostProcess.RunAsync(_root, null, "inject", "-q", "digest", "-f", message, "test@example.com", "-C", config);
        Assert.That(injected.ExitCode, Is.Zero, injected.ToString());
        await EnqueueAsync(config, "a", Batch);
        await MasterHarness.WaitUntilAsync(() => Lines(varDir).Count == Batch + 1, "v1 handled the first batch");

        // v2: the same project with a change, built as the author would, installed under the running master.
        string runner = Path.Combine(project, "src", "Digest", "DigestRunner.cs");
        string code = await File.ReadAllTextAsync(runner);
        Assert.That(code, Does.Contain("string line = $\"{mailingList.ListId}: {message.Subject}\";"));
        await File.WriteAllTextAsync(runner, code.Replace("string line = $\"{mailingList.ListId}", "string line = $\"v2 {mailingList.ListId}", StringComparison.Ordinal));
        string build2 = await BuildAsync(project, "2.0.0");
        await EnqueueAsync(config, "b", Batch);
        var upgraded = await HostProcess.RunAsync(_root, null, "plugins", "install", build2, "-C", config);
        Assert.That(upgraded.Stdout, Does.StartWith("Installed plugin Digest 2.0.0").And.Contain("(replacing 1.0.0)"), upgraded.ToString());
        await WaitForPluginVersionAsync(config, "2.0.0", master);
        await EnqueueAsync(config, "c", Batch);
        await MasterHarness.WaitUntilAsync(() => Lines(varDir).Count >= 1 + (3 * Batch), "every message handled");

        master.Signal(Posix.SigTerm);
        Assert.That(await master.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Zero, master.Stderr);
        var lines = Lines(varDir);
        var subjects = lines.Select(l => MessageLine().Match(l)).ToList();
        Assert.That(subjects.All(m => m.Success), Is.True, "every line intact:\n" + string.Join('\n', lines));
        Assert.That(subjects.Select(m => m.Groups["subject"].Value), Is.EquivalentTo(new[] { "hello" }.Concat(Subjects("a")).Concat(Subjects("b")).Concat(Subjects("c"))), "each message exactly once");
        Assert.That(subjects.Where(m => m.Groups["subject"].Value.StartsWith('c')).Select(m => m.Groups["v2"].Success), Has.All.True, "v2 handles what came after it was installed");
        Assert.That(subjects.Where(m => m.Groups["subject"].Value.StartsWith('a')).Select(m => m.Groups["v2"].Success), Has.All.False, "v1 handled what came before");
        Assert.That(Directory.GetFiles(varDir, "digest-*.txt").Select(Path.GetFileName), Is.EquivalentTo(new[] { "digest-0.txt", "digest-1.txt" }), "one file per slice");
        foreach (string queue in new[] { "digest", "shunt", "bad" })
        {
            string directory = Path.Combine(varDir, "queue", queue);
            Assert.That(Directory.Exists(directory) ? Directory.GetFiles(directory) : [], Is.Empty, $"nothing left in {queue}");
        }
    }

    // `status --json`, as operators read it, until both slices run the plugin version.
    private async Task WaitForPluginVersionAsync(string config, string version, RunningHost master)
    {
        var deadline = DateTime.UtcNow + MasterHarness.Patience;
        string last = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            var status = await HostProcess.RunAsync(_root, null, "status", "--json", "-C", config);
            last = status.Stdout;
            using var document = System.Text.Json.JsonDocument.Parse(status.Stdout);
            var versions = document.RootElement.GetProperty("slices").EnumerateArray()
                .Where(s => s.GetProperty("runner").GetString() == "digest")
                .Select(s => s.TryGetProperty("pluginVersion", out var v) ? v.GetString() : null)
                .ToList();
            if (versions.Count == 2 && versions.All(v => v == version))
            {
                return;
            }

            await Task.Delay(300);
        }

        Assert.Fail($"timed out waiting for both digest slices to run {version}; last status:\n{last}\nmaster stderr:\n{master.Stderr}");
    }

    [GeneratedRegex(@"^(?<v2>v2 )?test\.example\.com: (?<subject>hello|[abc]\d+)$")]
    private static partial Regex MessageLine();

    private static IEnumerable<string> Subjects(string batch) => Enumerable.Range(0, Batch).Select(i => $"{batch}{i}");

    private static List<string> Lines(string varDir) =>
        [.. Directory.GetFiles(varDir, "digest-*.txt").SelectMany(File.ReadAllLines)];

    private static async Task EnqueueAsync(string config, string batch, int count)
    {
        using var services = new HostServices(ConfigurationStack.Load(config).Build(), NullLoggerFactory.Instance);
        for (int i = 0; i < count; i++)
        {
            var message = TestMessages.FromText($"From: anne@example.com\nTo: test@example.com\nMessage-ID: <{batch}{i}@template>\nSubject: {batch}{i}\n\nHi.\n");
            await services.Queues["digest"].EnqueueAsync(message, new MessageData { ListId = "test.example.com" });
        }
    }

    [Test]
    public async Task The_service_runner_with_a_module_is_generated_with_tests_that_pass()
    {
        string project = await CreateProjectAsync("Watch", "--kind", "service", "--module");

        string tested = await DotnetCli.RunAsync(project, ["test"]);

        Assert.That(tested, Does.Contain("Passed!").And.Contain("Passed:     1"), tested);
        Assert.That(Directory.GetFiles(Path.Combine(project, "src", "Watch")).Select(Path.GetFileName), Is.SupersetOf(new[] { "WatchService.cs", "WatchModule.cs", "LineFormatter.cs" }).And.No.EqualTo("WatchRunner.cs"));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(project, "watch.cfg")), Does.Contain("class: Watch.WatchService").And.Contain("path:").And.Not.Contain("#if"));
    }

    // A project generated from the installed template, outside the repository.
    private async Task<string> CreateProjectAsync(string name = "Digest", params string[] options)
    {
        string repo = TestPluginBuilder.RepoRoot();
        string project = Path.Combine(_root, "author", name);
        string created = await DotnetCli.RunAsync(_root, ["new", "runnerhost-runner", "-n", name, "-o", project, "--feed", _feed, "--debug:custom-hive", _hive, .. options], build: false);
        Assert.That(created, Does.Contain("was created successfully"), created);
        Assert.That(Path.GetRelativePath(repo, project), Does.StartWith(".."), "the project lives outside the repository");
        return project;
    }

    private static async Task<string> BuildAsync(string project, string version)
    {
        string output = Path.Combine(project, "out", version);
        await DotnetCli.RunAsync(project, ["build", Path.Combine("src", "Digest"), "-c", "Release", "-o", output, "-p:Version=" + version]);
        return output;
    }
}
