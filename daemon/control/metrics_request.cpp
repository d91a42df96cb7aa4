#include "daemon/control/metrics_request.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

namespace ntplite::daemon {

namespace http = boost::beast::http;

HttpAnswer answer_http_request(http::verb method, std::string_view target, const HttpRoute& route) {
    HttpAnswer a;
    if (method != http::verb::get && method != http::verb::head) {
        a.status = 405;
        a.allow = "GET, HEAD";
        a.body = "only GET and HEAD\n";
        return a;
    }
    // The query string does not select anything (Prometheus may add parameters).
    const std::string_view path = target.substr(0, target.find('?'));
    std::optional<HttpAnswer> routed = route(path);
    if (!routed) {
        a.status = 404;
        a.body = "not found: try /, /metrics or /api/snapshot\n";
        return a;
    }
    if (method == http::verb::head) routed->body.clear();
    return *routed;
}

HttpRoute metrics_only_route(std::function<std::string()> metrics_text) {
    return [metrics_text =
                std::move(metrics_text)](std::string_view path) -> std::optional<HttpAnswer> {
        if (path != "/metrics" && path != "/") return std::nullopt;
        return HttpAnswer{200, "text/plain; version=0.0.4; charset=utf-8", {}, metrics_text()};
    };
}

HttpAnswer answer_metrics_request(http::verb method, std::string_view target,
                                  const std::function<std::string()>& metrics_text) {
    return answer_http_request(method, target, metrics_only_route(metrics_text));
}

HttpAnswer answer_bad_request(const boost::beast::error_code& ec) {
    HttpAnswer a;
    if (ec == http::error::header_limit) {
        a.status = 431;
        a.body = "request header too large\n";
    } else {
        a.status = 400;
        a.body = "bad request\n";
    }
    return a;
}

std::optional<HttpAnswer> answer_raw_request(std::string_view bytes,
                                             const std::function<std::string()>& metrics_text) {
    return answer_raw_request(bytes, metrics_only_route(metrics_text));
}

std::optional<HttpAnswer> answer_raw_request(std::string_view bytes, const HttpRoute& route) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kMetricsHeaderLimit);
    parser.body_limit(0);
    boost::beast::error_code ec;
    std::size_t used = 0;
    while (!parser.is_done() && used < bytes.size()) {
        const std::size_t n =
            parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
        if (ec == http::error::need_more) return std::nullopt;
        if (ec) return answer_bad_request(ec);
        if (n == 0) return std::nullopt;
        used += n;
    }
    if (!parser.is_done()) return std::nullopt;
    const auto& req = parser.get();
    const auto target = req.target();  // boost::string_view in Boost 1.74
    return answer_http_request(req.method(), std::string_view(target.data(), target.size()), route);
}

}  // namespace ntplite::daemon
