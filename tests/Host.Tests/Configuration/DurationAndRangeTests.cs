using RunnerHost.Configuration;
using RunnerHost.Hosting.Configuration;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.Configuration;

/// <summary>Absurd durations and integers: one line naming file, line, section and key, never an exception of the runtime.</summary>
public sealed class DurationAndRangeTests
{
    private TempConfigDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempConfigDirectory();

    [TearDown]
    public void TearDown() => _dir.Delete();

    private static readonly string[] _durationKeys =
    [
        "sleep_time", "requeue_backoff", "requeue_backoff_max", "stop_timeout", "restart_backoff",
        "restart_backoff_max", "restart_window", "stable_uptime", "kill_timeout", "dispose_timeout",
    ];

    private static IEnumerable<TestCaseData> AbsurdDurations()
    {
        string tooLong = "is too long: a duration is at most 24d";
        string malformed = "is not a duration such as 1s, 0.5s, 2m or 1h30m";
        foreach (var key in _durationKeys)
        {
            yield return new TestCaseData(key, "99999999999999999w", tooLong);
        }

        yield return new TestCaseData("sleep_time", "99999999999999999999d", tooLong);
        yield return new TestCaseData("sleep_time", "1" + new string('0', 400) + "s", tooLong);
        yield return new TestCaseData("sleep_time", "25d", tooLong);
        yield return new TestCaseData("sleep_time", "3w4d", tooLong);
        yield return new TestCaseData("sleep_time", "24d1s", tooLong);
        yield return new TestCaseData("kill_timeout", "999999999999999h", tooLong);
        yield return new TestCaseData("stop_timeout", "9999999999999m", tooLong);
        yield return new TestCaseData("requeue_backoff", "-1s", malformed);
        yield return new TestCaseData("requeue_backoff", "-5m", malformed);
        yield return new TestCaseData("sleep_time", "NaNs", malformed);
        yield return new TestCaseData("sleep_time", "infs", malformed);
        yield return new TestCaseData("sleep_time", "1e308s", malformed);
        yield return new TestCaseData("sleep_time", "1..5s", malformed);
    }

    [TestCaseSource(nameof(AbsurdDurations))]
    public void An_absurd_duration_is_one_line_naming_file_line_section_and_key(string key, string value, string problem)
    {
        var file = _dir.Write($"[runner.master]\nclass: R\n[runner.in]\n# comment\n{key}: {value}\n");

        var error = Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(file).Build());

