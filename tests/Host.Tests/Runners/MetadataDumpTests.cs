using RunnerHost.Hosting.Messages;
using RunnerHost.Messages;

namespace RunnerHost.Hosting.Tests.Runners;

public sealed class MetadataDumpTests
{
    [Test]
    public void Empty_metadata_dumps_as_Empty() =>
        Assert.That(MetadataDump.Format(new MessageData()), Is.EqualTo("*Empty*\n"));

    [Test]
    public void Received_time_and_named_keys_are_hidden()
    {
        var data = new MessageData { ["received_time"] = 12.5, ["secret"] = "x", ["a"] = 1 };
        Assert.That(MetadataDump.Format(data, "secret"), Is.EqualTo("a: 1\n"));
    }

    [Test]
    public void Keys_sort_ordinally_and_values_render_like_python()
    {
        var data = new MessageData { ["b"] = true, ["B"] = null, ["_x"] = false, ["long_key"] = 2.0 };
        Assert.That(MetadataDump.Format(data), Is.EqualTo("B       : None\n_x      : False\nb       : True\nlong_key: 2.0\n"));
    }
}
