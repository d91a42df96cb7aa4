#include "daemon/control/control_socket.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "daemon/policy/monitor/control_json.hpp"

namespace ntplite::daemon {
namespace {

struct Session : std::enable_shared_from_this<Session> {
    explicit Session(asio::local::stream_protocol::socket s) : socket(std::move(s)) {}
    asio::local::stream_protocol::socket socket;
    asio::streambuf in{ControlSocket::kMaxRequest};
    std::string out;
};

}  // namespace

ControlSocket::ControlSocket(asio::io_context& io, SnapshotFn snapshot, ResyncFn resync,
                             ClientsFn clients)
    : io_(io),
      snapshot_(std::move(snapshot)),
      resync_(std::move(resync)),
      clients_(std::move(clients)) {}

ControlSocket::~ControlSocket() {
    close();
}

std::expected<void, std::string> ControlSocket::open(const std::string& path, uint32_t mode) {
    struct stat st {};
    // Replace a stale socket left by a crash, never any other kind of file.
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return std::unexpected("control socket " + path + " exists and is not a socket");
        ::unlink(path.c_str());
    }
    boost::system::error_code ec;
    auto acc = std::make_unique<asio::local::stream_protocol::acceptor>(io_);
    acc->open(asio::local::stream_protocol(), ec);
    if (!ec) acc->bind(asio::local::stream_protocol::endpoint(path), ec);
    if (ec) return std::unexpected("cannot create control socket " + path + ": " + ec.message());
    if (::chmod(path.c_str(), mode) != 0) {
        return std::unexpected("cannot set mode of control socket " + path + ": " +
                               std::strerror(errno));
    }
    acc->listen(8, ec);
    if (ec) return std::unexpected("cannot listen on control socket " + path + ": " + ec.message());
    acceptor_ = std::move(acc);
    path_ = path;
    accept();
    spdlog::info("control socket {} (mode {:o})", path, mode);
    return {};
}

void ControlSocket::close() {
    if (!acceptor_) return;
    boost::system::error_code ec;
    acceptor_->close(ec);
    acceptor_.reset();
    ::unlink(path_.c_str());
}

void ControlSocket::accept() {
    acceptor_->async_accept(
        [this](const boost::system::error_code& ec, asio::local::stream_protocol::socket s) {
            if (ec == asio::error::operation_aborted || !acceptor_) return;
            if (!ec) {
                auto session = std::make_shared<Session>(std::move(s));
                asio::async_read_until(
                    session->socket, session->in, '\n',
                    [this, session](const boost::system::error_code& rec, std::size_t n) {
                        std::string line;
                        if (!rec) {
                            line.assign(asio::buffers_begin(session->in.data()),
                                        asio::buffers_begin(session->in.data()) +
                                            static_cast<std::ptrdiff_t>(n));
                        }
                        session->out = rec ? std::string(
                                                 "{\"ok\": false, \"error\": \"request line "
                                                 "missing or longer than 256 bytes\"}\n")
                                           : handle(line);
                        asio::async_write(
                            session->socket, asio::buffer(session->out),
                            [session](const boost::system::error_code&, std::size_t) {
                                boost::system::error_code ignored;
                                session->socket.shutdown(
                                    asio::local::stream_protocol::socket::shutdown_both, ignored);
                            });
                    });
            }
            accept();
        });
}

std::string ControlSocket::handle(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' '))
        line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    nlohmann::ordered_json j;
    if (line == "snapshot") return snapshot_json(snapshot_()).dump() + "\n";
    if (line == "clients") {
        if (clients_) return clients_() + "\n";
        j["ok"] = false;
        j["error"] = "this daemon keeps no client list (no [[server]] configured)";
        return j.dump() + "\n";
    }
    if (line == "resync") {
        auto r = resync_();
        if (r) {
            j["ok"] = true;
            j["sources"] = *r;
            j["message"] = *r > 0 ? "burst started on " + std::to_string(*r) + " source(s)"
                                  : std::string(
                                        "no new burst: one is under way or started less "
                                        "than a minimum poll ago; names that did not "
                                        "resolve are resolved again");
        } else {
            j["ok"] = false;
            j["error"] = r.error();
        }
        return j.dump() + "\n";
    }
    j["ok"] = false;
    j["error"] = "unknown request (expected \"resync\", \"snapshot\" or \"clients\")";
    return j.dump() + "\n";
}

}  // namespace ntplite::daemon
