// One upstream source as a pure state machine: it is told about timer expiries and received
// datagrams (with their receive time) and returns what to do. No IO, no clock reads: every
// time is an argument, randomness comes from an injected Random.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "clock/config.hpp"
#include "clock/filter.hpp"
#include "clock/random.hpp"
#include "proto/auth/client.hpp"
#include "proto/checks.hpp"
#include "proto/packet.hpp"
#include "proto/refid.hpp"

namespace ntplite::clock {

/// What the IO layer must do for a source after an event.
struct SourceActions {
    bool send = false;  ///< send `request` to the source
    /// The request: the 48-byte header from the Source, then (sealed by the engine's
    /// authenticator) a MAC or NTS extension fields.
    auth::RequestBuffer request;
    std::optional<int64_t> timer_at_ns;  ///< (re)arm the poll timer (local time)
    bool demobilize = false;             ///< stop using this address for good
    bool reresolve = false;              ///< pool member gone bad: replace it
};

/// What became of one received datagram.
enum class ResponseOutcome : uint8_t {
    kAccepted,     ///< valid; a sample went into the filter
    kUnexpected,   ///< no request outstanding (late, duplicate or unsolicited)
    kMalformed,    ///< did not parse (see parse_error)
    kFailedCheck,  ///< failed an RFC validity test (see check)
    kKissRate,     ///< KoD RATE: poll backed off
    kKissDeny,     ///< KoD DENY/RSTR: source demobilized
    kKissOther,    ///< another KoD code: ignored as a sample
    kAuthFailed,   ///< refused by the source's authenticator (see auth_failure): not a sample
};
const char* to_string(ResponseOutcome o);

struct ResponseResult {
    ResponseOutcome outcome = ResponseOutcome::kUnexpected;
    proto::ParseError parse_error{};
    proto::CheckFailure check = proto::CheckFailure::kNone;
    auth::AuthFailure auth_failure = auth::AuthFailure::kNone;  ///< kAuthFailed: why
    std::optional<FilterOutput> filter;                         ///< set when accepted
    /// Accepted, but a popcorn spike (RFC 5905 clock filter): its offset is more than
    /// kSpikeGate x jitter away from the last sample used, which is recent. Kept in the filter,
    /// not fed to the discipline.
    bool spike = false;
    SourceActions actions;
};

/// State a source shows to selection and monitoring.
enum class Reachability : uint8_t { kNeverReached, kReachable, kUnreachable };

class Source {
  public:
    /// Requests a burst (iburst or resync) sends at most, to get 4 good replies: enough filled
    /// filter stages to be selectable (empty ones count as MAXDISP), even with 30 % loss each way.
    static constexpr int kBurstMaxRequests = 12;

    explicit Source(const SourceConfig& cfg);

    /// Start polling: returns the first timer (a short random delay, or at once for iburst).
    SourceActions start(int64_t now_ns, Random& rng);
    /// The poll timer fired: returns the request to send and the next timer.
    SourceActions on_timer(int64_t now_ns, Random& rng);
    /// A datagram from this source's address arrived at local time `t4_ns`. `now_ns` is the
    /// current local time (>= t4_ns), `pending_slew_ns` the clock's slew still to come, so the
    /// sample reads as if corrections were already done.
    ResponseResult on_response(std::span<const std::byte> datagram, int64_t t4_ns, int64_t now_ns,
                               int64_t pending_slew_ns = 0);
    /// The clock was corrected (slew_ns, positive = forward; frequency +dfreq_ppm) at `at_ns`:
    /// re-base stored samples. A step also voids the outstanding request (its T1 is stale).
    void on_clock_correction(int64_t slew_ns, double dfreq_ppm, int64_t at_ns, bool was_step);
    /// Resync (monitoring's `resync`, like w32tm /resync): start an iburst-style burst now.
    /// Returns the timer (at once); nothing for a demobilized source, while a burst is already
    /// under way, or within one minimum poll interval of the last resync burst (coalesced: a
    /// flood of resync requests costs the upstream server at most one burst per minpoll).
    SourceActions burst(int64_t now_ns);
    /// The sample handed to the discipline was used at local time `used_ns` (popcorn reference).
    void note_sample_used(int64_t offset_ns, int64_t used_ns);
    /// The discipline's poll wish; the source clamps it to [minpoll, maxpoll] and KoD backoff.
    void set_poll_hint(int8_t poll_log2);

    const SourceConfig& config() const { return cfg_; }
    uint8_t reach() const { return reach_; }
    Reachability reachability() const;
    int8_t poll_log2() const { return static_cast<int8_t>(poll_log2_); }
    const ClockFilter& filter() const { return filter_; }
    /// Last valid header from the server (stratum, refid, root delay/dispersion, leap).
    const std::optional<proto::Packet>& last_header() const { return last_header_; }
    std::optional<proto::KissCode> last_kiss() const { return last_kiss_; }
    int64_t last_kiss_time_ns() const { return last_kiss_time_ns_; }
    /// Local time of the last valid (accepted) reply, 0 if none: ntpq's "when"/"rec".
    int64_t last_reply_time_ns() const { return last_reply_time_ns_; }
    /// True while the newest answer was a KoD RATE (no valid reply since).
    bool rate_limited() const {
        return last_kiss_ == proto::KissCode::kRate && last_kiss_time_ns_ > last_reply_time_ns_;
    }
    bool demobilized() const { return demobilized_; }
    /// A burst (iburst or resync) is under way: requests are still being sent quickly.
    bool bursting() const;
    uint64_t requests_sent() const { return requests_sent_; }

  private:
    int effective_poll() const;
    int64_t poll_interval_ns() const;

    SourceConfig cfg_;
    ClockFilter filter_;
    uint8_t reach_ = 0;
    int poll_log2_;
    int poll_hint_log2_;
    int kod_poll_floor_log2_ = -128;
    int burst_left_ = 0;
    int burst_replies_ = 0;
    int burst_sent_ = 0;
    int polls_since_reply_ = 0;
    bool ever_reached_ = false;
    bool outstanding_ = false;
    proto::NtpTimestamp sent_transmit_{};  // the random transmit timestamp of the request
    int64_t sent_local_ns_ = 0;            // real T1 on our clock
    proto::NtpTimestamp last_accepted_transmit_{};
    std::optional<proto::Packet> last_header_;
    std::optional<proto::KissCode> last_kiss_;
    int64_t last_kiss_time_ns_ = 0;
    int64_t last_reply_time_ns_ = 0;
    int64_t last_burst_ns_ = INT64_MIN;  // start of the last resync burst
    int64_t last_used_offset_ns_ = 0;    // popcorn-spike reference: last sample fed on
    int64_t last_used_time_ns_ = INT64_MIN;
    bool demobilized_ = false;
    uint64_t requests_sent_ = 0;
};

}  // namespace ntplite::clock
