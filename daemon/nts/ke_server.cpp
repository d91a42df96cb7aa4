#include "daemon/nts/ke_server.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <array>

#include "proto/nts/crypto/nts_packet.hpp"
#include "proto/nts/ke_record.hpp"

namespace ntplite::daemon::nts {

namespace pn = proto::nts;

struct KeServer::Session : std::enable_shared_from_this<Session> {
    Session(asio::ip::tcp::socket s, std::shared_ptr<ssl::context> ctx,
            std::unique_ptr<AcceptGuard::Ticket> t)
        : tls(std::move(ctx)),
          stream(std::move(s), *tls),
          deadline(stream.get_executor()),
          ticket(std::move(t)) {}
    std::shared_ptr<ssl::context> tls;  ///< the context this session started with (a reload
                                        ///< may replace the server's)
    ssl::stream<asio::ip::tcp::socket> stream;
    asio::steady_timer deadline;
    std::unique_ptr<AcceptGuard::Ticket> ticket;
    std::array<std::byte, pn::kKeMaxMessage> in{};
    std::size_t in_size = 0;
    std::array<std::byte, pn::kKeMaxMessage> out{};
    std::size_t out_size = 0;
    bool closed = false;    ///< timed out or evicted: already counted, no other failure counts
    bool answered = false;  ///< the answer is written: a slow TLS shutdown is no failure
};

NtsKeServerTotals KeServerCounters::totals() const {
    NtsKeServerTotals t;
    t.accepted = accepted.get();
    t.accept_errors = accept_errors.get();
    t.handshakes = handshakes.get();
    t.sessions = sessions.get();
    t.cookies_issued = cookies_issued.get();
    for (std::size_t i = 0; i < failures.size(); ++i) t.failures[i] = failures[i].get();
    return t;
}

namespace {

/// A failed server handshake: the ALPN callback's refusal (no ntske/1 offered) or anything else.
pn::KeServerFailure handshake_failure(const boost::system::error_code& ec) {
    if (ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_NO_APPLICATION_PROTOCOL)
        return pn::KeServerFailure::kAlpn;
    return pn::KeServerFailure::kTlsHandshake;
}

}  // namespace

KeServer::KeServer(KeServerSettings settings, const KeyRingPublisher& keys)
    : settings_(std::move(settings)), keys_(keys) {}

KeServer::~KeServer() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
}

std::expected<void, std::string> KeServer::open() {
    auto ctx = make_server_context(settings_.certificate, settings_.private_key);
    if (!ctx) return std::unexpected(ctx.error());
    tls_ = std::move(*ctx);
    for (const auto& ep : settings_.listen) {
        auto acc = std::make_unique<asio::ip::tcp::acceptor>(io_);
        boost::system::error_code ec;
        acc->open(ep.protocol(), ec);
        if (!ec) acc->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
        if (!ec && ep.address().is_v6()) acc->set_option(asio::ip::v6_only(true), ec);
        if (!ec) acc->bind(ep, ec);
        if (!ec) acc->listen(64, ec);
        if (ec)
            return std::unexpected(fmt::format("NTS-KE listen on {}:{}: {}",
                                               ep.address().to_string(), ep.port(), ec.message()));
        acceptors_.push_back(std::move(acc));
        guards_.push_back(std::make_unique<AcceptGuard>(
            io_, fmt::format("NTS-KE {}:{}", ep.address().to_string(), ep.port()),
            settings_.max_connections));
    }
    return {};
}

std::vector<asio::ip::tcp::endpoint> KeServer::endpoints() const {
    std::vector<asio::ip::tcp::endpoint> out;
    boost::system::error_code ec;
    for (const auto& a : acceptors_) out.push_back(a->local_endpoint(ec));
    return out;
}

void KeServer::start() {
    for (std::size_t i = 0; i < acceptors_.size(); ++i)
        guards_[i]->start([this, i] { accept_next(i); });
    thread_ = std::thread([this] { io_.run(); });
}

void KeServer::replace_tls(std::shared_ptr<ssl::context> tls) {
    asio::post(io_, [this, tls = std::move(tls)]() mutable { tls_ = std::move(tls); });
}

void KeServer::set_advertised(std::string ntp_server, std::optional<uint16_t> ntp_port) {
    asio::post(io_, [this, ntp_server = std::move(ntp_server), ntp_port]() mutable {
        settings_.ntp_server = std::move(ntp_server);
        settings_.ntp_port = ntp_port;
    });
}

void KeServer::accept_next(std::size_t i) {
    acceptors_[i]->async_accept(
        [this, i](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
            if (ec && ec != asio::error::operation_aborted) counters_.accept_errors.bump();
            auto ticket = guards_[i]->on_accept(ec);  // re-arms, pauses or caps this acceptor
            if (!ticket) return;
            counters_.accepted.bump();
            serve(std::make_shared<Session>(std::move(socket), tls_, std::move(ticket)));
        });
}

