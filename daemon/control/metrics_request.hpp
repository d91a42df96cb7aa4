// What the Prometheus endpoint answers to one HTTP request, apart from the socket (issue 14):
// the Beast parser with the server's limits, then the route. Used by MetricsHttp, the unit tests
// and tests/fuzz/fuzz_http.cpp, so the fuzzer runs exactly the server's request path.
//   GET|HEAD a routed path (any query string)  -> 200 with what the route gives (HEAD: no body)
//   another path                               -> 404
//   another method                             -> 405 (Allow: GET, HEAD)
//   malformed request                          -> 400; header over the limit -> 431
#pragma once

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/verb.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ntplite::daemon {

/// Largest request header accepted (bytes); requests carry no body.
inline constexpr std::size_t kMetricsHeaderLimit = 8 * 1024;

struct HttpAnswer {
    unsigned status = 200;
    std::string content_type = "text/plain";
    std::string allow;  ///< the Allow header for 405, else empty
    std::string body;
};

/// Maps a path (query string removed) to its answer; nullopt -> 404. Called only for GET/HEAD.
using HttpRoute = std::function<std::optional<HttpAnswer>(std::string_view path)>;

/// The answer to a parsed request.
HttpAnswer answer_http_request(boost::beast::http::verb method, std::string_view target,
                               const HttpRoute& route);

/// The route of a metrics-only server: "/" and "/metrics" give `metrics_text()`.
HttpRoute metrics_only_route(std::function<std::string()> metrics_text);

/// answer_http_request with metrics_only_route (tests, fuzzing).
HttpAnswer answer_metrics_request(boost::beast::http::verb method, std::string_view target,
                                  const std::function<std::string()>& metrics_text);

/// The answer to a request the parser rejected (`ec` from Beast): 431 for a header over the
/// limit, 400 otherwise.
HttpAnswer answer_bad_request(const boost::beast::error_code& ec);

/// Parses `bytes` as one request with the server's limits and answers it; nullopt when the
/// bytes end before the request does (the server would wait for more, then time out).
std::optional<HttpAnswer> answer_raw_request(std::string_view bytes, const HttpRoute& route);
/// The same with metrics_only_route.
std::optional<HttpAnswer> answer_raw_request(std::string_view bytes,
                                             const std::function<std::string()>& metrics_text);

}  // namespace ntplite::daemon
