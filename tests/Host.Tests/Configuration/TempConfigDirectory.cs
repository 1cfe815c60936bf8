namespace RunnerHost.Hosting.Tests.Configuration;

/// <summary>A throw-away directory for configuration files; the fixture deletes it in TearDown.</summary>
internal sealed class TempConfigDirectory
{
    public TempConfigDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "runner-host-config-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string text, string fileName = "runner-host.cfg")
    {
        var file = System.IO.Path.Combine(Path, fileName);
        File.WriteAllText(file, text);
        return file;
    }

    public void Delete()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
