// The one way daemon code includes Asio. Boost 1.74's asio/awaitable.hpp uses std::exchange
// without including <utility>, which g++ 12 rejects, so <utility> must come first.
#pragma once

#include <utility>

#include <boost/asio.hpp>

namespace ntplite::daemon {
namespace asio = boost::asio;
}  // namespace ntplite::daemon
