"""Operating the assistant: set-up scripts, the process supervisor and benchmarks."""
