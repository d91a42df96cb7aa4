// What the NTS client authenticator (the engine's, per packet) and the daemon's key exchange
// share for one NTS source: the session (keys, cookie pool, pending unique id) and the key
// exchange state for monitoring. Engine thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/nts/crypto/nts_packet.hpp"
#include "proto/nts/ke_failure.hpp"

namespace ntplite::proto::nts {

struct NtsClientShared {
    NtsClientSession session;
    bool keyed = false;             ///< keys from a successful key exchange (cookies may be 0)
    bool rekey_wanted = true;       ///< the daemon should run (or schedule) a key exchange
    uint64_t naks = 0;              ///< NTS NAKs received
    std::string ke_state = "idle";  ///< "idle", "connecting", "done", "failed"
    std::string ke_error;           ///< last key exchange failure, "" = none since the last success
    uint64_t ke_exchanges = 0;      ///< successful key exchanges
    KeFailureCounts ke_failures{};  ///< failed key exchanges by kind

    /// A key exchange failed (the daemon's NTS-KE client decided the kind): counted by kind,
    /// and the reason kept for monitoring until the next success.
    void record_ke_failure(KeFailure kind, std::string_view detail) {
        const auto i = static_cast<std::size_t>(kind);
        if (i < ke_failures.size()) ++ke_failures[i];
        ke_state = "failed";
        ke_error = std::string(to_string(kind)) + ": " + std::string(detail);
    }

    /// Installs the result of a key exchange: keys and cookies.
    void install(const SessionKeys& keys, const KeResponse& response) {
        session.reset(keys);
        for (std::size_t i = 0; i < response.cookie_count; ++i)
            session.cookies().push(std::span(response.cookies[i]).first(response.cookie_sizes[i]));
        keyed = true;
        rekey_wanted = false;
        ++ke_exchanges;
        ke_state = "done";
        ke_error.clear();
    }
};

}  // namespace ntplite::proto::nts
