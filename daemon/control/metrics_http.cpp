#include "daemon/control/metrics_http.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "daemon/policy/monitor/control_json.hpp"
#include "daemon/policy/monitor/metrics_prometheus.hpp"
#include "daemon/policy/monitor/status_page.hpp"

namespace ntplite::daemon {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

/// One connection: read one request (limits: 8 KiB, 5 s), answer, close.
struct HttpSession : std::enable_shared_from_this<HttpSession> {
    HttpSession(asio::ip::tcp::socket s, const MetricsHttp* owner)
        : stream(std::move(s)), owner(owner) {
        parser.header_limit(8 * 1024);
        parser.body_limit(0);
    }

    void start() {
        stream.expires_after(std::chrono::seconds(5));
        http::async_read(
            stream, buffer, parser,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec) return;  // timeout, reset or garbage: just close
        const auto& req = parser.get();
        response.version(req.version());
        response.keep_alive(false);
        response.set(http::field::server, "ntpd-lite");
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            response.result(http::status::method_not_allowed);
            response.set(http::field::allow, "GET, HEAD");
            response.set(http::field::content_type, "text/plain");
            response.body() = "only GET and HEAD\n";
        } else {
            MetricsHttp::Reply r = owner->route(std::string_view(req.target()));
            response.result(static_cast<http::status>(r.status));
            response.set(http::field::content_type, r.content_type);
            // The page and the snapshot change every second: never cache them.
            response.set(http::field::cache_control, "no-store");
            response.body() = std::move(r.body);
            if (req.method() == http::verb::head) response.body().clear();
        }
        response.prepare_payload();
        http::async_write(
            stream, response, [self = shared_from_this()](beast::error_code, std::size_t) {
                beast::error_code ignored;
                self->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
            });
    }

    beast::tcp_stream stream;
    beast::flat_buffer buffer{8 * 1024};
    http::request_parser<http::empty_body> parser;
    http::response<http::string_body> response;
    const MetricsHttp* owner;
};

}  // namespace

MetricsHttp::MetricsHttp(asio::io_context& io, SnapshotFn snapshot, HistoryFn history)
    : io_(io), snapshot_(std::move(snapshot)), history_(std::move(history)) {}

MetricsHttp::Reply MetricsHttp::route(std::string_view target) const {
    // A query string ("/?refresh") changes nothing.
    target = target.substr(0, target.find('?'));
    if (target == "/metrics") {
        return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_text(snapshot_())};
    }
    if (target == "/api/snapshot") {
        return {200, "application/json", snapshot_json(snapshot_()).dump(2) + "\n"};
    }
    if (target == "/" || target == "/index.html") {
        const MonitorSnapshot m = snapshot_();
        const std::vector<HistoryPoint> h =
            history_ ? history_(m.system.now_unix_ns) : std::vector<HistoryPoint>{};
        return {200, "text/html; charset=utf-8", render_status_page(m, h)};
    }
    return {404, "text/plain", "not found: try /, /metrics or /api/snapshot\n"};
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
    if (!ec) acc->listen(16, ec);
    if (ec)
        return std::unexpected("cannot serve metrics on " + where.to_string() + ": " +
                               ec.message());
    acceptor_ = std::move(acc);
    accept();
    spdlog::info("status page on http://{0}/ (Prometheus metrics on /metrics)", where.to_string());
    return {};
}

void MetricsHttp::close() {
    if (!acceptor_) return;
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
        if (!ec) std::make_shared<HttpSession>(std::move(s), this)->start();
        accept();
    });
}

}  // namespace ntplite::daemon
