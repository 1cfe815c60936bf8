using System.Globalization;

namespace RunnerHost.Hosting.Supervision;

/// <summary>One slice of one runner: <c>in:0:2</c>.</summary>
public sealed record SliceId(string Runner, int Slice, int Count)
{
    /// <summary>The <c>--runner</c> spec of the child process.</summary>
    public string Spec => string.Create(CultureInfo.InvariantCulture, $"{Runner}:{Slice}:{Count}");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Runner}:{Slice}/{Count}");
}
