using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(RunnerHost.Benchmarks.TempSwitchboard).Assembly).Run(args);
