#include "daemon/control/metrics_request.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

namespace ntplite::daemon {

namespace http = boost::beast::http;

HttpAnswer answer_metrics_request(http::verb method, std::string_view target,
                                  const std::function<std::string()>& metrics_text) {
    HttpAnswer a;
    if (method != http::verb::get && method != http::verb::head) {
        a.status = 405;
        a.allow = "GET, HEAD";
        a.body = "only GET /metrics\n";
        return a;
    }
    // The query string does not select anything (Prometheus may add parameters).
    const std::string_view path = target.substr(0, target.find('?'));
    if (path != "/metrics" && path != "/") {
        a.status = 404;
        a.body = "try /metrics\n";
        return a;
    }
    a.content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (method == http::verb::get) a.body = metrics_text();
    return a;
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
    return answer_metrics_request(req.method(), std::string_view(target.data(), target.size()),
                                  metrics_text);
}

}  // namespace ntplite::daemon
