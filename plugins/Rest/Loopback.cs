using System.Net;

namespace RunnerHost.Plugins.Rest;

/// <summary>Whether an address is this machine's loopback (127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6).</summary>
internal static class Loopback
{
    public static bool Is(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
