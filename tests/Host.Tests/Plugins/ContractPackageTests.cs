using System.IO.Compression;

namespace RunnerHost.Hosting.Tests.Plugins;

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
            await Support.DotnetCli.RunAsync(repo, ["pack", Path.Combine(repo, "src", "Abstractions", "Abstractions.csproj"), "-c", "Release", "-o", output]);

            string package = Directory.GetFiles(output, "RunnerHost.Abstractions.*.nupkg").Single(f => !f.EndsWith(".snupkg", StringComparison.Ordinal));
            using var zip = ZipFile.OpenRead(package);
            Assert.That(zip.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/RunnerHost.Abstractions.dll").And.Contain("lib/net10.0/RunnerHost.Abstractions.xml").And.Contain("README.md"));
            using (var reader = new StreamReader(zip.GetEntry("RunnerHost.Abstractions.nuspec")!.Open()))
            {
                string nuspec = await reader.ReadToEndAsync();
                Assert.That(nuspec, Does.Contain("<license type=\"expression\">MIT</license>").And.Contain("<readme>README.md</readme>").And.Contain("<authors>RunnerHost developers</authors>"));
            }

            string symbols = Directory.GetFiles(output, "RunnerHost.Abstractions.*.snupkg").Single();
            using (var symbolZip = ZipFile.OpenRead(symbols))
            {
                Assert.That(symbolZip.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/RunnerHost.Abstractions.pdb"), "a symbols package beside it");
            }

            string baseline = Path.Combine(repo, "src", "Abstractions", "PackageBaseline");
            Assert.That(Directory.GetFiles(baseline, "*.nupkg").Select(Path.GetFileName), Has.Some.StartsWith($"RunnerHost.Abstractions.{typeof(Runner).Assembly.GetName().Version!.Major}."), "the baseline is of the current major version");
        }
        finally
        {
            TestDirectories.DeleteQuietly(output);
        }
    }
}
