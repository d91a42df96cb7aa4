#include "daemon/policy/server/counters.hpp"

namespace ntplite::daemon {

void CounterTotals::add(const ServerCounters& c) {
    received += c.received.get();
    answered += c.answered.get();
    kod_rate += c.kod_rate.get();
    rate_limited += c.rate_limited.get();
    leaked += c.leaked.get();
    dropped_malformed += c.dropped_malformed.get();
    dropped_denied += c.dropped_denied.get();
    dropped_control += c.dropped_control.get();
    dropped_not_client += c.dropped_not_client.get();
    dropped_rate += c.dropped_rate.get();
    send_errors += c.send_errors.get();
    rx_no_timestamp += c.rx_no_timestamp.get();
    auth_replies += c.auth_replies.get();
    auth_unknown_key += c.auth_unknown_key.get();
    auth_bad_mac += c.auth_bad_mac.get();
    auth_malformed += c.auth_malformed.get();
    auth_unsupported += c.auth_unsupported.get();
    auth_nts_nak += c.auth_nts_nak.get();
}

std::string CounterTotals::to_string() const {
    std::string s;
    auto field = [&s](const char* name, uint64_t v) {
        if (!s.empty()) s += ' ';
        s += name;
        s += '=';
        s += std::to_string(v);
    };
    field("received", received);
    field("answered", answered);
    field("kod_rate", kod_rate);
    field("rate_limited", rate_limited);
    field("leaked", leaked);
    field("malformed", dropped_malformed);
    field("denied", dropped_denied);
    field("control", dropped_control);
    field("not_client", dropped_not_client);
    field("rate_dropped", dropped_rate);
    field("send_errors", send_errors);
    field("rx_no_timestamp", rx_no_timestamp);
    field("auth_replies", auth_replies);
    field("auth_unknown_key", auth_unknown_key);
    field("auth_bad_mac", auth_bad_mac);
    field("auth_malformed", auth_malformed);
    field("auth_unsupported", auth_unsupported);
    field("auth_nts_nak", auth_nts_nak);
    return s;
}

CounterTotals sum(std::span<const ServerCounters* const> workers) {
    CounterTotals t;
    for (const ServerCounters* c : workers) t.add(*c);
    return t;
}

uint64_t NtsKeServerTotals::failures_total() const {
    uint64_t n = 0;
    for (uint64_t f : failures) n += f;
    return n;
}

}  // namespace ntplite::daemon
