#include "daemon/control/metrics_http.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "daemon/control/metrics_request.hpp"
#include "daemon/policy/monitor/control_json.hpp"
#include "daemon/policy/monitor/metrics_prometheus.hpp"
#include "daemon/policy/monitor/status_page.hpp"

namespace ntplite::daemon {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

/// One connection: read one request (limits: 8 KiB, 5 s), answer, close.
struct HttpSession : std::enable_shared_from_this<HttpSession> {
    HttpSession(asio::ip::tcp::socket s, const MetricsHttp* owner,
                std::unique_ptr<AcceptGuard::Ticket> t)
        : stream(std::move(s)), owner(owner), ticket(std::move(t)) {
        parser.header_limit(kMetricsHeaderLimit);
        parser.body_limit(0);
    }

    void start() {
        // One deadline for the whole exchange: a slow or idle client loses its slot.
        stream.expires_after(MetricsHttp::kSessionDeadline);
        // Until the request is in, a newcomer at the connection cap may evict this session.
        ticket->idle([weak = weak_from_this()] {
            if (auto self = weak.lock()) self->stream.close();
        });
        http::async_read(
            stream, buffer, parser,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        ticket->busy();
        HttpAnswer a;
        if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
            ec == asio::error::eof || ec == asio::error::connection_reset ||
            ec == asio::error::operation_aborted) {
            return;  // nothing (complete) to answer: just close
        }
        if (ec) {
            a = answer_bad_request(ec);  // malformed: a 4xx, not a reset (issue 14)
            response.version(11);
        } else {
            const auto& req = parser.get();
            const auto target = req.target();
            a = answer_http_request(req.method(), std::string_view(target.data(), target.size()),
                                    [this](std::string_view path) { return owner->route(path); });
            response.version(req.version());
        }
        response.keep_alive(false);
        response.set(http::field::server, "ntpd-lite");
        response.result(static_cast<http::status>(a.status));
        response.set(http::field::content_type, a.content_type);
        if (!a.allow.empty()) response.set(http::field::allow, a.allow);
        // The page and the snapshot change every second: never cache them.
        if (a.status == 200) response.set(http::field::cache_control, "no-store");
        response.body() = std::move(a.body);
        response.prepare_payload();
        http::async_write(
            stream, response, [self = shared_from_this()](beast::error_code, std::size_t) {
                beast::error_code ignored;
                self->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
            });
    }

    beast::tcp_stream stream;
    beast::flat_buffer buffer{kMetricsHeaderLimit};
    http::request_parser<http::empty_body> parser;
    http::response<http::string_body> response;
    const MetricsHttp* owner;
    std::unique_ptr<AcceptGuard::Ticket> ticket;
};

}  // namespace

MetricsHttp::MetricsHttp(asio::io_context& io, SnapshotFn snapshot, HistoryFn history)
    : io_(io), snapshot_(std::move(snapshot)), history_(std::move(history)) {}

std::optional<HttpAnswer> MetricsHttp::route(std::string_view path) const {
    if (path == "/metrics")
        return HttpAnswer{
            200, "text/plain; version=0.0.4; charset=utf-8", {}, metrics_text(snapshot_())};
    if (path == "/api/snapshot")
        return HttpAnswer{200, "application/json", {}, snapshot_json(snapshot_()).dump(2) + "\n"};
    if (path == "/" || path == "/index.html") {
        const MonitorSnapshot m = snapshot_();
        const std::vector<HistoryPoint> h =
            history_ ? history_(m.system.now_unix_ns) : std::vector<HistoryPoint>{};
        return HttpAnswer{200, "text/html; charset=utf-8", {}, render_status_page(m, h)};
    }
    return std::nullopt;
}

MetricsHttp::~MetricsHttp() {
    close();
}

std::expected<void, std::string> MetricsHttp::open(const config::ListenSpec& where) {
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(
        where.address.is_v4() ? where.address.to_string() : where.address.to_string(), ec);
    if (ec)
        return std::unexpected("metrics listen address " + where.to_string() + ": " + ec.message());
    const asio::ip::tcp::endpoint ep(addr, where.port);
    auto acc = std::make_unique<asio::ip::tcp::acceptor>(io_);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(kListenBacklog, ec);
    if (ec)
        return std::unexpected("cannot serve metrics on " + where.to_string() + ": " +
                               ec.message());
    acceptor_ = std::move(acc);
    guard_.start([this] { accept(); });
    spdlog::info("status page on http://{0}/ (Prometheus metrics on /metrics)", where.to_string());
    return {};
}

void MetricsHttp::close() {
    if (!acceptor_) return;
    guard_.stop();
    boost::system::error_code ec;
    acceptor_->close(ec);
    acceptor_.reset();
}

uint16_t MetricsHttp::port() const {
    boost::system::error_code ec;
    return acceptor_ ? acceptor_->local_endpoint(ec).port() : 0;
}

void MetricsHttp::accept() {
    acceptor_->async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket s) {
        if (ec == asio::error::operation_aborted || !acceptor_) return;
        auto ticket = guard_.on_accept(ec);  // re-arms, pauses or caps the acceptor
        if (ticket) std::make_shared<HttpSession>(std::move(s), this, std::move(ticket))->start();
    });
}

}  // namespace ntplite::daemon
