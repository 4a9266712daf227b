// Placeholder translation unit until the cli library has sources.
