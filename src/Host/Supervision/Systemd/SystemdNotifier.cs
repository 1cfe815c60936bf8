using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace RunnerHost.Hosting.Supervision.Systemd;

/// <summary>
/// Sends sd_notify datagrams (<c>READY=1</c>, <c>STATUS=…</c>, …) to the socket systemd names in
/// <c>NOTIFY_SOCKET</c>. A socket that is missing, refuses or is full never fails the master: the
/// first failed send logs one warning, later ones are dropped quietly (and tried again, since
/// systemd may come back after a re-exec).
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    /// <summary>The environment variable systemd sets for a <c>Type=notify</c> service.</summary>
    public const string SocketVariable = "NOTIFY_SOCKET";

    // sun_path is 108 bytes on Linux, the terminating NUL included.
    private const int MaxPathBytes = 107;

    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endpoint;
    private readonly string _name;
    private readonly ILogger _logger;
    private int _warned;

    private SystemdNotifier(Socket socket, UnixDomainSocketEndPoint endpoint, string name, ILogger logger)
    {
        _socket = socket;
        _endpoint = endpoint;
        _name = name;
        _logger = logger;
    }

    /// <summary>
    /// A notifier for <paramref name="socketName"/> (the value of <c>NOTIFY_SOCKET</c>: an absolute path,
    /// or <c>@name</c> for an abstract socket); null when it is unset, or unusable (one warning then).
    /// </summary>
    public static SystemdNotifier? Create(string? socketName, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (string.IsNullOrEmpty(socketName))
        {
            return null;
        }

        string printable = FailureText.OneLine(socketName);
        bool isAbstract = socketName[0] == '@';
        if ((!isAbstract && socketName[0] != '/') || socketName.Length < 2 || socketName.Contains('\0', StringComparison.Ordinal)
            || Encoding.UTF8.GetByteCount(socketName) > MaxPathBytes)
        {
            logger.LogWarning("{Variable} is '{Socket}', not an absolute path or @abstract name of at most {Max} bytes: not notifying systemd", SocketVariable, printable, MaxPathBytes);
            return null;
        }

        // An abstract name's leading '@' stands for the NUL byte the kernel sees.
        var endpoint = new UnixDomainSocketEndPoint(isAbstract ? "\0" + socketName[1..] : socketName);
        Socket? socket = null;
        try
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            // A full receive queue must not stall the supervisor loop: that send is dropped instead.
            socket.Blocking = false;
            return new SystemdNotifier(socket, endpoint, printable, logger);
        }
        catch (SocketException ex)
        {
            socket?.Dispose();
            logger.LogWarning("Cannot open a socket for {Variable} '{Socket}': {Error}; not notifying systemd", SocketVariable, printable, ex.Message);
            return null;
        }
    }

    /// <summary>Sends one datagram of <c>KEY=value</c> lines; false when it could not be sent.</summary>
    public bool Notify(string state)
    {
        ArgumentException.ThrowIfNullOrEmpty(state);
        try
        {
            // Unconnected: every send resolves the path again, so a re-created socket is found.
            _socket.SendTo(Encoding.UTF8.GetBytes(state), SocketFlags.None, _endpoint);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0)
            {
                _logger.LogWarning("Cannot notify systemd through {Variable} '{Socket}': {Error}; the master carries on (this warning is not repeated)", SocketVariable, _name, ex.Message);
            }

            return false;
        }
    }

    public void Dispose() => _socket.Dispose();
}
