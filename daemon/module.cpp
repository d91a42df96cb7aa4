// Build identity of the daemon library.
namespace ntplite { const char* daemon_module_name() { return "daemon"; } }
