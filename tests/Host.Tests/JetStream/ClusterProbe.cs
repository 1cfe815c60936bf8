using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RunnerHost.Hosting.Tests.Support;

namespace RunnerHost.Hosting.Tests.JetStream;

/// <summary>What a test asks the servers directly: whether a cluster can keep replicated streams yet, and which node leads a stream.</summary>
internal static class ClusterProbe
{
    /// <summary>
    /// Waits until a stream of <paramref name="replicas"/> replicas can be created: a fresh cluster needs a
    /// few seconds to elect its meta leader, and a host started before then would only wait.
    /// </summary>
    public static async Task WaitForReplicasAsync(IReadOnlyList<NatsServer> servers, int replicas)
    {
        await using var nats = Connect(servers);
        var js = new NatsJSContext(nats);
        string name = "ready_" + Guid.NewGuid().ToString("N")[..12];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await js.CreateStreamAsync(new StreamConfig(name, [name + ".>"]) { NumReplicas = replicas, Storage = StreamConfigStorage.Memory }, timeout.Token);
                await js.DeleteStreamAsync(name, timeout.Token);
                return;
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException or TimeoutException)
            {
                last = ex.Message;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"the cluster could not create a stream with {replicas} replicas within 60 s: {last}\n{string.Join("\n", servers.Select(s => s.Name + ":\n" + JetStreamInstallation.Tail(s.Log, 20)))}");
    }

    /// <summary>The node (of <paramref name="servers"/>) that leads <paramref name="stream"/> now.</summary>
    public static async Task<NatsServer> StreamLeaderAsync(IReadOnlyList<NatsServer> servers, string stream)
    {
        await using var nats = Connect(servers);
        var js = new NatsJSContext(nats);
        var info = await js.GetStreamAsync(stream);
        string leader = info.Info.Cluster?.Leader ?? throw new InvalidOperationException($"stream {stream} reports no cluster leader");
        return servers.Single(s => s.Name == leader);
    }

    private static NatsConnection Connect(IReadOnlyList<NatsServer> servers) =>
        new(NatsOpts.Default with { Url = string.Join(",", servers.Where(s => s.IsRunning).Select(s => s.Url)), RequestTimeout = TimeSpan.FromSeconds(5) });
}
