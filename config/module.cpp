// Build identity of the config library.
namespace ntplite { const char* config_module_name() { return "config"; } }
