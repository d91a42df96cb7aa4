// The NTS part of a server worker's request handling: check a request (cookie, authenticator),
// remember what the reply needs in a slot, and after the reply's header is final (T3 patched:
// the authenticator covers it) append the NTS fields or turn it into an NTS NAK. One per worker
// thread; the slots outlive one receive batch (kSlots >= the batch), no allocation per packet.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "proto/auth/server.hpp"
#include "proto/nts/crypto/nts_packet.hpp"

namespace ntplite::proto::nts {

class NtsServerHandler final : public auth::NtsRequestHandler {
  public:
    /// Pending replies kept between check and seal; more than a worker's receive batch.
    static constexpr std::size_t kSlots = 64;

    using Verdict = auth::NtsRequestHandler::Verdict;

    /// Replaces the master keys (the worker calls it when the published ring changed).
    void set_ring(const KeyRing& ring) { ring_ = ring; }
    const KeyRing& ring() const { return ring_; }

    /// Checks `request` (valid until seal). For kReply and kNak, `*slot` and `*reply_size` (the
    /// whole datagram, at most min(request size, out_size)) are set.
    Verdict check(std::span<const std::byte> request, std::size_t out_size, uint32_t* slot,
                  std::size_t* reply_size) override;
    /// Appends the NTS fields (or makes the NAK) to the reply whose final 48-byte header is in
    /// `out`. Returns the datagram size, 0 when it cannot be sealed (drop it).
    std::size_t seal(uint32_t slot, std::span<std::byte> out) override;

  private:
    struct Pending {
        ServerRequest req;
        std::span<const std::byte> request;  ///< for a NAK: the request (its unique id)
        bool nak = false;
    };
    NtsServer server_;
    KeyRing ring_;
    std::array<Pending, kSlots> slots_{};
    uint32_t next_ = 0;
};

}  // namespace ntplite::proto::nts
