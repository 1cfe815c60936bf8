namespace RunnerHost.Hosting.Tests.Support;

/// <summary>
/// One nats-server for the tests that only need a server (each under its own stream prefix): started on
/// first use, stopped when the test run ends (<see cref="SharedNatsServerTeardown"/>).
/// </summary>
internal static class SharedNatsServer
{
    private static readonly Lazy<NatsServer> Server = new(() => NatsServer.StartAsync().GetAwaiter().GetResult(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static NatsServer Get() => Server.Value;

    public static async Task StopAsync()
    {
        if (Server.IsValueCreated)
        {
            await Server.Value.DisposeAsync();
        }
    }
}

