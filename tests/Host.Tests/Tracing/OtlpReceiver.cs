using System.Collections.Concurrent;
using System.Net;

namespace RunnerHost.Hosting.Tests.Tracing;

/// <summary>An OTLP/HTTP trace receiver of the test's own: POST /v1/traces with application/x-protobuf on a free 127.0.0.1 port.</summary>
internal sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly Task _accepting;
    private int _requests;

    public OtlpReceiver()
    {
        Port = MailFlow.FlowHost.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public int Requests => Volatile.Read(ref _requests);

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    /// <summary>Requests that were not an OTLP/HTTP protobuf trace export.</summary>
    public ConcurrentQueue<string> Rejected { get; } = new();

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Interlocked.Increment(ref _requests);
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var request = context.Request;
            if (request.HttpMethod != "POST" || request.Url?.AbsolutePath != "/v1/traces" || request.ContentType?.StartsWith("application/x-protobuf", StringComparison.Ordinal) != true)
            {
                Rejected.Enqueue($"{request.HttpMethod} {request.Url?.AbsolutePath} {request.ContentType}");
                context.Response.StatusCode = 404;
            }
            else
            {
                foreach (var span in ReceivedSpan.Decode(body.ToArray()))
                {
                    _spans.Enqueue(span);
                }

                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
            }

            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Close();
        _accepting.Wait(TimeSpan.FromSeconds(5));
    }
}
