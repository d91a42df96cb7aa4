// What the NTS client authenticator (the engine's, per packet) and the daemon's key exchange
// share for one NTS source: the session (keys, cookie pool, pending unique id) and the key
// exchange state for monitoring. Engine thread only.
#pragma once

#include <cstdint>
#include <string>

#include "proto/nts/crypto/nts_packet.hpp"

namespace ntplite::proto::nts {

struct NtsClientShared {
    NtsClientSession session;
    bool keyed = false;             ///< keys from a successful key exchange (cookies may be 0)
    bool rekey_wanted = true;       ///< the daemon should run (or schedule) a key exchange
    uint64_t naks = 0;              ///< NTS NAKs received
    std::string ke_state = "idle";  ///< "idle", "connecting", "done", "failed"
    std::string ke_error;           ///< last key exchange failure, "" = none since the last success

    /// Installs the result of a key exchange: keys and cookies.
    void install(const SessionKeys& keys, const KeResponse& response) {
        session.reset(keys);
        for (std::size_t i = 0; i < response.cookie_count; ++i)
            session.cookies().push(std::span(response.cookies[i]).first(response.cookie_sizes[i]));
        keyed = true;
        rekey_wanted = false;
        ke_state = "done";
        ke_error.clear();
    }
};

}  // namespace ntplite::proto::nts
