using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace RunnerHost.Hosting.Tests.Rest;

/// <summary>
/// An HTTP client whose connections come from one of this machine's non-loopback addresses, to a
/// server that still listens on 127.0.0.1 only: to the server the peer is "remote" (not loopback),
/// without any test binding a server beyond loopback. Linux routes such a connection through lo.
/// </summary>
internal static class RemotePeer
{
    /// <summary>A non-loopback IPv4 address of this machine from which 127.0.0.1 can be reached, or null.</summary>
    public static IPAddress? FindSourceAddress(int port)
    {
        var candidates = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        foreach (var address in candidates)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(address, 0));
                socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
                return address;
            }
            catch (SocketException)
            {
                // This address cannot reach loopback; try the next one.
            }
        }

        return null;
    }

    /// <summary>A client for <c>http://127.0.0.1:PORT</c> whose every connection is bound to <paramref name="source"/>.</summary>
    public static HttpClient Client(IPAddress source, int port)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }
}
