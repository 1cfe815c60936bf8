namespace RunnerHost.Hosting.Tests;

/// <summary>Deletes the test plugins' build output after every test of the assembly ran (a set-up fixture in the root namespace covers them all).</summary>
[SetUpFixture]
public sealed class TestPluginsTeardown
{
    [OneTimeTearDown]
    public void Delete() => Plugins.TestPluginBuilder.DeleteBuildOutput();
}
