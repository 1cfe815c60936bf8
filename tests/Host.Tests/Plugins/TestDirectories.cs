namespace RunnerHost.Hosting.Tests.Plugins;

internal static class TestDirectories
{
    public static string CreateTemp(string prefix)
    {
        string path = Path.Combine(Path.GetTempPath(), $"runnerhost-{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void DeleteQuietly(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not a test failure.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
