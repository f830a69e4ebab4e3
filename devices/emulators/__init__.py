"""Device emulators on pseudo-terminals, for tests, benchmarks and the demo."""
