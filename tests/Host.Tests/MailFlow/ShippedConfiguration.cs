namespace RunnerHost.Hosting.Tests.MailFlow;

/// <summary>The shipped configuration, adapted to a test's directory and ports.</summary>
internal static class ShippedConfiguration
{
    /// <summary>The shipped config/runner-host.cfg with a test's var dir, ports and a short retry backoff.</summary>
    public static string For(string root, int lmtpPort, int restPort, int smtpPort)
    {
        string shipped = File.ReadAllText(Path.Combine(RepositoryRoot(), "config", "runner-host.cfg"));
        string text = shipped
            .Replace("var_dir: var", $"var_dir: {Path.Combine(root, "var")}", StringComparison.Ordinal)
            .Replace("lmtp_port: 8024", $"lmtp_port: {lmtpPort}", StringComparison.Ordinal)
            .Replace("rest_port: 8001", $"rest_port: {restPort}", StringComparison.Ordinal)
            .Replace("smtp_host: localhost", "smtp_host: 127.0.0.1", StringComparison.Ordinal)
            .Replace("smtp_port: 25", $"smtp_port: {smtpPort}\nsmtp_timeout: 10s", StringComparison.Ordinal)
            .Replace("retry_backoff: 5m", "retry_backoff: 1s", StringComparison.Ordinal)
            .Replace("retry_backoff_max: 1h", "retry_backoff_max: 2s", StringComparison.Ordinal);
        Assert.That(text, Does.Contain($"lmtp_port: {lmtpPort}").And.Contain($"rest_port: {restPort}").And.Contain($"smtp_port: {smtpPort}"), "the shipped configuration changed shape");
        return text;
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "RunnerHost.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("RunnerHost.sln not found above " + AppContext.BaseDirectory);
    }
}
