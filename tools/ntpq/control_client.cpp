#include "tools/ntpq/control_client.hpp"

#include <fmt/format.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

namespace ntplite::tools {
namespace {

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

ControlFailure unreachable(const std::string& path, const std::string& why) {
    return {ExitCode::kDaemonUnreachable, "daemon_unreachable",
            "cannot reach the control socket " + path + ": " + why +
                " (is ntpd-lite running with [control] socket = \"" + path + "\"?)"};
}

bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, events, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
        if (r > 0) return true;
        if (r == 0) return false;
        if (errno != EINTR) return false;
    }
}

void print_failure(const ControlFailure& f, bool json, std::ostream& out, std::ostream& err,
                   std::string_view schema = kResyncJsonSchema) {
    if (json) {
        nlohmann::ordered_json j;
        j["schema"] = schema;
        j["ok"] = false;
        j["exit_code"] = static_cast<int>(f.code);
        j["error"] = {{"code", f.token}, {"message", f.message}};
        out << j.dump(2) << "\n";
    }
    err << "ntpq-lite: " << f.message << "\n";
}

}  // namespace

std::expected<std::string, ControlFailure> control_request(const std::string& path,
                                                           std::string_view command,
                                                           std::chrono::milliseconds timeout) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path)
        return std::unexpected(unreachable(path, "path too long"));
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (s.fd < 0) return std::unexpected(unreachable(path, std::strerror(errno)));
    if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno == EACCES || errno == EPERM) {
            return std::unexpected(ControlFailure{ExitCode::kDaemonRefused, "daemon_refused",
                                                  "permission denied on the control socket " +
                                                      path + " (see [control] socket_mode)"});
        }
        return std::unexpected(unreachable(path, std::strerror(errno)));
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::string line = std::string(command) + "\n";
    if (::send(s.fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
        return std::unexpected(unreachable(path, std::strerror(errno)));
    }
    std::string reply;
    char buf[4096];
    for (;;) {
        if (!wait_for(s.fd, POLLIN, deadline)) {
            return std::unexpected(
                unreachable(path, "no answer within " + std::to_string(timeout.count()) + " ms"));
        }
        const ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::unexpected(unreachable(path, std::strerror(errno)));
        if (n == 0) break;
        reply.append(buf, static_cast<std::size_t>(n));
        if (reply.size() > (16u << 20)) break;
    }
    if (reply.empty())
        return std::unexpected(
            unreachable(path, "the daemon closed the connection without answering"));
    return reply;
}

ExitCode run_resync(const ControlOptions& o, std::ostream& out, std::ostream& err) {
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
    auto reply = control_request(o.socket_path, "resync", timeout);
    if (!reply) {
        print_failure(reply.error(), o.json, out, err);
        return reply.error().code;
    }
    auto parsed = parse_resync_reply(*reply);
    if (!parsed) {
        print_failure(parsed.error(), o.json, out, err);
        return parsed.error().code;
    }
    if (o.json) {
        nlohmann::ordered_json d;
        d["schema"] = kResyncJsonSchema;
        d["ok"] = true;
        d["sources"] = parsed->sources;
        d["message"] = parsed->message;
        d["exit_code"] = 0;
        d["error"] = nullptr;
        out << d.dump(2) << "\n";
    } else {
        out << "resync: " << (parsed->message.empty() ? std::string("ok") : parsed->message)
            << "\n";
    }
    return ExitCode::kOk;
}

