// Refid and Kiss-o'-Death helpers (RFC 5905 sections 7.3, 7.4).
#include "proto/refid.hpp"

#include <cstdio>

#include "proto/md5.hpp"

namespace ntplite::proto {

namespace {

struct KissEntry {
    uint32_t refid;
    KissCode code;
    std::string_view name;
    std::string_view meaning;
};

// RFC 5905 figure 13 plus the IANA registry additions (NTSN from RFC 8915).
constexpr KissEntry kKissTable[] = {
    {refid_from_ascii("RATE"), KissCode::kRate, "RATE", "rate exceeded, reduce poll"},
    {refid_from_ascii("DENY"), KissCode::kDeny, "DENY", "access denied, stop sending"},
    {refid_from_ascii("RSTR"), KissCode::kRstr, "RSTR", "access restricted, stop sending"},
    {refid_from_ascii("INIT"), KissCode::kInit, "INIT", "association not yet synchronized"},
    {refid_from_ascii("STEP"), KissCode::kStep, "STEP", "clock stepped, re-synchronizing"},
    {refid_from_ascii("AUTH"), KissCode::kAuth, "AUTH", "server authentication failed"},
    {refid_from_ascii("AUTO"), KissCode::kAuto, "AUTO", "autokey sequence failed"},
    {refid_from_ascii("BCST"), KissCode::kBcst, "BCST", "broadcast association"},
    {refid_from_ascii("CRYP"), KissCode::kCryp, "CRYP", "cryptographic authentication failed"},
    {refid_from_ascii("DROP"), KissCode::kDrop, "DROP", "lost peer in symmetric mode"},
    {refid_from_ascii("MCST"), KissCode::kMcst, "MCST", "multicast association"},
    {refid_from_ascii("NKEY"), KissCode::kNkey, "NKEY", "no key found"},
    {refid_from_ascii("NTSN"), KissCode::kNtsn, "NTSN", "NTS negative acknowledgement"},
};

bool is_printable(uint8_t c) {
    return c >= 0x20 && c < 0x7f;
}

// The refid's characters up to the first NUL; nullopt if any of them is not printable ASCII.
std::optional<std::string> ascii_code(uint32_t refid) {
    std::string s;
    for (int shift = 24; shift >= 0; shift -= 8) {
        const auto c = static_cast<uint8_t>(refid >> shift);
        if (c == 0) break;
        if (!is_printable(c)) return std::nullopt;
        s.push_back(static_cast<char>(c));
    }
    return s;
}

std::string dotted_quad(uint32_t refid) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", refid >> 24, (refid >> 16) & 0xff,
                  (refid >> 8) & 0xff, refid & 0xff);
    return buf;
}

}  // namespace

std::string_view kiss_name(KissCode code) {
    for (const auto& e : kKissTable) {
        if (e.code == code) return e.name;
    }
    return "OTHER";
}

uint32_t refid_from_ipv6(const std::array<uint8_t, 16>& addr) {
    const auto digest = md5(std::as_bytes(std::span(addr)));
    return uint32_t{digest[0]} << 24 | uint32_t{digest[1]} << 16 | uint32_t{digest[2]} << 8 |
           digest[3];
}

bool is_kod(const Packet& p) {
    // Only replies carry kisses: a stratum 0 client request is just "unspecified".
    const bool reply_mode = p.mode == Mode::kServer || p.mode == Mode::kSymmetricActive ||
                            p.mode == Mode::kSymmetricPassive || p.mode == Mode::kBroadcast;
    return reply_mode && p.stratum == 0;
}

std::optional<KissCode> kiss_code(const Packet& p) {
    if (!is_kod(p)) return std::nullopt;
    for (const auto& e : kKissTable) {
        if (e.refid == p.refid) return e.code;
    }
    return KissCode::kOther;
}

std::string describe_kiss(uint32_t refid) {
    const auto code = ascii_code(refid);
    std::string name = code ? *code : dotted_quad(refid);
    for (const auto& e : kKissTable) {
        if (e.refid == refid) return name + " (" + std::string(e.meaning) + ")";
    }
    return name + " (unknown kiss code)";
}

std::string format_refid(uint32_t refid, uint8_t stratum) {
    // Stratum 0 (KoD), 1 (reference clock) and 16 (unsynchronized: "INIT", "STEP") carry ASCII.
    // Anything else is an address (or an IPv6 hash), printed as a dotted quad.
    if (stratum <= 1 || stratum >= 16) {
        if (auto code = ascii_code(refid)) return "." + *code + ".";
    }
    return dotted_quad(refid);
}

}  // namespace ntplite::proto
