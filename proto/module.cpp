// Build identity of the proto library.
namespace ntplite {
// Keeps the library non-empty while the module grows.
const char* proto_module_name() { return "proto"; } }
