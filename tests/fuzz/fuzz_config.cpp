// libFuzzer target for the config reader: TOML (toml++ 3.3) + validation, and the address
// parsers on their own. Properties: never crashes, never UB (toml++ included); errors are
// bounded text; an accepted config respects every documented limit; the parsers agree with
// their own output (to_string -> parse gives the same value).
// fuzz-sources: config/config.cpp config/net.cpp config/text.cpp
// fuzz-flags: -DTOML_HEADER_ONLY=1
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.hpp"
#include "config/net.hpp"

using namespace ntplite::config;

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

void check_addresses(std::string_view text) {
    if (auto p = parse_cidr(text)) {
        auto again = parse_cidr(p->to_string());
        require(again && *again == *p);
        require(p->contains(p->network));
    } else {
        require(p.error().size() < 512);
    }
    if (auto l = parse_listen(text)) {
        auto again = parse_listen(l->to_string());
        require(again && again->kind == l->kind && again->port == l->port);
    } else {
        require(l.error().size() < 512);
    }
    if (auto h = parse_host_port(text)) {
        require(!h->host.empty() && h->port != 0);
        require(h->host.find('\0') == std::string::npos);
    } else {
        require(h.error().size() < 512);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // The first line on its own through the address parsers (short inputs reach them fast).
    check_addresses(text.substr(0, text.find('\n')));
    auto cfg = parse_config(text, "fuzz.toml");
    if (!cfg) {
        require(!cfg.error().empty());
        for (const auto& e : cfg.error()) require(e.message.size() < 1024);
        return 0;
    }
    require(cfg->servers.size() <= kMaxServers && cfg->sources.size() <= kMaxSources);
    require(cfg->access.allow.size() <= kMaxPrefixesPerList);
    for (const auto& s : cfg->sources) require(s.minpoll_log2 <= s.maxpoll_log2);
    if (cfg->local.stratum) require(*cfg->local.stratum >= 1 && *cfg->local.stratum <= 15);
    return 0;
}
