using RunnerHost.Testing;

namespace MyRunner.Tests;

public sealed class MyRunnerRunnerTests
{
    private const string Section = """
        [runner.myrunner]
        class: MyRunner.MyRunnerRunner
        output: $var_dir/myrunner
        """;

    [Test]
    public async Task A_message_becomes_one_line_of_the_slices_file()
    {
        await using var host = new RunnerTestHost(Section);
        await host.EnqueueAsync("myrunner", "From: anne@example.com\nTo: test@example.com\nSubject: Hello\n\nHi.\n");

        var pass = await host.RunOnceAsync<MyRunnerRunner>("myrunner");

        Assert.That(pass.Processed, Is.EqualTo(1), pass.ToString());
        Assert.That(await File.ReadAllTextAsync(Path.Combine(host.VarDirectory, "myrunner-0.txt")), Is.EqualTo("test.example.com: Hello\n"));
        Assert.That(await host.ReadQueueAsync("shunt"), Is.Empty);
    }

    [Test]
    public async Task A_message_for_an_unknown_list_is_shunted_not_lost()
    {
        await using var host = new RunnerTestHost(Section);
        await host.EnqueueAsync("myrunner", "Subject: Hello\n\nHi.\n", new RunnerHost.Messages.MessageData { ["listid"] = "nope.example.com" });

        var pass = await host.RunOnceAsync<MyRunnerRunner>("myrunner");

        Assert.That(pass.Shunted, Is.EqualTo(1), pass.ToString());
        Assert.That((await host.ReadQueueAsync("shunt")).Single().Message.Subject, Is.EqualTo("Hello"));
    }
}