        Assert.That(error!.Message, Is.EqualTo($"{file}:5: [runner.in] {key}: '{value}' {problem}"));
    }

    private static readonly string[][] _commands =
    [
        ["queues"], ["status"], ["runner", "--runner", "in", "--once"], ["start"], ["start", "--detach"], ["inject", "-q", "shunt", "x@example.com"], ["metrics"],
    ];

    private static IEnumerable<TestCaseData> Commands() =>
        _commands.Select(c => new TestCaseData((object)c).SetArgDisplayNames(string.Join(' ', c)));

    [TestCaseSource(nameof(Commands))]
    public async Task Every_command_reports_an_absurd_duration_in_one_line_and_exits_3(string[] command)
    {
        var file = _dir.Write($"[paths]\nvar_dir: {Path.Combine(_dir.Path, "var")}\n[runner.in]\nclass: MaildirArchiveRunner\nsleep_time: 99999999999999999w\n");

        var result = await HostProcess.RunAsync(_dir.Path, null, [.. command, "-C", file]);

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.Stderr, Is.EqualTo($"Configuration error: {file}:5: [runner.in] sleep_time: '99999999999999999w' is too long: a duration is at most 24d\n"));
    }

    [Test]
    public async Task A_directory_given_with_C_says_it_is_a_directory_and_exits_3()
    {
        var result = await HostProcess.RunAsync(_dir.Path, null, "status", "-C", _dir.Path);

        Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
        Assert.That(result.Stderr, Is.EqualTo($"Configuration error: {_dir.Path}: is a directory, not a configuration file (given by -C)\n"));
    }

    [Test]
    public void An_absurd_duration_in_runner_master_names_runner_master()
    {
        var file = _dir.Write("[runner.master]\nclass: R\nrestart_window: 99999999999999999w\n");

        var error = Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(file).Build());

        Assert.That(error!.Message, Is.EqualTo($"{file}:3: [runner.master] restart_window: '99999999999999999w' is too long: a duration is at most 24d"));
    }

    [TestCase("24d", 24 * 86400.0)]
    [TestCase("3w3d", 24 * 86400.0)]
    [TestCase("0.000001s", 0.000001)]
    public void The_longest_duration_is_accepted(string text, double seconds)
    {
        var file = _dir.Write($"[runner.master]\nclass: R\n[runner.in]\nsleep_time: {text}\n");

        Assert.That(ConfigurationStack.Load(file).Build().GetRunner("in").SleepTime, Is.EqualTo(TimeSpan.FromSeconds(seconds)));
    }

    [Test]
    public void Plugin_durations_read_through_RunnerSettings_are_bounded_too()
    {
        var settings = new RunnerSettings("p", new Dictionary<string, string> { ["poll"] = "99999999999999999w", ["wait"] = "1" + new string('9', 400) + "s" }, new Dictionary<string, string> { ["poll"] = "x.cfg:9" });

        Assert.Multiple(() =>
        {
            Assert.That(() => settings.GetDuration("poll", TimeSpan.Zero), Throws.TypeOf<ConfigurationValueException>()
                .With.Message.EqualTo("x.cfg:9: [runner.p] poll: '99999999999999999w' is too long: a duration is at most 24d"));
            Assert.That(() => settings.GetDuration("wait", TimeSpan.Zero), Throws.TypeOf<ConfigurationValueException>());
            Assert.That(ConfigValue.TryParseDuration("99999999999999999w", out _), Is.False);
            Assert.That(ConfigValue.MaxDuration, Is.EqualTo(TimeSpan.FromDays(24)));
        });
    }

    [TestCase("instances: 99999999999", "'99999999999' is out of range: an integer is from -2147483648 to 2147483647")]
    [TestCase("instances: -99999999999", "'-99999999999' is out of range: an integer is from -2147483648 to 2147483647")]
    [TestCase("instances: 1024", "1024 is more than 64, the most slices a runner may have")]
    [TestCase("instances: 128", "128 is more than 64, the most slices a runner may have")]
    [TestCase("max_restarts: 99999999999", "'99999999999' is not a non-negative integer")]
    [TestCase("isolation: fork", "'fork' is not process or thread")]
    public void Integers_and_choices_are_range_checked(string line, string problem)
    {
        var file = _dir.Write($"[runner.master]\nclass: R\n[runner.in]\n{line}\n");
        string key = line[..line.IndexOf(':', StringComparison.Ordinal)];

        var error = Assert.Throws<ConfigurationException>(() => ConfigurationStack.Load(file).Build());

        Assert.That(error!.Message, Is.EqualTo($"{file}:4: [runner.in] {key}: {problem}"));
    }

    [Test]
    public void Sixty_four_instances_are_allowed()
    {
        var file = _dir.Write("[runner.master]\nclass: R\n[runner.in]\ninstances: 64\n");

        Assert.That(ConfigurationStack.Load(file).Build().GetRunner("in").Instances, Is.EqualTo(64));
    }

    [Test]
    public void A_plugin_integer_that_overflows_says_out_of_range()
    {
        var settings = new RunnerSettings("p", new Dictionary<string, string> { ["port"] = "99999999999" }, new Dictionary<string, string> { ["port"] = "x.cfg:3" });

        Assert.That(() => settings.GetInt32("port", 0), Throws.TypeOf<ConfigurationValueException>()
            .With.Message.EqualTo("x.cfg:3: [runner.p] port: '99999999999' is out of range: an integer is from -2147483648 to 2147483647"));
    }
}
