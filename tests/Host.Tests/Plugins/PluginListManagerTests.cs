using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>A plugin replaces the host's list manager through <c>[lists] manager</c>.</summary>
public sealed class PluginListManagerTests
{
    private string _root = null!;
    private string _config = null!;

    [SetUp]
    public async Task SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "runnerhost-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        string plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(_root, "ListsPlugin");
        TestPluginBuilder.CopyOver(Path.Combine(AppContext.BaseDirectory, "plugins", "Archive"), Path.Combine(plugins, "Archive"));
        _config = Path.Combine(_root, "runner-host.cfg");
        await File.WriteAllTextAsync(_config, $"""
            [paths]
            var_dir: {Path.Combine(_root, "var")}
            plugin_dir: {plugins}

            [lists]
            manager: ExtraListsManager
            extra: news@example.com
            members: reader@example.com

            [list.test]
            posting_address: test@example.com

            [runner.archive]
            class: MaildirArchiveRunner
            maildir: $archive_dir
            """);
    }

    [TearDown]
    public void TearDown() => TestDirectories.DeleteQuietly(_root);

    [Test]
    public async Task Lists_of_the_plugin_and_of_the_configuration_are_both_found_by_inject_and_runners()
    {
        foreach (string list in new[] { "news@example.com", "test.example.com" })
        {
            var injected = await HostProcess.RunAsync(_root, "From: anne@example.com\nSubject: hi\n\nHi.\n", "inject", "-C", _config, "-q", "archive", list);
            Assert.That(injected.ExitCode, Is.Zero, injected.ToString());
        }

        var result = await HostProcess.RunAsync(_root, null, "runner", "-C", _config, "--runner", "archive", "--once");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        string archives = Path.Combine(_root, "var", "archives");
        Assert.That(Directory.GetFiles(Path.Combine(archives, "news.example.com", "new")), Has.Length.EqualTo(1), "a list only the plugin knows");
        Assert.That(Directory.GetFiles(Path.Combine(archives, "test.example.com", "new")), Has.Length.EqualTo(1), "a configured list, through the plugin's decoration");
        string shunt = Path.Combine(_root, "var", "queue", "shunt");
        Assert.That(Directory.Exists(shunt) ? Directory.GetFiles(shunt) : [], Is.Empty, "nothing shunted for a missing list");
    }

    [Test]
    public async Task An_unknown_list_manager_class_is_one_line_naming_file_and_line()
    {
        await File.WriteAllTextAsync(_config, (await File.ReadAllTextAsync(_config)).Replace("manager: ExtraListsManager", "manager: NoSuchManager", StringComparison.Ordinal));

        var result = await HostProcess.RunAsync(_root, "Subject: x\n\nx\n", "inject", "-C", _config, "test@example.com");

        Assert.That(result.ExitCode, Is.EqualTo(4), result.ToString());
        var errors = result.Stderr.Split('\n').Where(l => l.StartsWith("Runner error:", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Is.EqualTo(new[] { $"Runner error: {_config}:6: [lists] manager: no list manager type named 'NoSuchManager' in any plugin in {Path.Combine(_root, "plugins")}" }));
    }
}
