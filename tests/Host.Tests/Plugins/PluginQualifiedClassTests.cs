using Microsoft.Extensions.Logging.Abstractions;
using RunnerHost.Hosting.Plugins;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Plugins;

/// <summary>
/// Two plugins defining the same full type name (<c>DuplicateNameA.DupRunner</c> in DuplicateNameA and
/// in DuplicateFullName): <c>class: PLUGIN:TYPE</c> names the plugin too, and the ambiguity error says so.
/// </summary>
[TestFixture]
public sealed class PluginQualifiedClassTests
{
    private const string Origin = "runner.cfg:7 [runner.x] class";
    private string _temp = null!;
    private string _plugins = null!;
    private PluginCatalog _catalog = null!;
    private RunnerTypeIndex _index = null!;

    [OneTimeSetUp]
    public async Task LoadCatalogAsync()
    {
        _temp = TestDirectories.CreateTemp("qualified");
        _plugins = await TestPluginBuilder.CreatePluginDirectoryAsync(_temp, "DuplicateNameA", "DuplicateFullName", "EchoPlugin");
        _catalog = new PluginCatalog(_plugins, NullLoggerFactory.Instance);
        _index = new RunnerTypeIndex(_catalog);
    }

    [OneTimeTearDown]
    public void DisposeCatalog()
    {
        _catalog.Dispose();
        TestDirectories.DeleteQuietly(_temp);
    }

    [Test]
    public void The_same_full_name_in_two_plugins_is_ambiguous_and_the_error_suggests_the_plugin_qualified_names() =>
        Assert.That(
            () => _index.Resolve("DuplicateNameA.DupRunner", Origin),
            Throws.TypeOf<PluginException>().With.Message.EqualTo(
                $"{Origin}: runner type name 'DuplicateNameA.DupRunner' is ambiguous: 'DuplicateNameA.DupRunner' in plugin 'DuplicateFullName', 'DuplicateNameA.DupRunner' in plugin 'DuplicateNameA'; "
                + "name the plugin too: 'class: DuplicateFullName:DuplicateNameA.DupRunner' or 'class: DuplicateNameA:DuplicateNameA.DupRunner'"));

    [TestCase("DuplicateFullName:DuplicateNameA.DupRunner", "DuplicateFullName")]
    [TestCase("DuplicateNameA:DuplicateNameA.DupRunner", "DuplicateNameA")]
    [TestCase("DuplicateFullName:DupRunner", "DuplicateFullName")]
    [TestCase(" DuplicateNameA : DupRunner ", "DuplicateNameA")]
    public void A_plugin_qualified_name_picks_that_plugins_type(string className, string plugin)
    {
        var type = _index.Resolve(className, Origin);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(type.FullName, Is.EqualTo("DuplicateNameA.DupRunner"));
            Assert.That(_index.PluginOf(type).Name, Is.EqualTo(plugin));
        }
    }

    [Test]
    public void An_unknown_plugin_is_named_with_the_plugins_there_are() =>
        Assert.That(
            () => _index.Resolve("Nope:DupRunner", Origin),
            Throws.TypeOf<PluginException>().With.Message.EqualTo(
                $"{Origin}: no plugin named 'Nope' in {_plugins} (plugins: DuplicateFullName, DuplicateNameA, EchoPlugin)"));

    [Test]
    public void A_type_the_named_plugin_lacks_is_not_searched_for_elsewhere() =>
        Assert.That(
            () => _index.Resolve("DuplicateNameA:EchoRunner", Origin),
            Throws.TypeOf<PluginException>().With.Message.EqualTo(
                $"{Origin}: plugin 'DuplicateNameA' has no runner type named 'EchoRunner' (its runner types: DuplicateNameA.DupRunner)"));

    [Test]
    public async Task The_executable_runs_a_plugin_qualified_class_and_suggests_it_when_ambiguous()
    {
        string config = Path.Combine(_temp, "runner-host.cfg");
        await File.WriteAllTextAsync(config, $"""
            [paths]
            var_dir: {Path.Combine(_temp, "var")}
            plugin_dir: {_plugins}

            [runner.fork]
            class: DuplicateFullName:DuplicateNameA.DupRunner

            [runner.ambiguous]
            class: DuplicateNameA.DupRunner
            """);

        var good = await HostProcess.RunAsync(_temp, null, "runner", "-C", config, "--runner", "fork", "--once");
        var ambiguous = await HostProcess.RunAsync(_temp, null, "runner", "-C", config, "--runner", "ambiguous", "--once");

        Assert.That(good.ExitCode, Is.Zero, good.ToString());
        Assert.That(ambiguous.ExitCode, Is.EqualTo(4), ambiguous.ToString());
        Assert.That(ambiguous.Stderr, Does.Contain("name the plugin too: 'class: DuplicateFullName:DuplicateNameA.DupRunner' or 'class: DuplicateNameA:DuplicateNameA.DupRunner'"));
    }
}
