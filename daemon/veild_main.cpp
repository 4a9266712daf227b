// veild: the Veil daemon's entry point (placeholder while the foundation lands).
int main() { return 0; }
