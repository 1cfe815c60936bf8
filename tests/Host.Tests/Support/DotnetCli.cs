using System.Diagnostics;

namespace RunnerHost.Hosting.Tests.Support;

/// <summary>Runs the dotnet CLI from a test, as an author or operator would in a shell.</summary>
internal static class DotnetCli
{
    /// <summary>
    /// Runs <c>dotnet ARGUMENTS</c> in <paramref name="workingDirectory"/> and returns its output; a
    /// non-zero exit fails with the whole output. Build commands (<paramref name="build"/>) get no
    /// compiler or MSBuild server that would outlive them and hold the test run's pipes open.
    /// </summary>
    public static async Task<string> RunAsync(string workingDirectory, IEnumerable<string> arguments, bool build = true)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var list = arguments.ToList();
        foreach (string argument in list)
        {
            start.ArgumentList.Add(argument);
        }

        if (build)
        {
            start.ArgumentList.Add("--disable-build-servers");
            start.ArgumentList.Add("-nologo");
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // Set by the dotnet test process for its own MSBuild; the child dotnet sets its own.
        foreach (string variable in new[] { "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        string stdout = await output.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"dotnet {string.Join(' ', list)} failed with exit code {process.ExitCode}:\n{stdout}\n{await errors.ConfigureAwait(false)}");
        }

        return stdout;
    }
}
