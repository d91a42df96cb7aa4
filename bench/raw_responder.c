/* raw-responder: the "as fast as it gets" NTP server baseline for the benchmark.
 * One thread, one UDP socket, recvmmsg/sendmmsg batches; answers every 48-byte-or-longer mode 3
 * request with a 48-byte mode 4 reply (stratum 10, refid LOCL, origin = request transmit,
 * receive/transmit = CLOCK_REALTIME read once per batch). Everything else is dropped.
 * Never adjusts any clock. Bounded: exits after --seconds (default 60, max 3600) or on
 * SIGTERM/SIGINT, printing how many requests it answered.
 *
 * Usage: raw-responder [--addr 127.0.0.1] [--port 12300] [--seconds N] [--batch 64]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024
#define PKT_BYTES 48
#define BUF_BYTES 1100
/* Seconds between 1900-01-01 (NTP era 0) and 1970-01-01 (Unix epoch). */
#define NTP_UNIX_OFFSET_S 2208988800u

static volatile sig_atomic_t g_stop = 0;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

static void store_be32(unsigned char* p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Current CLOCK_REALTIME as a 64-bit NTP timestamp (seconds since 1900, 32.32 fixed point). */
static uint64_t ntp_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t sec = (uint64_t)ts.tv_sec + NTP_UNIX_OFFSET_S;
    uint64_t frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000u;
    return (sec << 32) | frac;
}

static void store_ts(unsigned char* p, uint64_t ts) {
    store_be32(p, (uint32_t)(ts >> 32));
    store_be32(p + 4, (uint32_t)ts);
}

static int usage(const char* prog) {
    fprintf(stderr, "usage: %s [--addr IPv4|IPv6] [--port N] [--seconds N (1..3600)] [--batch N]\n",
            prog);
    return 2;
}

int main(int argc, char** argv) {
    const char* addr = "127.0.0.1";
    long port = 12300, seconds = 60, batch = 64;
    for (int i = 1; i < argc; ++i) {
        if (i + 1 >= argc) return usage(argv[0]);
        if (strcmp(argv[i], "--addr") == 0)
            addr = argv[++i];
        else if (strcmp(argv[i], "--port") == 0)
            port = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = strtol(argv[++i], NULL, 10);
        else
            return usage(argv[0]);
    }
    if (port < 1 || port > 65535 || seconds < 1 || seconds > 3600 || batch < 1 || batch > MAX_BATCH)
        return usage(argv[0]);

    struct sockaddr_storage ss;
    socklen_t ss_len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in* sin = (struct sockaddr_in*)&ss;
    struct sockaddr_in6* sin6 = (struct sockaddr_in6*)&ss;
    if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        ss_len = sizeof *sin;
    } else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        ss_len = sizeof *sin6;
    } else {
        fprintf(stderr, "raw-responder: bad address %s\n", addr);
        return 2;
    }

    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr*)&ss, ss_len) != 0) {
        perror("raw-responder: socket/bind");
        return 1;
    }
    /* Wake up at least every 100 ms to check the deadline and signals. */
    struct timeval tv = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: recvmmsg returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    static unsigned char rx[MAX_BATCH][BUF_BYTES];
    static unsigned char tx[MAX_BATCH][PKT_BYTES];
    static struct sockaddr_storage peers[MAX_BATCH];
    static struct iovec rx_iov[MAX_BATCH], tx_iov[MAX_BATCH];
    static struct mmsghdr rx_msgs[MAX_BATCH], tx_msgs[MAX_BATCH];
    for (int i = 0; i < batch; ++i) {
        rx_iov[i].iov_base = rx[i];
        rx_iov[i].iov_len = BUF_BYTES;
        rx_msgs[i].msg_hdr.msg_iov = &rx_iov[i];
        rx_msgs[i].msg_hdr.msg_iovlen = 1;
        tx_iov[i].iov_base = tx[i];
        tx_iov[i].iov_len = PKT_BYTES;
        tx_msgs[i].msg_hdr.msg_iov = &tx_iov[i];
        tx_msgs[i].msg_hdr.msg_iovlen = 1;
    }

    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    unsigned long long answered = 0, dropped = 0, send_failed = 0;
    while (!g_stop) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= seconds) break;
        for (int i = 0; i < batch; ++i) {
            rx_msgs[i].msg_hdr.msg_name = &peers[i];
            rx_msgs[i].msg_hdr.msg_namelen = sizeof peers[i];
        }
        int n = recvmmsg(fd, rx_msgs, (unsigned)batch, MSG_WAITFORONE, NULL);
        if (n <= 0) continue; /* timeout, EINTR */
        uint64_t rx_ts = ntp_now();
        int out = 0;
        for (int i = 0; i < n; ++i) {
            const unsigned char* q = rx[i];
            if (rx_msgs[i].msg_len < PKT_BYTES || (q[0] & 7) != 3) {
                ++dropped;
                continue;
            }
            unsigned char* r = tx[out];
            unsigned version = (q[0] >> 3) & 7;
            memset(r, 0, PKT_BYTES);
            r[0] = (unsigned char)((version << 3) | 4); /* LI 0, request's version, mode 4 */
            r[1] = 10;                                  /* stratum */
            r[2] = q[2];                                /* poll: echo the client's */
            r[3] = (unsigned char)-20;                  /* precision ~1 us */
            store_be32(r + 8, 1u << 16 >> 4);           /* root dispersion 1/16 s */
            memcpy(r + 12, "LOCL", 4);
            store_ts(r + 16, rx_ts);   /* reference */
            memcpy(r + 24, q + 40, 8); /* origin = request's transmit */
            store_ts(r + 32, rx_ts);   /* receive */
            tx_msgs[out].msg_hdr.msg_name = &peers[i];
            tx_msgs[out].msg_hdr.msg_namelen = rx_msgs[i].msg_hdr.msg_namelen;
            ++out;
        }
        if (out == 0) continue;
        uint64_t tx_ts = ntp_now();
        for (int i = 0; i < out; ++i) store_ts(tx[i] + 40, tx_ts);
        int sent = 0;
        while (sent < out) {
            int r = sendmmsg(fd, tx_msgs + sent, (unsigned)(out - sent), 0);
            if (r <= 0) {
                if (r < 0 && errno == EINTR) continue;
                send_failed += (unsigned long long)(out - sent);
                break;
            }
            sent += r;
        }
        answered += (unsigned long long)sent;
    }
    fprintf(stderr, "raw-responder: answered %llu, dropped %llu, send failed %llu\n", answered,
            dropped, send_failed);
    close(fd);
    return 0;
}
