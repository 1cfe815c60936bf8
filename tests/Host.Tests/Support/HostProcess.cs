using System.Diagnostics;

namespace RunnerHost.Hosting.Tests.Support;

/// <summary>Runs the real <c>runner-host</c> executable (built next to the tests) as a child process.</summary>
internal static class HostProcess
{
    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "runner-host.dll");

    /// <summary>runner-host-bench.dll in bench/Tool's output (the build records its path in this assembly).</summary>
    public static string BenchToolDll =>
        typeof(HostProcess).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "BenchToolDll")?.Value is { Length: > 0 } path
            ? path
            : throw new InvalidOperationException("the build did not record where runner-host-bench.dll is (tests/Host.Tests.csproj)");

    public static Task<ProcessResult> RunAsync(string workingDirectory, string? stdin, params string[] arguments) =>
        RunDllAsync(HostDll, workingDirectory, stdin, arguments);

    /// <summary>As <see cref="RunAsync"/>, for another executable assembly of the repository (e.g. <see cref="BenchToolDll"/>).</summary>
    public static async Task<ProcessResult> RunDllAsync(string dll, string workingDirectory, string? stdin, params string[] arguments)
    {
        var start = StartInfo(dll, workingDirectory, arguments);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dll}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileNameWithoutExtension(dll)} {string.Join(' ', arguments)} did not exit within 60 s");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running runner-host whose stderr is collected as it arrives.</summary>
    public static RunningHost Start(string workingDirectory, params string[] arguments) =>
        new(Process.Start(StartInfo(HostDll, workingDirectory, arguments)) ?? throw new InvalidOperationException("could not start runner-host"));

    /// <summary>As <see cref="Start(string, string[])"/>, with environment variables set (a null value removes one).</summary>
    public static RunningHost Start(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var start = StartInfo(HostDll, workingDirectory, arguments);
        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return new(Process.Start(start) ?? throw new InvalidOperationException("could not start runner-host"));
    }

    private static ProcessStartInfo StartInfo(string dll, string workingDirectory, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The tests choose their configuration explicitly.
        start.Environment.Remove("RUNNER_HOST_CONFIG");
        start.Environment.Remove("RUNNER_HOST_VAR_DIR");
        return start;
    }
}

/// <summary>A runner-host process started by a test; killed on dispose if still running.</summary>
internal sealed partial class RunningHost : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _stderr = new();

    public RunningHost(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.Append(e.Data).Append('\n');
                }
            }
        };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        _process.StandardInput.Close();
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public async Task WaitForStderrAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Stderr.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                throw new TimeoutException($"'{text}' did not appear on stderr:\n{Stderr}");
            }

            await Task.Delay(50);
        }
    }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed");
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
