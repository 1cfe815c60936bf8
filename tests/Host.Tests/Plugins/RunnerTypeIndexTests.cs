using Microsoft.Extensions.Logging.Abstractions;
using RunnerHost.Hosting.Plugins;

namespace RunnerHost.Hosting.Tests.Plugins;

[TestFixture]
public sealed class RunnerTypeIndexTests
{
    private const string Origin = "runner.cfg:7 [runner.x] class";
    private string _temp = null!;
    private string _pluginDirectory = null!;
    private PluginCatalog _catalog = null!;
    private RunnerTypeIndex _index = null!;

    [OneTimeSetUp]
    public async Task LoadCatalogAsync()
    {
        _temp = TestDirectories.CreateTemp("index");
        _pluginDirectory = await TestPluginBuilder.CreatePluginDirectoryAsync(_temp, "EchoPlugin", "DuplicateNameA", "DuplicateNameB", "NotARunnerPlugin");
        // A broken plugin is not searched and does not count.
        Directory.CreateDirectory(Path.Combine(_pluginDirectory, "Broken"));
        _catalog = new PluginCatalog(_pluginDirectory, NullLoggerFactory.Instance);
        _index = new RunnerTypeIndex(_catalog);
    }

    [OneTimeTearDown]
    public void DisposeCatalog()
    {
        _catalog.Dispose();
        TestDirectories.DeleteQuietly(_temp);
    }

    [Test]
    public void A_full_name_resolves_to_the_plugin_type()
    {
        var type = _index.Resolve("EchoPlugin.EchoRunner", Origin);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(type, Is.SameAs(_catalog.Plugins.Single(p => p.Name == "EchoPlugin").RunnerTypes.Single()));
            Assert.That(_index.PluginOf(type).Name, Is.EqualTo("EchoPlugin"));
        }
    }

    [Test]
    public void A_short_name_defined_by_one_plugin_resolves() =>
        Assert.That(_index.Resolve("EchoRunner", Origin).FullName, Is.EqualTo("EchoPlugin.EchoRunner"));

    [Test]
    public void Full_names_tell_apart_runners_sharing_a_short_name()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_index.PluginOf(_index.Resolve("DuplicateNameA.DupRunner", Origin)).Name, Is.EqualTo("DuplicateNameA"));
            Assert.That(_index.PluginOf(_index.Resolve("DuplicateNameB.DupRunner", Origin)).Name, Is.EqualTo("DuplicateNameB"));
        }
    }

    [Test]
    public void An_ambiguous_short_name_names_both_plugins_and_full_names() =>
        AssertError(
            "DupRunner",
            $"{Origin}: runner type name 'DupRunner' is ambiguous: 'DuplicateNameA.DupRunner' in plugin 'DuplicateNameA', 'DuplicateNameB.DupRunner' in plugin 'DuplicateNameB'; use the full name");

    [Test]
    public void An_unknown_name_is_not_found() =>
        AssertError("Foo", $"{Origin}: no runner type named 'Foo' in any plugin (searched 4 plugins in {_pluginDirectory})");

    [TestCase("NotARunnerPlugin.NotARunner")]
    [TestCase("NotARunner")]
    public void A_class_not_derived_from_Runner_is_refused(string name) =>
        AssertError(name, $"{Origin}: 'NotARunnerPlugin.NotARunner' in plugin 'NotARunnerPlugin' does not derive from RunnerHost.Runner or RunnerHost.ServiceRunner");

    [Test]
    public void An_abstract_runner_is_refused() =>
        AssertError("AbstractRunner", $"{Origin}: 'NotARunnerPlugin.AbstractRunner' in plugin 'NotARunnerPlugin' is abstract");

    [Test]
    public void Without_an_origin_the_message_is_the_bare_problem() =>
        Assert.That(
            () => _index.Resolve("Foo", string.Empty),
            Throws.TypeOf<PluginException>().With.Message.EqualTo($"no runner type named 'Foo' in any plugin (searched 4 plugins in {_pluginDirectory})"));

    private void AssertError(string className, string expected) =>
        Assert.That(() => _index.Resolve(className, Origin), Throws.TypeOf<PluginException>().With.Message.EqualTo(expected));
}
