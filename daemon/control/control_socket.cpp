#include "daemon/control/control_socket.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "daemon/policy/monitor/control_json.hpp"

namespace ntplite::daemon {
namespace {

struct Session : std::enable_shared_from_this<Session> {
    Session(asio::local::stream_protocol::socket s, std::unique_ptr<AcceptGuard::Ticket> t)
        : socket(std::move(s)), deadline(socket.get_executor()), ticket(std::move(t)) {}
    asio::local::stream_protocol::socket socket;
    asio::steady_timer deadline;  // the whole exchange, read and write (issue 14)
    std::unique_ptr<AcceptGuard::Ticket> ticket;
    asio::streambuf in{ControlSocket::kMaxRequest};
    std::string out;
};

/// One exchange: a request line in, the reply out, all within kSessionDeadline.
void serve(ControlSocket* self, std::shared_ptr<Session> session) {
    session->deadline.expires_after(ControlSocket::kSessionDeadline);
    session->deadline.async_wait([session](const boost::system::error_code& ec) {
        if (ec) return;  // cancelled: the exchange finished in time
        boost::system::error_code ignored;
        session->socket.close(ignored);  // a slow or idle client loses its slot
    });
    // Until the request line is in, a newcomer at the connection cap may evict this session.
    session->ticket->idle([weak = std::weak_ptr<Session>(session)] {
        if (auto s = weak.lock()) {
            boost::system::error_code ignored;
            s->socket.close(ignored);
            s->deadline.cancel();
        }
    });
    asio::async_read_until(
        session->socket, session->in, '\n',
        [self, session](const boost::system::error_code& rec, std::size_t n) {
            session->ticket->busy();
            if (rec == asio::error::operation_aborted || !session->socket.is_open()) return;
            std::string line;
            if (!rec) {
                line.assign(
                    asio::buffers_begin(session->in.data()),
                    asio::buffers_begin(session->in.data()) + static_cast<std::ptrdiff_t>(n));
            }
            session->out = rec ? std::string(
                                     "{\"ok\": false, \"error\": \"request line "
                                     "missing or longer than 256 bytes\"}\n")
                               : self->handle(line);
            asio::async_write(session->socket, asio::buffer(session->out),
                              [session](const boost::system::error_code&, std::size_t) {
                                  boost::system::error_code ignored;
                                  session->socket.shutdown(
                                      asio::local::stream_protocol::socket::shutdown_both, ignored);
                                  session->deadline.cancel();
                              });
        });
}

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

std::optional<pid_t> live_socket_owner(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) return std::nullopt;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    std::optional<pid_t> owner;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
        ucred cred{};
        socklen_t len = sizeof cred;
        owner = ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
    } else if (errno != ECONNREFUSED && errno != ENOENT) {
        owner = 0;  // e.g. EACCES: someone's socket we cannot even probe; never remove it
    }
    ::close(fd);
    return owner;
}

std::expected<void, std::string> ControlSocket::open(const std::string& path, uint32_t mode) {
    struct stat st {};
    // Replace a stale socket left by a crash, never any other kind of file, and never a socket
    // a live process (another daemon) still accepts connections on.
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return std::unexpected("control socket " + path + " exists and is not a socket");
        if (auto owner = live_socket_owner(path)) {
            return std::unexpected(
                "control socket " + path + " is in use by " +
                (*owner > 0 ? "pid " + std::to_string(*owner) : std::string("another process")) +
                " (another ntpd-lite?)");
        }
        ::unlink(path.c_str());
    }
    boost::system::error_code ec;
    auto acc = std::make_unique<asio::local::stream_protocol::acceptor>(io_);
    acc->open(asio::local::stream_protocol(), ec);
    if (!ec) {
        // The socket file is created by bind() with the process umask: narrow the umask around
        // bind so the file has `mode` from the moment it is visible (a chmod afterwards left a
        // window, and followed a symlink swapped in). The umask is process-wide; this runs
        // during start-up, before anything else creates files.
        const mode_t old_umask = ::umask(static_cast<mode_t>(~mode & 0777));
        acc->bind(asio::local::stream_protocol::endpoint(path), ec);
        ::umask(old_umask);
    }
    if (ec) return std::unexpected("cannot create control socket " + path + ": " + ec.message());
    acc->listen(kListenBacklog, ec);
    if (ec) return std::unexpected("cannot listen on control socket " + path + ": " + ec.message());
    acceptor_ = std::move(acc);
    path_ = path;
    inode_ = ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
    guard_.start([this] { accept(); });
    spdlog::info("control socket {} (mode {:o})", path, mode);
    return {};
}

void ControlSocket::close() {
    if (!acceptor_) return;
    guard_.stop();
    boost::system::error_code ec;
    acceptor_->close(ec);
    acceptor_.reset();
    // Only the socket file we created: another daemon may have replaced it since.
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_ino == inode_) ::unlink(path_.c_str());
}

void ControlSocket::accept() {
    acceptor_->async_accept(
        [this](const boost::system::error_code& ec, asio::local::stream_protocol::socket s) {
            if (ec == asio::error::operation_aborted || !acceptor_) return;
            auto ticket = guard_.on_accept(ec);  // re-arms, pauses or caps the acceptor
            if (ticket) serve(this, std::make_shared<Session>(std::move(s), std::move(ticket)));
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
