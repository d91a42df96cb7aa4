// The client half of NTP control messages (mode 6, RFC 9327): send one request, collect the
// fragments of its response. The transport is an interface so the unit tests run it against the
// daemon's pure responder in-process; the real one is a connected UDP socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "proto/control.hpp"
#include "tools/ntpq/host_port.hpp"

namespace ntplite::tools {

/// Why a control request failed.
struct Mode6Failure {
    enum class Kind : uint8_t {
        kResolveFailed,  ///< the host name did not resolve
        kUnreachable,    ///< no (complete) answer within the timeout, or port unreachable
        kRefused,        ///< the daemon answered with an error status (see error_code)
        kBadResponse,    ///< the answer was not a well-formed control response
        kNetwork,        ///< a local socket error
    };
    Kind kind = Kind::kUnreachable;
    uint16_t error_code = 0;  ///< RFC 9327 error code when kind == kRefused
    std::string message;      ///< one line
};

/// The reassembled response.
struct Mode6Response {
    uint16_t status = 0;  ///< system or peer status word
    std::string data;     ///< all fragments' data in order
};

/// Sends datagrams and hands back whatever arrives.
class Mode6Transport {
  public:
    virtual ~Mode6Transport() = default;
    /// Sends one datagram; false with `error` set when the socket refuses.
    virtual bool send(std::span<const std::byte> datagram, std::string* error) = 0;
    /// The next datagram, or nullopt at `deadline`. `refused` is set when the peer's port is
    /// unreachable (ICMP), which ends the wait.
    virtual std::optional<std::vector<std::byte>> receive(
        std::chrono::steady_clock::time_point deadline, bool* refused) = 0;
};

/// Collects the fragments of one response (RFC 9327 section 2.2: any order, duplicates ignored).
class FragmentAssembler {
  public:
    /// Offers one parsed response fragment. False if it is inconsistent (overlap, too long).
    bool add(const proto::ControlMessage& fragment);
    /// True once the last fragment arrived and there are no holes.
    bool complete() const;
    /// The data in order (only meaningful once complete()).
    std::string data() const;
    uint16_t status() const { return status_; }

  private:
    struct Piece {
        uint16_t offset;
        std::string bytes;
    };
    std::vector<Piece> pieces_;
    std::optional<std::size_t> total_;  ///< known once the last fragment (M = 0) arrived
    uint16_t status_ = 0;
};

/// Runs requests over a transport, one at a time, with fresh sequence numbers.
class Mode6Client {
  public:
    Mode6Client(Mode6Transport& transport, std::chrono::nanoseconds timeout, std::string peer_name)
        : transport_(transport), timeout_(timeout), peer_(std::move(peer_name)) {}

    /// One request and its complete response. An error response is kRefused.
    std::expected<Mode6Response, Mode6Failure> request(proto::ControlOpcode op,
                                                       uint16_t association,
                                                       std::string_view data = {});
    const std::string& peer_name() const { return peer_; }

  private:
    Mode6Transport& transport_;
    std::chrono::nanoseconds timeout_;
    std::string peer_;
    uint16_t sequence_ = 0;
};

/// A connected UDP socket to one daemon address.
class UdpMode6Transport final : public Mode6Transport {
  public:
    ~UdpMode6Transport() override;
    /// Resolves `server` (literal or name) and connects; error text names what failed.
    static std::expected<std::unique_ptr<UdpMode6Transport>, Mode6Failure> open(
        const HostPort& server, std::chrono::nanoseconds timeout);
    bool send(std::span<const std::byte> datagram, std::string* error) override;
    std::optional<std::vector<std::byte>> receive(std::chrono::steady_clock::time_point deadline,
                                                  bool* refused) override;

  private:
    explicit UdpMode6Transport(int fd) : fd_(fd) {}
    int fd_ = -1;
};

/// "unknown association", "permission denied", ... for an RFC 9327 error code.
std::string control_error_text(uint16_t code);

}  // namespace ntplite::tools
