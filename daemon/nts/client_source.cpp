#include "daemon/nts/client_source.hpp"

#include <spdlog/spdlog.h>

#include <map>

namespace ntplite::daemon::nts {

ClientSource::ClientSource(asio::io_context& io, std::shared_ptr<ssl::context> tls,
                           const asio::ip::address& address, uint16_t ke_port,
                           uint16_t default_ntp_port, std::string name,
                           std::function<void()> on_keyed)
    : address_(address),
      default_ntp_port_(default_ntp_port),
      name_(std::move(name)),
      on_keyed_(std::move(on_keyed)),
      ntp_endpoint_(address, default_ntp_port),
      keying_(
          io, std::move(tls), asio::ip::tcp::endpoint(address, ke_port), name_,
          [this](std::unique_ptr<KeResult> r) { keyed(std::move(r)); },
          [this](const KeError& e) { shared_->record_ke_failure(e.kind, e.detail); }) {}

void ClientSource::poll() {
    if (!shared_->rekey_wanted) return;
    if (shared_->ke_state != "failed") shared_->ke_state = "connecting";
    keying_.request();
}

void ClientSource::keyed(std::unique_ptr<KeResult> r) {
    asio::ip::address ntp_address = address_;
    const auto server = r->response.server_name();
    if (!server.empty() && server != name_) {
        boost::system::error_code ec;
        const auto literal = asio::ip::make_address(std::string(server), ec);
        if (!ec)
            ntp_address = literal;
        else
            spdlog::warn(
                "nts: {} names NTP server \"{}\"; host names are not resolved here, "
                "using {}",
                name_, server, address_.to_string());
    }
    ntp_endpoint_ = {ntp_address, r->response.port.value_or(default_ntp_port_)};
    shared_->install(r->keys, r->response);
    spdlog::info("nts: key exchange with {}: {} cookies, AEAD {}, NTP at {}:{}", name_,
                 r->response.cookie_count, r->response.aead, ntp_endpoint_.address().to_string(),
                 ntp_endpoint_.port());
    if (on_keyed_) on_keyed_();
}

namespace {
std::map<std::string, std::shared_ptr<ssl::context>> g_client_contexts;  // engine thread only
}  // namespace

void forget_client_contexts() {
    g_client_contexts.clear();
}

std::expected<std::shared_ptr<ssl::context>, std::string> client_context_for(
    const std::string& trusted_ca) {
    auto& made = g_client_contexts;
    if (auto it = made.find(trusted_ca); it != made.end()) return it->second;
    auto ctx = make_client_context(trusted_ca);
    if (!ctx) return std::unexpected(ctx.error());
    std::shared_ptr<ssl::context> shared(std::move(*ctx));
    made.emplace(trusted_ca, shared);
    return shared;
}

}  // namespace ntplite::daemon::nts
