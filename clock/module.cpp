// Build identity of the clock library.
namespace ntplite { const char* clock_module_name() { return "clock"; } }
