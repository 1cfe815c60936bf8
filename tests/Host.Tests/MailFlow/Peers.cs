using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>Runs clients that are not ours (swaks, Python's smtplib, curl) and a raw socket client.</summary>
internal static class Peers
{
    public static Task<(int ExitCode, string Output)> SwaksAsync(params string[] arguments) => RunAsync("swaks", null, arguments);

    public static Task<(int ExitCode, string Output)> CurlAsync(params string[] arguments) => RunAsync("curl", null, arguments);

    /// <summary>Runs a Python script (the port is sys.argv[1]); returns its exit code and stdout + stderr.</summary>
    public static Task<(int ExitCode, string Output)> PythonAsync(string script, int port) =>
        RunAsync("python3", script, ["-", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string? stdin, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not exit within 30 s:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>A raw LMTP connection for the things real clients will not send (garbage, bad sequences).</summary>
internal sealed class RawLmtp : IAsyncDisposable
{
    private readonly TcpClient _client = new();
    private StreamReader? _reader;
    private NetworkStream? _stream;

    public static async Task<RawLmtp> ConnectAsync(int port)
    {
        var raw = new RawLmtp();
        await raw._client.ConnectAsync(IPAddress.Loopback, port);
        raw._stream = raw._client.GetStream();
        raw._reader = new StreamReader(raw._stream, Encoding.Latin1);
        return raw;
    }

    public async Task SendAsync(string text) => await _stream!.WriteAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes) => await _stream!.WriteAsync(bytes);

    /// <summary>Reads one reply (all its lines); null when the server closed the connection.</summary>
    public Task<string?> ReadReplyAsync() => ReadReplyAsync(TimeSpan.FromSeconds(10));

    /// <summary>Reads one reply, waiting at most <paramref name="wait"/>; null when the server closed the connection.</summary>
    public async Task<string?> ReadReplyAsync(TimeSpan wait)
    {
        var lines = new StringBuilder();
        using var timeout = new CancellationTokenSource(wait);
        while (true)
        {
            string? line = await _reader!.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                return lines.Length == 0 ? null : lines.ToString();
            }

            lines.Append(line).Append('\n');
            if (line.Length < 4 || line[3] != '-')
            {
                return lines.ToString().TrimEnd('\n');
            }
        }
    }

    public async Task<string?> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        _client.Dispose();
        await Task.CompletedTask;
    }
}
