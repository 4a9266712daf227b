// Placeholder translation unit until the daemon library has sources.
