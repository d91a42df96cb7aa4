// libFuzzer target for ntpq-lite's mode 6 response reassembly (Mode6Client + FragmentAssembler):
// the fuzzer is the daemon. Each datagram is length-prefixed in the input; its sequence,
// opcode and association are patched to match the request about half the time, so both the
// "stray datagram" and the "fragment of our answer" paths are reached. Properties: never
// crashes; a completed response is at most 64 KiB and consistent with its fragments.
// clang-format off
// fuzz-sources: sysutil/clock_read.cpp sysutil/random.cpp sysutil/rx_meta.cpp tools/ntpq/mode6_client.cpp tools/ntpq/sntp_client.cpp tools/ntpq/sntp_reply.cpp tools/ntpq/host_port.cpp proto/control.cpp proto/packet.cpp proto/refid.cpp proto/md5.cpp proto/checks.cpp proto/exchange.cpp
// fuzz-flags: -DFMT_HEADER_ONLY=1
// clang-format on
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "tools/ntpq/mode6_client.hpp"

using namespace ntplite;

namespace {

class FuzzTransport final : public tools::Mode6Transport {
  public:
    explicit FuzzTransport(FuzzedDataProvider& in) : in_(in) {}
    bool send(std::span<const std::byte> d, std::string*) override {
        request_.assign(d.begin(), d.end());
        return true;
    }
    std::optional<std::vector<std::byte>> receive(std::chrono::steady_clock::time_point,
                                                  bool* refused) override {
        if (in_.remaining_bytes() == 0 || ++count_ > 4096) return std::nullopt;
        if (in_.ConsumeIntegralInRange<int>(0, 255) == 0) {
            *refused = true;
            return std::nullopt;
        }
        const bool match = in_.ConsumeBool();
        auto bytes = in_.ConsumeBytes<std::byte>(in_.ConsumeIntegralInRange<size_t>(0, 600));
        if (match && bytes.size() >= 12 && request_.size() >= 12) {
            bytes[0] = std::byte{0x16};                                  // v2, mode 6
            bytes[1] = (bytes[1] & std::byte{0x60}) | std::byte{0x80} |  // R, keep E and M
                       (request_[1] & std::byte{0x1f});                  // our opcode
            for (int i = 2; i < 4; ++i) bytes[i] = request_[i];          // sequence
            for (int i = 6; i < 8; ++i) bytes[i] = request_[i];          // association
        }
        return bytes;
    }

  private:
    FuzzedDataProvider& in_;
    std::vector<std::byte> request_;
    int count_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    FuzzTransport transport(in);
    tools::Mode6Client client(transport, std::chrono::seconds(5), "fuzz");
    const auto op =
        in.ConsumeBool() ? proto::ControlOpcode::kReadVariables : proto::ControlOpcode::kReadStatus;
    auto r = client.request(op, in.ConsumeIntegral<uint16_t>(), "offset,jitter");
    if (r && r->data.size() > 65535 + proto::kControlMaxData) std::abort();
    return 0;
}
