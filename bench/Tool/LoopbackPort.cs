using System.Net;
using System.Net.Sockets;

namespace RunnerHost.Bench;

/// <summary>A TCP port on loopback that was free a moment ago, for throw-away servers of a benchmark.</summary>
internal static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
