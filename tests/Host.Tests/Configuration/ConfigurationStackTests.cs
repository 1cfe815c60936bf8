using RunnerHost.Hosting.Configuration;

namespace RunnerHost.Hosting.Tests.Configuration;

public sealed class ConfigurationStackTests
{
    private TempConfigDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempConfigDirectory();

    [TearDown]
    public void TearDown() => _dir.Delete();

    [Test]
    public void Explicit_missing_file_is_an_error()
    {
        var missing = Path.Combine(_dir.Path, "nope.cfg");

        var error = Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(missing));

        Assert.That(error!.Message, Is.EqualTo($"{missing}: configuration file not found"));
    }

    [Test]
    public void File_layer_sits_on_the_defaults_and_names_the_file()
    {
        var file = _dir.Write("[runner.master]\nclass: Test.Runner\n[runner.in]\nmax_restarts: 3\n");

        var stack = ConfigurationStack.Load(file);

        Assert.Multiple(() =>
        {
            Assert.That(stack.ConfigFile, Is.EqualTo(file));
            Assert.That(stack.LayerNames, Is.EqualTo(new List<string> { ConfigurationStack.DefaultsLayerName, ConfigurationStack.FileLayerName }));
            Assert.That(stack.Root["runner.in:max_restarts"], Is.EqualTo("3"));
            Assert.That(stack.Root["runner.master:class"], Is.EqualTo("Test.Runner"));
            Assert.That(stack.Root["runner.master:sleep_time"], Is.EqualTo("1s"));
        });
    }

    [Test]
    public void Parse_error_in_a_file_names_the_file_and_line()
    {
        var file = _dir.Write("[runner.in]\ninstances 3\n");

        var error = Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(file));

        Assert.That(error!.Message, Is.EqualTo($"{file}:2: line has no ':' or '=' delimiter: 'instances 3'"));
    }

    [Test]
    public void Parse_error_in_a_pushed_layer_names_the_layer_and_leaves_the_stack_unchanged()
    {
        var stack = ConfigurationStack.FromDefaults();

        var error = Assert.Throws<ConfigurationException>(() => stack.Push("broken", "[a]\nk: 1\nk: 2\n"));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Is.EqualTo("<layer broken>:3: duplicate key 'k' in [a] (first set on line 2)"));
            Assert.That(stack.LayerNames, Is.EqualTo(new List<string> { ConfigurationStack.DefaultsLayerName }));
        });
    }

    [Test]
    public void Later_layers_win_and_their_origins_are_reported()
    {
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("one", "[runner.master]\nclass: One\n[runner.x]\nmax_restarts: 1\n");
        stack.Push("two", "[runner.x]\n\nmax_restarts: 2\n");

        var runner = stack.Build().GetRunner("x");

        Assert.Multiple(() =>
        {
            Assert.That(stack.Root["runner.x:max_restarts"], Is.EqualTo("2"));
            Assert.That(runner.MaxRestarts, Is.EqualTo(2));
            Assert.That(runner.GetOrigin("max_restarts"), Is.EqualTo("<layer two>:3"));
            Assert.That(runner.GetOrigin("class"), Is.EqualTo("<layer one>:2"));
            Assert.That(runner.GetOrigin("sleep_time"), Is.Null, "built-in defaults have no origin");
        });
    }

    [Test]
    public void Pop_removes_the_layer_and_every_later_one()
    {
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("a", "[runner.master]\nclass: A\n[runner.a]\nstart: yes\n");
        stack.Push("b", "[runner.b]\nstart: yes\n");

        stack.Pop("a");

        Assert.Multiple(() =>
        {
            Assert.That(stack.LayerNames, Is.EqualTo(new List<string> { ConfigurationStack.DefaultsLayerName }));
            Assert.That(stack.Root["runner.a:start"], Is.Null);
            Assert.That(stack.Root["runner.b:start"], Is.Null);
            Assert.That(stack.Build().Runners.Select(r => r.Name), Is.EqualTo(new List<string> { "shunt", "bad" }));
        });
    }

    [Test]
    public void Pop_of_the_top_layer_keeps_the_lower_ones()
    {
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("a", "[runner.master]\nclass: A\n");
        stack.Push("b", "[runner.b]\nmax_restarts: 4\n");

        stack.Pop("b");

        Assert.Multiple(() =>
        {
            Assert.That(stack.Root["runner.master:class"], Is.EqualTo("A"));
            Assert.That(stack.Root["runner.b:max_restarts"], Is.Null);
        });
    }

    [Test]
    public void Pop_of_an_unknown_layer_is_an_error()
    {
        var stack = ConfigurationStack.FromDefaults();

        var error = Assert.Throws<ConfigurationException>(() => stack.Pop("ghost"));

        Assert.That(error!.Message, Is.EqualTo("No configuration layer named 'ghost'"));
    }

    [Test]
    public void Pop_of_the_defaults_is_an_error()
    {
        var stack = ConfigurationStack.FromDefaults();

        var error = Assert.Throws<ConfigurationException>(() => stack.Pop(ConfigurationStack.DefaultsLayerName));

        Assert.That(error!.Message, Is.EqualTo("Cannot pop the built-in defaults"));
    }

    [Test]
    public void Pop_of_the_file_layer_is_an_error()
    {
        var file = _dir.Write("[runner.master]\nclass: A\n");
        var stack = ConfigurationStack.Load(file);

        var error = Assert.Throws<ConfigurationException>(() => stack.Pop(ConfigurationStack.FileLayerName));

        Assert.That(error!.Message, Is.EqualTo($"Cannot pop the configuration file {file}"));
    }

    [Test]
    public void Pushing_a_taken_name_is_an_error()
    {
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("a", "[x]\nk: 1\n");

        var error = Assert.Throws<ConfigurationException>(() => stack.Push("a", "[x]\nk: 2\n"));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Is.EqualTo("A configuration layer named 'a' already exists"));
            Assert.That(stack.Root["x:k"], Is.EqualTo("1"));
        });
    }

    [Test]
    public void New_runner_section_inherits_runner_master()
    {
        var file = _dir.Write("[runner.master]\nclass: Test.EchoRunner\n");
        var stack = ConfigurationStack.Load(file);
        stack.Push("test-runner", "[runner.test]\nmax_restarts: 1\n");

        var config = stack.Build();
        var test = config.GetRunner("test");

        Assert.Multiple(() =>
        {
            Assert.That(test.QueuePath, Is.EqualTo(Path.Combine(config.Paths.QueueDir, "test")));
            Assert.That(test.Instances, Is.EqualTo(1));
            Assert.That(test.SleepTime, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(test.Start, Is.True);
            Assert.That(test.MaxRestarts, Is.EqualTo(1));
            Assert.That(test.Fsync, Is.True);
            Assert.That(test.RequeueBackoffMax, Is.EqualTo(TimeSpan.FromMinutes(15)));
            Assert.That(test.ClassName, Is.EqualTo("Test.EchoRunner"));
            Assert.That(test.GetOrigin("class"), Is.EqualTo($"{file}:2"));
        });
    }

    [Test]
    public void Runners_come_in_configuration_order_and_master_is_not_one()
    {
        var file = _dir.Write("[runner.master]\nclass: R\n[runner.zeta]\n[runner.alpha]\n[runner.bad]\nstart: yes\n");

        var config = ConfigurationStack.Load(file).Build();

        Assert.Multiple(() =>
        {
            Assert.That(config.Runners.Select(r => r.Name), Is.EqualTo(new List<string> { "shunt", "bad", "zeta", "alpha" }));
            Assert.That(config.GetRunner("BAD").Start, Is.True);
            Assert.That(config.GetRunner("shunt").Start, Is.False);
            Assert.That(config.ConfigFile, Is.EqualTo(file));
        });
    }

    [Test]
    public void Unknown_runner_lookup_names_the_file()
    {
        var file = _dir.Write("[runner.master]\nclass: R\n");
        var config = ConfigurationStack.Load(file).Build();

        var error = Assert.Throws<ConfigurationException>(() => config.GetRunner("nope"));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Is.EqualTo($"No [runner.nope] section in {file}"));
            Assert.That(config.TryGetRunner("nope", out _), Is.False);
            Assert.That(config.TryGetRunner("shunt", out var shunt) ? shunt.Name : null, Is.EqualTo("shunt"));
        });
    }

    [Test]
    public void Unknown_runner_lookup_without_a_file_says_the_configuration()
    {
        var config = ConfigurationStack.FromDefaults().Build();

        var error = Assert.Throws<ConfigurationException>(() => config.GetRunner("nope"));

        Assert.That(error!.Message, Is.EqualTo("No [runner.nope] section in the configuration"));
    }
}
