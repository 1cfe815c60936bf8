using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using RunnerHost.Host.Composition;
using RunnerHost.Host.Configuration;
using RunnerHost.Host.Supervision;
using RunnerHost.Host.Tests.Plugins;
using RunnerHost.Host.Tests.Support;
using RunnerHost.Messages;

namespace RunnerHost.Host.Tests.Runners;

/// <summary>
/// The README's "Writing a runner" example, its C# taken from the README itself, built as a plugin
/// and run under <c>runner-host start</c> with two slices: every message must leave exactly one intact
/// line (two processes appending to one file once lost and mangled lines).
/// </summary>
public sealed partial class ReadmeExampleTests
{
    private const int Messages = 400;

    private string _root = null!;

    [SetUp]
    public void SetUp() => _root = TestDirectories.CreateTemp("readme");

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public async Task The_subjects_runner_keeps_every_line_with_two_slices()
    {
        string readme = await File.ReadAllTextAsync(Path.Combine(TestPluginBuilder.RepoRoot(), "README.md"));
        string plugins = await BuildExampleAsync(readme);
        string config = Path.Combine(_root, "runner-host.cfg");
        string varDir = Path.Combine(_root, "var");
        await File.WriteAllTextAsync(config, $"""
            [paths]
            var_dir: {varDir}
            plugin_dir: {plugins}

            [list.test]
            posting_address: test@example.com

            [runner.subjects]
            class: SubjectRunner
            output: $var_dir/subjects
            instances: 2
            sleep_time: 0.1s
            """);
        using var master = HostProcess.Start(_root, "start", "-C", config);
        await EnqueueAsync(config, "subjects", Messages);

        string queue = Path.Combine(varDir, "queue", "subjects");
        await RunnerHost.Host.Tests.Supervision.MasterHarness.WaitUntilAsync(() => Directory.Exists(queue) && Directory.GetFiles(queue).Length == 0, "the subjects queue drained");
        master.Signal(Posix.SigTerm);
        Assert.That(await master.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Zero, master.Stderr);

        var files = Directory.GetFiles(varDir, "subjects*.txt");
        var lines = files.SelectMany(File.ReadAllLines).ToList();
        Assert.That(files, Has.Length.EqualTo(2), "one file per slice");
        Assert.That(lines, Has.Count.EqualTo(Messages), "one line per message");
        Assert.That(lines, Has.All.EqualTo("test.example.com: post"), "no line mangled");
    }

    private static async Task EnqueueAsync(string config, string queue, int count)
    {
        using var services = new HostServices(ConfigurationStack.Load(config).Build(), NullLoggerFactory.Instance);
        for (int i = 0; i < count; i++)
        {
            var message = TestMessages.FromText($"From: anne@example.com\nTo: test@example.com\nMessage-ID: <m{i}@readme>\nSubject: post\n\nHi.\n");
            await services.Queues[queue].EnqueueAsync(message, new MessageData { ListId = "test.example.com" });
        }
    }

    private async Task<string> BuildExampleAsync(string readme)
    {
        string csproj = Heredoc(readme, "plugins/Subjects/Subjects.csproj", "XML");
        string code = Heredoc(readme, "plugins/Subjects/SubjectRunner.cs", "CS");
        string repo = TestPluginBuilder.RepoRoot();
        string project = Path.Combine(_root, "src", "Subjects");
        Directory.CreateDirectory(project);
        // The README's project lives in the repository, where Directory.Build.props and the central
        // package versions apply; here they are copied beside it and the contract is referenced in place.
        foreach (string file in new[] { "Directory.Build.props", "Directory.Packages.props" })
        {
            File.Copy(Path.Combine(repo, file), Path.Combine(_root, file));
        }

        await File.WriteAllTextAsync(Path.Combine(project, "Subjects.csproj"), csproj.Replace("../../src/Abstractions/Abstractions.csproj", Path.Combine(repo, "src", "Abstractions", "Abstractions.csproj"), StringComparison.Ordinal));
        await File.WriteAllTextAsync(Path.Combine(project, "SubjectRunner.cs"), code);
        string output = Path.Combine(_root, "plugins", "Subjects");
        // The contract is already built (the tests reference it): --no-dependencies leaves the repository untouched.
        await RunAsync("dotnet", "build", Path.Combine(project, "Subjects.csproj"), "-o", output, "--no-dependencies", "--disable-build-servers", "-nologo");
        return Path.GetDirectoryName(output)!;
    }

    // The body of "cat > PATH <<'TAG'" ... "TAG" in the README, without the list item's indentation.
    private static string Heredoc(string readme, string path, string tag)
    {
        var match = Regex.Match(readme, $@"cat > {Regex.Escape(path)} <<'{tag}'\n(?<body>.*?)\n(?<indent> *){tag}\n", RegexOptions.Singleline);
        Assert.That(match.Success, Is.True, $"the README has a heredoc for {path}");
        string indent = match.Groups["indent"].Value;
        return string.Join('\n', match.Groups["body"].Value.Split('\n').Select(line => line.StartsWith(indent, StringComparison.Ordinal) ? line[indent.Length..] : line)) + "\n";
    }

    private static async Task RunAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string variable in new[] { "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.That(process.ExitCode, Is.Zero, $"{tool} {string.Join(' ', arguments)}:\n{await stdout}\n{await stderr}");
    }
}
