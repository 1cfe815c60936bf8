namespace RunnerHost.Hosting.Tests;

/// <summary>Stops the shared nats-server after every test of the assembly ran (a set-up fixture in the root namespace covers them all).</summary>
[SetUpFixture]
public sealed class SharedNatsServerTeardown
{
    [OneTimeTearDown]
    public Task StopAsync() => Support.SharedNatsServer.StopAsync();
}
