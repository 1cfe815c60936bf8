namespace MimeKit;

/// <summary>A member the host's MimeKit does not have.</summary>
public static class FutureFeature
{
    public static string Name => "future";
}
