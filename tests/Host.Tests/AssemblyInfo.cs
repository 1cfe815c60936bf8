// Tests that share files or processes are grouped per fixture; fixtures run in parallel.
[assembly: Parallelizable(ParallelScope.Fixtures)]
