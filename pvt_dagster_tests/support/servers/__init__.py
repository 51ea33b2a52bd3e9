"""Real servers on 127.0.0.1 for tests and benchmarks, one module per server; each starts in
the foreground under Popen (or a thread), on a free port, and is stopped by its own pid."""
