#include "daemon/nts/source_keying.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ntplite::daemon::nts {

SourceKeying::SourceKeying(asio::io_context& io, std::shared_ptr<ssl::context> tls,
                           asio::ip::tcp::endpoint server, std::string name, Success on_success,
                           Failure on_failure)
    : io_(io),
      tls_(std::move(tls)),
      server_(std::move(server)),
      name_(std::move(name)),
      on_success_(std::move(on_success)),
      on_failure_(std::move(on_failure)),
      backoff_timer_(io) {}

SourceKeying::~SourceKeying() {
    *alive_ = false;
    if (client_) client_->cancel();
}

void SourceKeying::request() {
    if (status_.in_progress || waiting_) return;
    if (std::chrono::steady_clock::now() < backoff_until_) {
        waiting_ = true;
        backoff_timer_.expires_at(backoff_until_);
        backoff_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
            if (ec || !*alive) return;
            waiting_ = false;
            run();
        });
        return;
    }
    run();
}

void SourceKeying::run() {
    status_.in_progress = true;
    client_ = std::make_shared<KeClient>(io_, tls_);
    client_->start(server_, name_,
                   [this, alive = alive_](std::expected<std::unique_ptr<KeResult>, KeError> r) {
                       if (*alive) done(std::move(r));
                   });
}

void SourceKeying::done(std::expected<std::unique_ptr<KeResult>, KeError> r) {
    status_.in_progress = false;
    if (r) {
        status_.last_failure.clear();
        backoff_ = std::chrono::seconds{0};
        backoff_until_ = {};
        on_success_(std::move(*r));
        return;
    }
    const KeError& e = r.error();
    status_.last_failure = std::string(to_string(e.kind)) + ": " + e.detail;
    backoff_ = std::clamp(backoff_ * 2, std::chrono::seconds(kMinBackoff), kMaxBackoff);
    backoff_until_ = std::chrono::steady_clock::now() + backoff_;
    spdlog::warn("nts: key exchange with {} ({}:{}) failed: {}; retrying in {} s", name_,
                 server_.address().to_string(), server_.port(), status_.last_failure,
                 backoff_.count());
    on_failure_(e);
    request();  // schedules the retry at the end of the backoff
}

KeyingStatus SourceKeying::status_now() const {
    KeyingStatus s = status_;
    const auto left = backoff_until_ - std::chrono::steady_clock::now();
    s.next_attempt_in_s =
        left.count() > 0 ? std::chrono::duration_cast<std::chrono::seconds>(left).count() + 1 : 0;
    return s;
}

}  // namespace ntplite::daemon::nts
