using RunnerHost.Configuration;
using RunnerHost.Hosting.Configuration;

namespace RunnerHost.Hosting.Tests.Configuration;

public sealed class ValidationTests
{
    private TempConfigDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempConfigDirectory();

    [TearDown]
    public void TearDown() => _dir.Delete();

    private string BuildError(string text, out string file)
    {
        file = _dir.Write("[runner.master]\nclass: R\n[runner.in]\n" + text);
        var stack = ConfigurationStack.Load(file);
        return Assert.Throws<ConfigurationException>(() => stack.Build())!.Message;
    }

    [TestCase("instances: 3", "3 is not a power of two (1, 2, 4, 8, ...)")]
    [TestCase("instances: 0", "0 is not a power of two (1, 2, 4, 8, ...)")]
    [TestCase("instances: -2", "-2 is not a power of two (1, 2, 4, 8, ...)")]
    [TestCase("instances: two", "'two' is not an integer")]
    [TestCase("sleep_time: 0", "'0' is not a duration such as 1s, 0.5s, 2m or 1h30m")]
    [TestCase("requeue_backoff: 5x", "'5x' is not a duration such as 1s, 0.5s, 2m or 1h30m")]
    [TestCase("requeue_backoff_max: 30m1h", "'30m1h' is not a duration such as 1s, 0.5s, 2m or 1h30m")]
    [TestCase("start: maybe", "'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)")]
    [TestCase("fsync: 2", "'2' is not a boolean (yes/no, true/false, on/off, 1/0)")]
    [TestCase("max_restarts: -1", "'-1' is not a non-negative integer")]
    [TestCase("max_restarts: many", "'many' is not a non-negative integer")]
    public void Bad_runner_value_is_reported_with_file_line_section_and_key(string line, string problem)
    {
        var message = BuildError("# comment\n" + line + "\n", out var file);
        var key = line[..line.IndexOf(':', StringComparison.Ordinal)];

        Assert.That(message, Is.EqualTo($"{file}:5: [runner.in] {key}: {problem}"));
    }

    [Test]
    public void Bad_value_in_runner_master_names_runner_master()
    {
        var file = _dir.Write("[runner.master]\nclass: R\ninstances: 6\n");

        var error = Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(file).Build());

        Assert.That(error!.Message, Is.EqualTo($"{file}:3: [runner.master] instances: 6 is not a power of two (1, 2, 4, 8, ...)"));
    }

    [Test]
    public void A_runner_section_without_class_is_valid_configuration()
    {
        // As in Mailman's seed document: the class is checked when the runner is created, not when the file is read.
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("nocls", "[runner.x]\nmax_restarts: 1\n");

        var runner = stack.Build().GetRunner("x");

        Assert.That(runner.ClassName, Is.Empty);
        Assert.That(runner.MaxRestarts, Is.EqualTo(1));
    }

    [Test]
    public void Stopped_runner_needs_no_class()
    {
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("off", "[runner.x]\nstart: off\n");

        Assert.That(stack.Build().GetRunner("x").Start, Is.False);
    }

    [Test]
    public void Powers_of_two_are_accepted()
    {
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("ok", "[runner.master]\nclass: R\n[runner.a]\ninstances: 8\n[runner.b]\ninstances: 1\n");

        var config = stack.Build();

        Assert.Multiple(() =>
        {
            Assert.That(config.GetRunner("a").Instances, Is.EqualTo(8));
            Assert.That(config.GetRunner("b").Instances, Is.EqualTo(1));
        });
    }

    [TestCase("0s", 0.0)]
    [TestCase("0.5s", 0.5)]
    [TestCase("2m", 120.0)]
    [TestCase("1h30m", 5400.0)]
    [TestCase("1w", 604800.0)]
    public void Valid_durations_are_accepted(string text, double seconds)
    {
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("d", $"[runner.master]\nclass: R\n[runner.d]\nsleep_time: {text}\n");

        Assert.That(stack.Build().GetRunner("d").SleepTime, Is.EqualTo(TimeSpan.FromSeconds(seconds)));
    }

    [TestCase("On", true)]
    [TestCase("enabled", true)]
    [TestCase("TRUE", true)]
    [TestCase("disable", false)]
    [TestCase("0", false)]
    public void Boolean_spellings_are_accepted(string text, bool expected)
    {
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("b", $"[runner.master]\nclass: R\n[runner.b]\nfsync: {text}\n");

        Assert.That(stack.Build().GetRunner("b").Fsync, Is.EqualTo(expected));
    }

    [Test]
    public void Plugin_specific_runner_keys_are_kept()
    {
        var stack = ConfigurationStack.FromDefaults();
        stack.Push("p", "[runner.master]\nclass: R\n[runner.p]\ngreeting: hello\n");

        var runner = stack.Build().GetRunner("p");

        Assert.Multiple(() =>
        {
            Assert.That(runner.GetString("greeting"), Is.EqualTo("hello"));
            Assert.That(runner.GetOrigin("greeting"), Is.EqualTo("<layer p>:4"));
            Assert.That(() => runner.GetInt32("greeting", 0), Throws.TypeOf<ConfigurationValueException>()
                .With.Message.EqualTo("<layer p>:4: [runner.p] greeting: 'hello' is not an integer"));
        });
    }
}
