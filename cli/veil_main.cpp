// veil: the command-line tool's entry point (placeholder while the foundation lands).
int main() { return 0; }
