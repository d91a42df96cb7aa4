#include "daemon/control/metrics_http.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "daemon/policy/monitor/metrics_prometheus.hpp"

namespace ntplite::daemon {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

/// One connection: read one request (limits: 8 KiB, 5 s), answer, close.
struct HttpSession : std::enable_shared_from_this<HttpSession> {
    HttpSession(asio::ip::tcp::socket s, MetricsHttp::SnapshotFn* snapshot)
        : stream(std::move(s)), snapshot(snapshot) {
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
            response.body() = "only GET /metrics\n";
        } else if (req.target() != "/metrics" && req.target() != "/") {
            response.result(http::status::not_found);
            response.set(http::field::content_type, "text/plain");
            response.body() = "try /metrics\n";
        } else {
            response.result(http::status::ok);
            response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            response.body() = metrics_text((*snapshot)());
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
    MetricsHttp::SnapshotFn* snapshot;
};

}  // namespace

MetricsHttp::MetricsHttp(asio::io_context& io, SnapshotFn snapshot)
    : io_(io), snapshot_(std::move(snapshot)) {}

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
    spdlog::info("Prometheus metrics on http://{}/metrics", where.to_string());
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
        if (!ec) std::make_shared<HttpSession>(std::move(s), &snapshot_)->start();
        accept();
    });
}

}  // namespace ntplite::daemon
