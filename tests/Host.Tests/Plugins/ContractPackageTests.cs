using System.Diagnostics;
using System.IO.Compression;

namespace RunnerHost.Host.Tests.Plugins;

/// <summary>
/// The contract package as authors get it: <c>dotnet pack</c> validates it against the baseline of its
/// major version (package validation, src/Abstractions/PackageBaseline), so a breaking change to the
/// contract fails the build instead of reaching plugins.
/// </summary>
public sealed class ContractPackageTests
{
    [Test]
    public async Task The_contract_packs_and_validates_against_its_baseline()
    {
        string repo = TestPluginBuilder.RepoRoot();
        string output = TestDirectories.CreateTemp("contract-pack");
        try
        {
            var start = new ProcessStartInfo("dotnet", ["pack", Path.Combine(repo, "src", "Abstractions", "Abstractions.csproj"), "-c", "Release", "-o", output, "--disable-build-servers", "-nologo"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string variable in new[] { "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
            {
                start.Environment.Remove(variable);
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            string log = await stdout + await stderr;

            Assert.That(process.ExitCode, Is.Zero, log);
            string package = Directory.GetFiles(output, "RunnerHost.Abstractions.*.nupkg").Single();
            using var zip = ZipFile.OpenRead(package);
            Assert.That(zip.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/RunnerHost.Abstractions.dll").And.Contain("README.md"));
            string baseline = Path.Combine(repo, "src", "Abstractions", "PackageBaseline");
            Assert.That(Directory.GetFiles(baseline, "*.nupkg").Select(Path.GetFileName), Has.Some.StartsWith($"RunnerHost.Abstractions.{typeof(Runner).Assembly.GetName().Version!.Major}."), "the baseline is of the current major version");
        }
        finally
        {
            TestDirectories.DeleteQuietly(output);
        }
    }
}