void KeServer::serve(std::shared_ptr<Session> s) {
    s->deadline.expires_after(settings_.session_deadline);
    s->deadline.async_wait([this, s](const boost::system::error_code& ec) {
        if (ec || s->closed) return;
        s->closed = true;
        if (!s->answered) counters_.fail(pn::KeServerFailure::kTimeout);
        boost::system::error_code ignored;
        s->stream.lowest_layer().close(ignored);
    });
    // Until its handshake is done the session may be closed for a newcomer at the cap: idle or
    // slow TLS clients cannot keep real ones out. The weak pointer: the guard may hold the
    // callback after the session is gone.
    s->ticket->idle([this, w = std::weak_ptr<Session>(s)] {
        auto session = w.lock();
        if (!session || session->closed) return;
        session->closed = true;
        counters_.fail(pn::KeServerFailure::kCapReached);
        boost::system::error_code ignored;
        session->stream.lowest_layer().close(ignored);
    });
    s->stream.async_handshake(ssl::stream_base::server, [this,
                                                         s](const boost::system::error_code& ec) {
        s->ticket->busy();
        if (s->closed) {
            s->deadline.cancel();
            return;
        }
        if (ec || !alpn_is_ntske(s->stream.native_handle())) {
            // A client that offers no ALPN at all completes the handshake: still not NTS-KE.
            counters_.fail(ec ? handshake_failure(ec) : pn::KeServerFailure::kAlpn);
            spdlog::debug("NTS-KE: handshake failed: {}", ec ? ec.message() : "no ntske/1 ALPN");
            s->deadline.cancel();
            return;
        }
        counters_.handshakes.bump();
        read_request(s);
    });
}

void KeServer::read_request(std::shared_ptr<Session> s) {
    // Read until a complete message (or the buffer is full), then answer once.
    s->stream.async_read_some(
        asio::buffer(s->in.data() + s->in_size, s->in.size() - s->in_size),
        [this, s](const boost::system::error_code& rec, std::size_t n) {
            if (rec) {
                if (!s->closed) counters_.fail(pn::KeServerFailure::kIo);
                spdlog::debug("NTS-KE: read failed: {}", rec.message());
                s->deadline.cancel();
                return;
            }
            s->in_size += n;
            const auto len = pn::message_length(std::span(s->in).first(s->in_size));
            if (!len && len.error() == pn::FramingError::kIncomplete && s->in_size < s->in.size()) {
                read_request(s);
                return;
            }
            s->out_size = answer(*s);
            asio::async_write(s->stream, asio::buffer(s->out.data(), s->out_size),
                              [this, s](const boost::system::error_code& wec, std::size_t) {
                                  if (wec) {
                                      if (!s->closed) counters_.fail(pn::KeServerFailure::kIo);
                                      s->deadline.cancel();
                                      return;
                                  }
                                  s->answered = true;
                                  s->stream.async_shutdown([s](const boost::system::error_code&) {
                                      boost::system::error_code ignored;
                                      s->stream.lowest_layer().close(ignored);
                                      s->deadline.cancel();
                                  });
                              });
        });
}

std::size_t KeServer::answer(Session& s) {
    const auto msg = std::span<const std::byte>(s.in).first(s.in_size);
    const auto len = pn::message_length(msg);
    if (!len) {
        counters_.fail(pn::KeServerFailure::kBadRequest);
        return pn::write_error(s.out, pn::KeErrorCode::kBadRequest);
    }
    const auto req = pn::parse_request(msg.first(*len));
    if (!req) {
        counters_.fail(pn::KeServerFailure::kBadRequest);
        spdlog::debug("NTS-KE: refused request: {}", pn::to_string(req.error()));
        return pn::write_error(s.out, pn::error_code_for(req.error()));
    }
    uint16_t aead = 0;
    for (std::size_t i = 0; i < req->aead_count && aead == 0; ++i)
        if (pn::aead_key_size(req->aeads[i]) != 0) aead = req->aeads[i];
    pn::SessionKeys keys;
    if (!req->ntpv4 || aead == 0) {
        counters_.fail(pn::KeServerFailure::kNoAlgorithm);
        return pn::write_error(s.out, pn::KeErrorCode::kBadRequest);
    }
    if (!export_keys(s.stream.native_handle(), aead, keys)) {
        counters_.fail(pn::KeServerFailure::kInternal);
        return pn::write_error(s.out, pn::KeErrorCode::kInternalServerError);
    }
    if (keys_.version() != ring_version_) {
        ring_version_ = keys_.version();
        ring_ = keys_.read();
    }
    std::array<std::array<std::byte, pn::kMaxOurCookieSize>, pn::kKeMaxCookies> cookies{};
    std::array<std::span<const std::byte>, pn::kKeMaxCookies> spans{};
    std::array<std::byte, pn::kCookieNonceSize> nonce{};
    for (std::size_t i = 0; i < pn::kKeMaxCookies; ++i) {
        std::size_t n = 0;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), int(nonce.size())) == 1)
            n = pn::make_cookie(aead_, ring_, nonce, keys, cookies[i]);
        if (n == 0) {
            counters_.fail(pn::KeServerFailure::kInternal);
            return pn::write_error(s.out, pn::KeErrorCode::kInternalServerError);
        }
        spans[i] = std::span(cookies[i]).first(n);
    }
    const std::size_t n =
        pn::write_response(s.out, aead, spans, settings_.ntp_server, settings_.ntp_port);
    if (n == 0) {
        counters_.fail(pn::KeServerFailure::kInternal);
        return pn::write_error(s.out, pn::KeErrorCode::kInternalServerError);
    }
    counters_.sessions.bump();
    spdlog::debug("NTS-KE: {} cookies (AEAD {}) for a client", pn::kKeMaxCookies, aead);
    counters_.cookies_issued.bump(pn::kKeMaxCookies);
    return n;
}

}  // namespace ntplite::daemon::nts
