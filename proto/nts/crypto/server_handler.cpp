#include "proto/nts/crypto/server_handler.hpp"

#include <algorithm>

namespace ntplite::proto::nts {

NtsServerHandler::Verdict NtsServerHandler::check(std::span<const std::byte> request,
                                                  std::size_t out_size, uint32_t* slot,
                                                  std::size_t* reply_size) {
    const uint32_t s = next_;
    Pending& p = slots_[s];
    p = Pending{};
    switch (server_.check(ring_, request, p.req)) {
        case ServerVerdict::kNotNts:
            return Verdict::kNotNts;
        case ServerVerdict::kMalformed:
            return Verdict::kMalformed;
        case ServerVerdict::kAuthenticated: {
            const std::size_t n = NtsServer::planned_reply_size(p.req, out_size);
            if (n == 0) return Verdict::kMalformed;
            *reply_size = n;
            break;
        }
        case ServerVerdict::kNak:
        case ServerVerdict::kBadAuthenticator: {
            const std::size_t n = NtsServer::planned_nak_size(request);
            if (n == 0 || n > std::min(request.size(), out_size)) return Verdict::kMalformed;
            p.nak = true;
            p.request = request;
            *reply_size = n;
            break;
        }
    }
    *slot = s;
    next_ = (next_ + 1) % kSlots;
    return p.nak ? Verdict::kNak : Verdict::kReply;
}

std::size_t NtsServerHandler::seal(uint32_t slot, std::span<std::byte> out) {
    if (slot >= kSlots) return 0;
    const Pending& p = slots_[slot];
    return p.nak ? NtsServer::write_nak(p.request, out) : server_.write_reply(ring_, p.req, out);
}

}  // namespace ntplite::proto::nts
