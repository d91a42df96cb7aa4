#include "daemon/nts/server_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>

namespace ntplite::daemon::nts {
namespace {

asio::ip::tcp::endpoint to_endpoint(const config::ListenSpec& l) {
    const auto& a = l.address;
    if (a.is_v4()) {
        const auto v4 = a.v4();
        asio::ip::address_v4::bytes_type b;
        std::copy_n(v4.begin(), 4, b.begin());
        return {asio::ip::address_v4(b), l.port};
    }
    asio::ip::address_v6::bytes_type b;
    std::copy_n(a.bytes.begin(), 16, b.begin());
    return {asio::ip::address_v6(b), l.port};
}

}  // namespace

ServerService::ServerService(asio::io_context& engine_io, const config::NtsConfig& cfg,
                             uint16_t ntp_port)
    : io_(engine_io), cfg_(cfg), server_ntp_port_(ntp_port), rotation_timer_(engine_io) {
    key_file_ = cfg_.key_file;
    if (key_file_.empty()) {
        // systemd's StateDirectory= (the unit sets it); elsewhere the keys stay in memory.
        if (const char* dir = std::getenv("STATE_DIRECTORY"); dir && *dir == '/')
            key_file_ = std::string(dir) + "/nts-keys";
    }
    KeServerSettings s;
    s.certificate = cfg_.certificate;
    s.private_key = cfg_.private_key;
    for (const auto& l : cfg_.ke_listen) s.listen.push_back(to_endpoint(l));
    if (s.listen.empty()) {
        s.listen.push_back({asio::ip::address_v4::any(), 4460});
        s.listen.push_back({asio::ip::address_v6::any(), 4460});
    }
    s.ntp_server = cfg_.ntp_server;
    s.ntp_port = advertised_port(cfg_);
    ke_ = std::make_unique<KeServer>(std::move(s), publisher_);
}

std::optional<uint16_t> ServerService::advertised_port(const config::NtsConfig& cfg) const {
    if (cfg.ntp_port) return cfg.ntp_port;
    if (server_ntp_port_ != 0 && server_ntp_port_ != 123) return server_ntp_port_;
    return std::nullopt;
}

void ServerService::reload(const config::NtsConfig& next, std::shared_ptr<ssl::context> tls) {
    const bool rotation_changed = next.key_rotation_s != cfg_.key_rotation_s;
    if (next.ntp_server != cfg_.ntp_server || next.ntp_port != cfg_.ntp_port)
        ke_->set_advertised(next.ntp_server, advertised_port(next));
    cfg_.key_rotation_s = next.key_rotation_s;
    cfg_.ntp_server = next.ntp_server;
    cfg_.ntp_port = next.ntp_port;
    if (tls) {
        cfg_.certificate = next.certificate;
        cfg_.private_key = next.private_key;
        ke_->replace_tls(std::move(tls));
        spdlog::info("nts: certificate {} re-loaded: new NTS-KE connections use it",
                     cfg_.certificate);
    }
    if (rotation_changed) {
        rotation_timer_.cancel();  // the pending wait ends with operation_aborted
        rotate();                  // due now under the new interval? then rotate at once
        schedule_rotation();
    }
}

ServerService::~ServerService() {
    rotation_timer_.cancel();
}

std::expected<void, std::string> ServerService::open() {
    auto ring =
        refresh_keys(key_file_, std::time(nullptr), static_cast<int64_t>(cfg_.key_rotation_s));
    if (!ring) return std::unexpected("NTS master keys: " + ring.error());
    publisher_.publish(*ring);
    newest_id_ = ring->newest()->id;
    newest_created_unix_s_ = ring->newest()->created_unix_s;
    spdlog::info(
        "nts: {} master key(s){}{}", ring->size(), key_file_.empty() ? "" : " in ",
        key_file_.empty() ? " in memory only (no key_file, no $STATE_DIRECTORY)" : key_file_);
    return ke_->open();
}

void ServerService::start() {
    ke_->start();
    for (const auto& ep : ke_->endpoints())
        spdlog::info("nts: NTS-KE listening on {}:{}", ep.address().to_string(), ep.port());
    schedule_rotation();
}

void ServerService::schedule_rotation() {
    // Check often enough that a key another server wrote is adopted well within its period.
    const double check_s = std::clamp(cfg_.key_rotation_s / 8.0, 10.0, 3600.0);
    rotation_timer_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(check_s * 1e3)));
    rotation_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        rotate();
        schedule_rotation();
    });
}

void ServerService::rotate() {
    auto ring =
        refresh_keys(key_file_, std::time(nullptr), static_cast<int64_t>(cfg_.key_rotation_s));
    if (!ring) {
        spdlog::warn("nts: master key rotation failed: {} (keeping the current keys)",
                     ring.error());
        return;
    }
    if (ring->newest()->id == newest_id_) return;
    newest_id_ = ring->newest()->id;
    newest_created_unix_s_ = ring->newest()->created_unix_s;
    ++rotations_;
    publisher_.publish(*ring);
    spdlog::info("nts: new master key {:08x} ({} kept)", newest_id_, ring->size());
}

NtsKeServerTotals ServerService::totals() const {
    NtsKeServerTotals t = ke_->counters().totals();
    t.key_rotations = rotations_;
    t.key_id = newest_id_;
    t.key_created_unix_s = newest_created_unix_s_;
    return t;
}

}  // namespace ntplite::daemon::nts
