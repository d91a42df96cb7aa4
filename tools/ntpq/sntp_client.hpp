// The socket half of an SNTP query: resolve a server, send one request, wait for its answer.
// Reused by `ntpq-lite query` and (later) `monitor`. Synchronous from the caller's view; Asio
// waits for readability, the datagram itself is read with recvmsg to get the kernel receive
// timestamp (SO_TIMESTAMPNS), which Asio does not expose.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <expected>
#include <vector>

#include "tools/ntpq/host_port.hpp"
#include "tools/ntpq/sntp_reply.hpp"

namespace ntplite::tools {

using UdpEndpoint = boost::asio::ip::udp::endpoint;

/// Addresses for `server`, IPv4 and IPv6, in the resolver's preferred order. Literals need no
/// resolver. Name look-ups run on a helper thread so a hanging resolver cannot exceed
/// `timeout` (the thread is abandoned then; the process is short-lived).
std::expected<std::vector<UdpEndpoint>, SntpFailure> resolve_server(
    const HostPort& server, std::chrono::nanoseconds timeout);

/// Queries one server (all of its addresses) repeatedly. Each request leaves from a fresh socket
/// bound to a random source port and carries a random transmit cookie; the real send time stays
/// here. Not thread-safe; one query at a time.
class SntpClient {
  public:
    /// `addresses` must not be empty; they are tried in order.
    SntpClient(boost::asio::io_context& io, std::vector<UdpEndpoint> addresses);

    /// One request/answer. Within `timeout` in total, tries the addresses in order (starting
    /// with the last one that answered), each getting an equal share of the remaining time, and
    /// moves on early when one is unreachable. Returns the first valid sample, or the most
    /// telling failure: a KoD or an unsynchronized server ends the query at once.
    std::expected<SntpSample, SntpFailure> query(std::chrono::nanoseconds timeout);

    const std::vector<UdpEndpoint>& addresses() const { return addresses_; }

  private:
    std::expected<SntpSample, SntpFailure> query_address(
        const UdpEndpoint& address, std::chrono::steady_clock::time_point deadline);
    /// Waits until the socket is readable; false if `deadline` passed first.
    bool wait_readable(boost::asio::ip::udp::socket& socket,
                       std::chrono::steady_clock::time_point deadline);

    boost::asio::io_context& io_;
    std::vector<UdpEndpoint> addresses_;
    std::size_t preferred_ = 0;                     ///< index of the address that last answered
    proto::NtpTimestamp last_accepted_transmit_{};  ///< for the duplicate test
};

/// A random non-zero 64-bit value from the kernel's CSPRNG (getrandom), for transmit cookies.
proto::NtpTimestamp random_transmit_cookie();

/// "127.0.0.1:123" / "[::1]:123".
std::string to_string(const UdpEndpoint& e);

}  // namespace ntplite::tools