std::expected<ResyncReply, ControlFailure> parse_resync_reply(std::string_view text) {
    // No exceptions: a hostile or broken peer on the socket must give an exit status, never a
    // nlohmann::json::type_error escaping main() (was: {"ok": 1} or {"sources": "x"} aborted).
    const ControlFailure invalid{ExitCode::kInvalidResponse, "invalid_response",
                                 "the daemon's answer is not the expected JSON"};
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::unexpected(invalid);
    const auto ok = j.find("ok");
    if (ok == j.end() || !ok->is_boolean()) return std::unexpected(invalid);
    auto string_field = [&](const char* key) -> std::optional<std::string> {
        const auto it = j.find(key);
        if (it == j.end()) return std::string();
        if (!it->is_string()) return std::nullopt;
        return it->get<std::string>();
    };
    if (!ok->get<bool>()) {
        const auto why = string_field("error");
        if (!why) return std::unexpected(invalid);
        return std::unexpected(ControlFailure{
            ExitCode::kDaemonRefused, "daemon_refused",
            "resync refused: " + (why->empty() ? std::string("no reason given") : *why)});
    }
    ResyncReply r;
    if (const auto it = j.find("sources"); it != j.end()) {
        if (!it->is_number_integer()) return std::unexpected(invalid);
        r.sources = it->is_number_unsigned()
                        ? static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX))
                        : it->get<int64_t>();
    }
    const auto message = string_field("message");
    if (!message) return std::unexpected(invalid);
    r.message = *message;
    return r;
}

ExitCode run_snapshot(const ControlOptions& o, std::ostream& out, std::ostream& err) {
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
    auto reply = control_request(o.socket_path, "snapshot", timeout);
    if (!reply) {
        print_failure(reply.error(), o.json, out, err, kSnapshotJsonSchema);
        return reply.error().code;
    }
    auto j = nlohmann::ordered_json::parse(*reply, nullptr, false);
    if (j.is_discarded()) {
        ControlFailure f{ExitCode::kInvalidResponse, "invalid_response",
                         "the daemon's snapshot is not valid JSON"};
        print_failure(f, o.json, out, err, kSnapshotJsonSchema);
        return f.code;
    }
    out << j.dump(2) << "\n";
    return ExitCode::kOk;
}

std::string format_clients(const nlohmann::json& reply) {
    std::string out = fmt::format("{:<31} {:>9} {:>9} {:>8} {:>6} {:>9}\n", "Address", "Requests",
                                  "Answered", "Dropped", "KoD", "Last seen");
    out += std::string(79, '=') + "\n";
    for (const auto& c : reply.value("clients", nlohmann::json::array())) {
        const double ago_s = static_cast<double>(c.value("last_seen_ago_ns", int64_t{0})) / 1e9;
        // An address longer than its column (a full IPv6 address) gets a line of its own, so
        // the numbers stay under their headers within 79 columns.
        std::string address = c.value("address", std::string("?"));
        if (address.size() > 31) {
            out += address + "\n";
            address.clear();
        }
        out += fmt::format("{:<31} {:>9} {:>9} {:>8} {:>6} {:>7.0f} s\n", address,
                           c.value("requests", uint64_t{0}), c.value("answered", uint64_t{0}),
                           c.value("dropped", uint64_t{0}), c.value("kod", uint64_t{0}), ago_s);
    }
    if (reply.value("clients", nlohmann::json::array()).empty()) out += "(no clients seen)\n";
    return out;
}

ExitCode run_clients(const ControlOptions& o, std::ostream& out, std::ostream& err) {
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
    auto reply = control_request(o.socket_path, "clients", timeout);
    if (!reply) {
        print_failure(reply.error(), o.json, out, err, kClientsJsonSchema);
        return reply.error().code;
    }
    auto j = nlohmann::ordered_json::parse(*reply, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("ok")) {
        ControlFailure f{ExitCode::kInvalidResponse, "invalid_response",
                         "the daemon's answer is not the expected JSON"};
        print_failure(f, o.json, out, err, kClientsJsonSchema);
        return f.code;
    }
    if (!j["ok"].get<bool>()) {
        ControlFailure f{ExitCode::kDaemonRefused, "daemon_refused",
                         "clients refused: " + j.value("error", std::string("no reason given"))};
        print_failure(f, o.json, out, err, kClientsJsonSchema);
        return f.code;
    }
    if (o.json) {
        nlohmann::ordered_json d;
        d["schema"] = kClientsJsonSchema;
        d["ok"] = true;
        d["table_slots"] = j.value("table_slots", 0);
        d["evictions"] = j.value("evictions", 0);
        d["clients"] = j.value("clients", nlohmann::ordered_json::array());
        d["exit_code"] = 0;
        d["error"] = nullptr;
        out << d.dump(2) << "\n";
    } else {
        out << format_clients(j);
    }
    return ExitCode::kOk;
}

}  // namespace ntplite::tools
