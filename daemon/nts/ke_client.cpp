#include "daemon/nts/ke_client.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace ntplite::daemon::nts {

namespace pn = proto::nts;

KeClient::KeClient(asio::io_context& io, std::shared_ptr<ssl::context> tls)
    : io_(io), tls_(std::move(tls)), deadline_(io) {}

void KeClient::start(const asio::ip::tcp::endpoint& server, std::string name, Done done) {
    done_ = std::move(done);
    name_ = std::move(name);
    size_ = 0;
    timed_out_ = false;
    stream_ = std::make_unique<ssl::stream<asio::ip::tcp::socket>>(io_, *tls_);
    SSL* ssl = stream_->native_handle();
    set_peer_name(ssl, name_);
    auto self = shared_from_this();
    deadline_.expires_after(kDeadline);
    deadline_.async_wait([self](const boost::system::error_code& ec) {
        if (ec || !self->done_) return;
        self->timed_out_ = true;
        self->fail(KeFailure::kTimeout, "no answer within the deadline");
    });
    stream_->lowest_layer().async_connect(server, [self](const boost::system::error_code& ec) {
        if (!self->done_) return;
        if (ec) return self->fail(KeFailure::kConnect, ec.message());
        self->stream_->async_handshake(
            ssl::stream_base::client, [self](const boost::system::error_code& hec) {
                if (!self->done_) return;
                SSL* s = self->stream_->native_handle();
                const long verify = SSL_get_verify_result(s);
                if (hec && verify != X509_V_OK)
                    return self->fail(KeFailure::kCertificate,
                                      X509_verify_cert_error_string(verify));
                if (hec) return self->fail(KeFailure::kTls, hec.message());
                if (!alpn_is_ntske(s)) return self->fail(KeFailure::kTls, "no ntske/1 ALPN");
                const std::size_t n = pn::write_request(self->buf_, kClientAeads);
                asio::async_write(*self->stream_, asio::buffer(self->buf_.data(), n),
                                  [self](const boost::system::error_code& wec, std::size_t) {
                                      if (!self->done_) return;
                                      if (wec) return self->fail(KeFailure::kTls, wec.message());
                                      self->read_response();
                                  });
            });
    });
}

void KeClient::read_response() {
    auto self = shared_from_this();
    stream_->async_read_some(
        asio::buffer(buf_.data() + size_, buf_.size() - size_),
        [self](const boost::system::error_code& ec, std::size_t n) {
            if (!self->done_) return;
            self->size_ += n;
            const auto len = pn::message_length(std::span(self->buf_).first(self->size_));
            if (!len) {
                if (len.error() == pn::FramingError::kIncomplete && !ec &&
                    self->size_ < self->buf_.size())
                    return self->read_response();
                return self->fail(ec && len.error() == pn::FramingError::kIncomplete
                                      ? KeFailure::kTls
                                      : KeFailure::kProtocol,
                                  ec ? ec.message() : std::string(pn::to_string(len.error())));
            }
            auto result = std::make_unique<KeResult>();
            uint16_t code = 0;
            const auto parsed = pn::parse_response(std::span(self->buf_).first(*len), kClientAeads,
                                                   result->response, &code);
            if (!parsed) {
                if (parsed.error() == pn::KeResponseError::kServerError)
                    return self->fail(KeFailure::kServerError, fmt::format("error code {}", code));
                return self->fail(KeFailure::kProtocol, std::string(pn::to_string(parsed.error())));
            }
            if (!export_keys(self->stream_->native_handle(), result->response.aead, result->keys))
                return self->fail(KeFailure::kTls, "key export failed");
            // Close politely but do not wait for it.
            self->stream_->async_shutdown([self](const boost::system::error_code&) {
                boost::system::error_code ignored;
                self->stream_->lowest_layer().close(ignored);
            });
            self->finish(std::move(result));
        });
}

void KeClient::fail(KeFailure kind, std::string detail) {
    boost::system::error_code ignored;
    if (stream_) stream_->lowest_layer().close(ignored);
    finish(std::unexpected(KeError{kind, std::move(detail)}));
}

void KeClient::finish(std::expected<std::unique_ptr<KeResult>, KeError> r) {
    deadline_.cancel();
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(r));
}

void KeClient::cancel() {
    done_ = nullptr;
    deadline_.cancel();
    boost::system::error_code ignored;
    if (stream_) stream_->lowest_layer().close(ignored);
}

}  // namespace ntplite::daemon::nts
