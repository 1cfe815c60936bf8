using System.Text.RegularExpressions;
using RunnerHost.Hosting.Tests.Plugins;

namespace RunnerHost.Hosting.Tests.Contract;

/// <summary>
/// Nothing outside a queue back end reads queue storage: no source file of the host or of the built-in
/// plugins, but the file back end's own folder and the few places that compose it, names a type of the
/// file back end or an entry file extension. Commands, the REST API and the metrics use the contract's
/// inspection surface, so they work on every back end. The benchmarks (bench/, not shipped) measure the
/// file back end itself and are outside the scan.
/// </summary>
public sealed partial class StorageBoundaryTests
{
    // Composition root (builds the back end), the file back end's own file command (qfile reads a file by
    // path), and the move between back ends (builds both).
    private static readonly string[] Allowed =
    [
        "src/Host/Composition/HostServices.cs",
        "src/Host/Cli/QfileCommand.cs",
        "src/Host/Cli/QueuesMigrateCommand.cs",
    ];

    [Test]
    public void Only_the_file_back_end_touches_queue_files()
    {
        string root = TestPluginBuilder.RepoRoot();
        var backEndTypes = typeof(RunnerHost.Hosting.Queues.Files.FileSwitchboard).Assembly.GetTypes()
            .Where(t => t.Namespace == "RunnerHost.Hosting.Queues.Files" && !t.IsNested && !t.Name.Contains('<', StringComparison.Ordinal))
            .Select(t => t.Name.Split('`')[0])
            .Distinct()
            .ToList();
        Assert.That(backEndTypes, Does.Contain("FileSwitchboard").And.Contain("QueueDirectoryScan").And.Contain("EntryFileReader"), "the scan knows the back end's types");
        var banned = new Regex($@"\b({string.Join('|', backEndTypes)})\b|RunnerHost\.Host\.Queues\.Files|""\.(pck|bak|psv)""");

        var offenders = new List<string>();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(root, "src", "Host"), "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "plugins"), "*.cs", SearchOption.AllDirectories)))
        {
            string relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.StartsWith("src/Host/Queues/Files/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal)
                || relative.Contains("/bin/", StringComparison.Ordinal) || Allowed.Any(a => relative.StartsWith(a, StringComparison.Ordinal)))
            {
                continue;
            }

            int line = 0;
            foreach (string text in File.ReadLines(file))
            {
                line++;
                if (!text.TrimStart().StartsWith("//", StringComparison.Ordinal) && banned.Match(text) is { Success: true } match)
                {
                    offenders.Add($"{relative}:{line}: {match.Value}");
                }
            }
        }

        Assert.That(offenders, Is.Empty, "queue storage read outside its back end");
    }

    [Test]
    public void The_scan_catches_a_reader_of_queue_files()
    {
        // The same expression as above, on a line that would read a queue directory.
        var banned = new Regex(@"\b(FileSwitchboard|QueueDirectoryScan)\b|""\.(pck|bak|psv)""");
        Assert.That(banned.IsMatch("var names = QueueDirectoryScan.Scan(dir, false, now, out _);"), Is.True);
        Assert.That(banned.IsMatch("foreach (var f in Directory.EnumerateFiles(dir, \"*\" + \".pck\"))"), Is.True);
        Assert.That(banned.IsMatch("var summary = await inspector.SummarizeAsync(name, cancellationToken);"), Is.False);
    }
}
