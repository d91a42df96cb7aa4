// Self-test of the clock-emulation shim (tests/shim/clock_shim.c).
//
//   shim_selftest emulated   run with LD_PRELOAD=<shim>, NTPLITE_SHIM_OFFSET_NS,
//                            NTPLITE_SHIM_FREQ_PPM, NTPLITE_SHIM_STATE set, under
//                            `setpriv --bounding-set=-sys_time`: every read and adjustment goes
//                            to the emulated clock and the real clock does not move.
//   shim_selftest no-shim    run WITHOUT the shim under setpriv: the kernel refuses the
//                            adjustment with EPERM (the fail-safe the daemon tests rely on).
//
// Fail-safe first: both modes refuse to adjust anything unless CAP_SYS_TIME is absent from the
// effective set, and "emulated" additionally refuses unless the shim is present, so this program
// can never change the machine's clock even when run by hand as root.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S INT64_C(1000000000)
#define CAP_SYS_TIME_BIT 25

static int g_failures;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
            g_failures++;                                                   \
        }                                                                   \
    } while (0)

static int64_t ts_ns(struct timespec ts) {
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static int64_t abs64(int64_t x) {
    return x < 0 ? -x : x;
}

/* The real CLOCK_REALTIME, bypassing the shim's clock_gettime (the shim passes this through). */
static int64_t real_realtime_ns(void) {
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
    return ts_ns(ts);
}

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts_ns(ts);
}

static int64_t emulated_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts_ns(ts);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Emulated minus monotonic, from the tightest of many (M, E, M) triples, so preemption on a busy
 * machine does not distort rate measurements. */
static int64_t emulated_minus_mono_ns(void) {
    int64_t best_width = INT64_MAX, best = 0;
    for (int i = 0; i < 200; i++) {
        int64_t m1 = monotonic_ns();
        int64_t e = emulated_ns();
        int64_t m2 = monotonic_ns();
        if (m2 - m1 < best_width) {
            best_width = m2 - m1;
            best = e - (m1 + (m2 - m1) / 2);
        }
    }
    return best;
}

/* Real realtime minus monotonic: constant unless someone steps or slews the real clock. */
static int64_t real_minus_mono_ns(void) {
    int64_t best_width = INT64_MAX, best = 0;
    for (int i = 0; i < 200; i++) {
        int64_t m1 = monotonic_ns();
        int64_t r = real_realtime_ns();
        int64_t m2 = monotonic_ns();
        if (m2 - m1 < best_width) {
            best_width = m2 - m1;
            best = r - (m1 + (m2 - m1) / 2);
        }
    }
    return best;
}

static int has_cap_sys_time(void) {
    FILE* f = fopen("/proc/self/status", "r");
    if (f == NULL) return 1; /* unknown: assume the worst */
    char line[256];
    int has = 1;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long long eff;
        if (sscanf(line, "CapEff: %llx", &eff) == 1) has = (eff >> CAP_SYS_TIME_BIT) & 1;
    }
    fclose(f);
    return has;
}

static int shim_loaded(void) {
    return dlsym(RTLD_DEFAULT, "ntplite_clock_shim_version") != NULL;
}

static int64_t env_i64(const char* name) {
    const char* v = getenv(name);
    if (v == NULL) {
        fprintf(stderr, "FAIL: %s must be set\n", name);
        exit(2);
    }
    return strtoll(v, NULL, 10);
}

/* Reads key=value from the shim's state file; returns 0 if absent. */
static int state_value(const char* key, char* out, size_t out_len) {
    const char* path = getenv("NTPLITE_SHIM_STATE");
    FILE* f = path ? fopen(path, "r") : NULL;
    if (f == NULL) return 0;
    char line[256];
    size_t klen = strlen(key);
    int found = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
            snprintf(out, out_len, "%s", line + klen + 1);
            out[strcspn(out, "\n")] = '\0';
            found = 1;
        }
    }
    fclose(f);
    return found;
}

static int adj(struct timex* tx) {
    return clock_adjtime(CLOCK_REALTIME, tx);
}

static void step_by_ns(int64_t step_ns) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_SETOFFSET | ADJ_NANO;
    tx.time.tv_sec = step_ns / NS_PER_S;
    tx.time.tv_usec = step_ns % NS_PER_S; /* nanoseconds with ADJ_NANO, must be in [0, 1e9) */
    if (tx.time.tv_usec < 0) {
        tx.time.tv_usec += NS_PER_S;
        tx.time.tv_sec -= 1;
    }
    CHECK(adj(&tx) >= 0, "step: %s", strerror(errno));
}

/* Sends a datagram to itself and returns the kernel RX timestamp of SO_TIMESTAMPNS (ns) via
 * recvmsg, or of SO_TIMESTAMP (us) via recvmmsg. */
static int64_t rx_timestamp_ns(int use_recvmmsg) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0, "socket: %s", strerror(errno));
    int on = 1;
    int opt = use_recvmmsg ? SO_TIMESTAMP : SO_TIMESTAMPNS;
    CHECK(setsockopt(fd, SOL_SOCKET, opt, &on, sizeof on) == 0, "setsockopt: %s", strerror(errno));
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    CHECK(bind(fd, (struct sockaddr*)&a, sizeof a) == 0, "bind: %s", strerror(errno));
    getsockname(fd, (struct sockaddr*)&a, &alen);
    CHECK(sendto(fd, "x", 1, 0, (struct sockaddr*)&a, sizeof a) == 1, "sendto: %s",
          strerror(errno));

    char data[16];
    union {
        char buf[256];
        struct cmsghdr align;
    } control;
    struct iovec iov = {data, sizeof data};
    struct mmsghdr mm;
    memset(&mm, 0, sizeof mm);
    mm.msg_hdr.msg_iov = &iov;
    mm.msg_hdr.msg_iovlen = 1;
    mm.msg_hdr.msg_control = control.buf;
    mm.msg_hdr.msg_controllen = sizeof control.buf;
    if (use_recvmmsg) {
        CHECK(recvmmsg(fd, &mm, 1, 0, NULL) == 1, "recvmmsg: %s", strerror(errno));
    } else {
        CHECK(recvmsg(fd, &mm.msg_hdr, 0) == 1, "recvmsg: %s", strerror(errno));
    }
    close(fd);
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&mm.msg_hdr); c != NULL;
         c = CMSG_NXTHDR(&mm.msg_hdr, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            return ts_ns(ts);
        }
        if (c->cmsg_type == SCM_TIMESTAMP) {
            struct timeval tv;
            memcpy(&tv, CMSG_DATA(c), sizeof tv);
            return (int64_t)tv.tv_sec * NS_PER_S + (int64_t)tv.tv_usec * 1000;
        }
    }
    CHECK(0, "no timestamp control message");
    return 0;
}

/* Concurrency: readers on several threads while the main thread keeps changing frequency and
 * slew. Without steps the emulated clock must never run backwards in any thread (re-anchoring
 * must be continuous), and nothing may deadlock or tear. */
static atomic_int g_stop;
static atomic_int g_backwards;
static atomic_long g_reads;

static void* reader_thread(void* arg) {
    (void)arg;
    int64_t last = emulated_ns();
    while (!atomic_load(&g_stop)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now = ts_ns(ts);
        if (now < last) atomic_fetch_add(&g_backwards, 1);
        last = now;
        /* Bursts of reads with short pauses: contention without starving the writer. */
        if (atomic_fetch_add(&g_reads, 1) % 64 == 0) usleep(50);
    }
    return NULL;
}

static void check_threads(void) {
    pthread_t readers[3];
    for (int i = 0; i < 3; i++) pthread_create(&readers[i], NULL, reader_thread, NULL);
    for (int i = 0; i < 200; i++) {
        struct timex tx;
        memset(&tx, 0, sizeof tx);
        tx.modes = ADJ_FREQUENCY;
        tx.freq = (i % 2 ? 400L : -400L) << 16;
        CHECK(adj(&tx) >= 0, "ADJ_FREQUENCY: %s", strerror(errno));
        memset(&tx, 0, sizeof tx);
        tx.modes = ADJ_OFFSET_SINGLESHOT;
        tx.offset = i % 3 ? 1000 : -1000;
        CHECK(adj(&tx) >= 0, "singleshot: %s", strerror(errno));
        if (i % 50 == 0) sleep_ms(1);
    }
    atomic_store(&g_stop, 1);
    for (int i = 0; i < 3; i++) pthread_join(readers[i], NULL);
    CHECK(atomic_load(&g_backwards) == 0, "emulated clock ran backwards %d times in %ld reads",
          atomic_load(&g_backwards), atomic_load(&g_reads));
    CHECK(atomic_load(&g_reads) > 0, "reader threads did not run");
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_OFFSET_SINGLESHOT; /* cancel the slew, leave a clean state */
    adj(&tx);
}

/* Leap seconds: with STA_INS/STA_DEL the emulated kernel repeats/skips 23:59:59 at the next UTC
 * midnight, reports TIME_OOP/TIME_WAIT and moves the TAI offset; a withdrawn bit disarms. The
 * emulated clock is set just before a midnight and every expectation is computed from the real
 * monotonic time elapsed since, so a slow machine cannot make this flaky. */
static const int64_t kMidnight = INT64_C(1483228800) * NS_PER_S; /* 2017-01-01T00:00:00Z */

static int64_t set_emulated(int64_t target_ns) {
    struct timespec ts = {target_ns / NS_PER_S, target_ns % NS_PER_S};
    CHECK(clock_settime(CLOCK_REALTIME, &ts) == 0, "clock_settime: %s", strerror(errno));
    return monotonic_ns();
}

static int set_status(int status) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_STATUS;
    tx.status = status;
    return adj(&tx);
}

static int read_timex(struct timex* tx) {
    memset(tx, 0, sizeof *tx);
    return adj(tx);
}

static void wait_mono_past(int64_t mono_ns) {
    while (monotonic_ns() < mono_ns) sleep_ms(20);
}

static void check_leap(int insert) {
    const int64_t tol_ns = 20 * 1000000;
    struct timex tx;
    set_status(0);
    int tai0 = (read_timex(&tx), tx.tai);
    /* The kernel deletes at 23:59:59 and inserts at 00:00:00. */
    int64_t leap_at = insert ? kMidnight : kMidnight - NS_PER_S;
    int64_t target = leap_at - 300 * 1000000;
    int64_t m0 = set_emulated(target);
    CHECK(set_status(insert ? STA_INS : STA_DEL) == (insert ? TIME_INS : TIME_DEL), "armed state");
    CHECK(read_timex(&tx) == (insert ? TIME_INS : TIME_DEL), "state before the leap");

    wait_mono_past(m0 + 800 * 1000000); /* 0.5 s past the leap */
    int64_t m1 = monotonic_ns();
    int64_t e = emulated_ns();
    int state = read_timex(&tx);
    struct timespec tai_ts;
    clock_gettime(CLOCK_TAI, &tai_ts);
    int64_t raw = target + (m1 - m0); /* where the clock would be without the leap */
    int64_t expect = raw + (insert ? -NS_PER_S : NS_PER_S);
    CHECK(abs64(e - expect) < tol_ns, "%s: clock %" PRId64 " ns off the expected jump",
          insert ? "insert" : "delete", e - expect);
    if (insert) {
        int64_t into = raw - leap_at;
        if (into < 900 * 1000000) CHECK(state == TIME_OOP, "during the inserted second: %d", state);
        if (into > 1100 * 1000000)
            CHECK(state == TIME_WAIT, "after the inserted second: %d", state);
    } else {
        CHECK(state == TIME_WAIT, "after a deletion: %d", state);
    }
    CHECK(tx.tai == tai0 + (insert ? 1 : -1), "TAI offset %d -> %d", tai0, tx.tai);
    CHECK(abs64(ts_ns(tai_ts) - (raw + (int64_t)tai0 * NS_PER_S)) < tol_ns, "CLOCK_TAI jumped");

    /* Clearing the bit ends TIME_WAIT without a second jump. */
    CHECK(set_status(0) == TIME_OK, "state after clearing the bit");
    int64_t m2 = monotonic_ns();
    CHECK(abs64(emulated_ns() - (expect + (m2 - m1))) < tol_ns, "second jump after clearing");
}

static void check_leap_withdrawn(void) {
    const int64_t tol_ns = 20 * 1000000;
    set_status(0);
    int64_t target = kMidnight - 300 * 1000000;
    int64_t m0 = set_emulated(target);
    CHECK(set_status(STA_INS) == TIME_INS, "armed");
    CHECK(set_status(0) == TIME_OK, "withdrawn");
    wait_mono_past(m0 + 500 * 1000000);
    int64_t m1 = monotonic_ns();
    CHECK(abs64(emulated_ns() - (target + (m1 - m0))) < tol_ns, "a withdrawn leap still happened");
}

static int run_emulated(void) {
    const int64_t tol_ns = 50 * 1000000; /* generous: reads may be preempted on a busy machine */
    int64_t start_offset_ns = env_i64("NTPLITE_SHIM_OFFSET_NS");
    int64_t freq_error_ppm = env_i64("NTPLITE_SHIM_FREQ_PPM");
    CHECK(abs64(start_offset_ns) >= 1000 * 1000000, "use a start offset of at least 1 s");

    int64_t real_fingerprint = real_minus_mono_ns();

    /* 1. Every CLOCK_REALTIME read sees the emulated offset. */
    int64_t real = real_realtime_ns();
    CHECK(abs64(emulated_ns() - real - start_offset_ns) < tol_ns, "clock_gettime offset");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    CHECK(abs64(ts_ns(ts) - real - start_offset_ns) < tol_ns, "CLOCK_REALTIME_COARSE offset");
    struct timeval tv;
    gettimeofday(&tv, NULL);
    CHECK(
        abs64((int64_t)tv.tv_sec * NS_PER_S + tv.tv_usec * 1000 - real - start_offset_ns) < tol_ns,
        "gettimeofday offset");
    CHECK(
        abs64(((int64_t)time(NULL) - real / NS_PER_S) * NS_PER_S - start_offset_ns) <= 2 * NS_PER_S,
        "time() offset");
    timespec_get(&ts, TIME_UTC);
    CHECK(abs64(ts_ns(ts) - real - start_offset_ns) < tol_ns, "timespec_get offset");

    /* 2. Kernel RX timestamps are in the emulated timescale. */
    int64_t rx = rx_timestamp_ns(0);
    CHECK(abs64(rx - emulated_ns()) < tol_ns, "SO_TIMESTAMPNS via recvmsg: %" PRId64 " ns off",
          rx - emulated_ns());
    rx = rx_timestamp_ns(1);
    CHECK(abs64(rx - emulated_ns()) < tol_ns, "SO_TIMESTAMP via recvmmsg: %" PRId64 " ns off",
          rx - emulated_ns());

    /* 3. A step (ADJ_SETOFFSET) moves the emulated clock only. */
    step_by_ns(-start_offset_ns);
    CHECK(abs64(emulated_ns() - real_realtime_ns()) < tol_ns, "after step: %" PRId64 " ns off",
          emulated_ns() - real_realtime_ns());
    char v[128];
    CHECK(state_value("steps", v, sizeof v) && strcmp(v, "1") == 0, "state file steps=%s", v);

    /* 4. Frequency: clamped to 500 ppm like the kernel, and the clock really runs at
     *    intrinsic error + setting. */
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_FREQUENCY;
    tx.freq = 600L << 16;
    CHECK(adj(&tx) >= 0, "ADJ_FREQUENCY: %s", strerror(errno));
    memset(&tx, 0, sizeof tx);
    CHECK(adj(&tx) >= 0, "read: %s", strerror(errno));
    CHECK(tx.freq == 500L << 16, "freq clamped to 500 ppm, got %ld", tx.freq);
    int64_t before = emulated_minus_mono_ns();
    sleep_ms(500);
    int64_t gain = emulated_minus_mono_ns() - before;
    int64_t expect = (500 + freq_error_ppm) * 500000 / 1000; /* ppm * 0.5 s in ns */
    CHECK(abs64(gain - expect) < 100000, "gain over 0.5 s at %" PRId64 " ppm: %" PRId64 " ns",
          500 + freq_error_ppm, gain);

    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_FREQUENCY;
    tx.freq = -freq_error_ppm * 65536;
    CHECK(adj(&tx) >= 0, "ADJ_FREQUENCY: %s", strerror(errno));
    before = emulated_minus_mono_ns();
    sleep_ms(500);
    gain = emulated_minus_mono_ns() - before;
    CHECK(abs64(gain) < 100000, "compensated frequency still drifts %" PRId64 " ns in 0.5 s", gain);
    CHECK(state_value("net_freq_ppm", v, sizeof v) && strtod(v, NULL) == 0.0, "net_freq_ppm=%s", v);

    /* 5. adjtime-style slew: 500 ppm, previous remainder returned. */
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_OFFSET_SINGLESHOT;
    tx.offset = 2000; /* us */
    before = emulated_minus_mono_ns();
    CHECK(adj(&tx) >= 0, "singleshot: %s", strerror(errno));
    CHECK(tx.offset == 0, "previous singleshot remainder %ld", tx.offset);
    sleep_ms(1000);
    gain = emulated_minus_mono_ns() - before;
    CHECK(abs64(gain - 500000) < 100000, "singleshot slewed %" PRId64 " ns in 1 s", gain);
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_OFFSET_SS_READ;
    CHECK(adj(&tx) >= 0, "singleshot read: %s", strerror(errno));
    CHECK(tx.offset > 1400 && tx.offset < 1600, "singleshot remainder %ld us", tx.offset);
    struct timeval delta = {0, 0}, old;
    CHECK(adjtime(&delta, &old) == 0, "adjtime: %s", strerror(errno)); /* cancel the slew */
    CHECK(old.tv_usec > 1400 && old.tv_usec < 1600, "adjtime old delta %ld us", (long)old.tv_usec);

    /* 6. Status, error estimates, leap and TAI are stored and reported. */
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
    tx.status = 0;
    tx.maxerror = 1000;
    tx.esterror = 100;
    CHECK(adj(&tx) == TIME_OK, "sync status: clock state");
    CHECK(!(tx.status & STA_UNSYNC), "STA_UNSYNC still set: 0x%x", tx.status);
    CHECK(tx.maxerror >= 1000 && tx.maxerror < 1100 && tx.esterror == 100, "errors %ld %ld",
          tx.maxerror, tx.esterror);
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_STATUS;
    tx.status = STA_INS;
    CHECK(adj(&tx) == TIME_INS, "leap insert: clock state");
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_STATUS;
    tx.status = STA_UNSYNC;
    CHECK(adj(&tx) == TIME_ERROR, "unsync: clock state");
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_TAI;
    tx.constant = 37;
    CHECK(adj(&tx) >= 0 && tx.tai == 37, "ADJ_TAI: %d", tx.tai);
    struct timespec tai;
    clock_gettime(CLOCK_TAI, &tai);
    CHECK(abs64(ts_ns(tai) - emulated_ns() - 37 * NS_PER_S) < tol_ns, "CLOCK_TAI");

    /* 7. Unsupported requests are refused with EINVAL, not forwarded. */
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_OFFSET | ADJ_STATUS;
    tx.status = STA_PLL;
    tx.offset = 1000;
    CHECK(adj(&tx) == -1 && errno == EINVAL, "kernel PLL must be EINVAL");
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_TICK;
    tx.tick = 11001;
    CHECK(adj(&tx) == -1 && errno == EINVAL, "ADJ_TICK beyond +10 percent must be EINVAL");
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_TICK;
    tx.tick = 8999;
    CHECK(adj(&tx) == -1 && errno == EINVAL, "ADJ_TICK below -10 percent must be EINVAL");
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_SETOFFSET | ADJ_NANO;
    tx.time.tv_usec = NS_PER_S;
    CHECK(adj(&tx) == -1 && errno == EINVAL, "invalid step must be EINVAL");
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_FREQUENCY;
    CHECK(clock_adjtime(CLOCK_MONOTONIC, &tx) == -1 && errno == EINVAL, "other clocks: EINVAL");

    /* 8. Other entry points reach the same emulated clock. */
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_FREQUENCY;
    tx.freq = 7L << 16;
    CHECK(syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx) >= 0, "raw syscall: %s", strerror(errno));
    memset(&tx, 0, sizeof tx);
    CHECK(adjtimex(&tx) >= 0 && tx.freq == 7L << 16, "adjtimex sees %ld", tx.freq);
    memset(&tx, 0, sizeof tx);
    CHECK(ntp_adjtime(&tx) >= 0 && tx.freq == 7L << 16, "ntp_adjtime sees %ld", tx.freq);
    int64_t target = real_realtime_ns() + 3 * NS_PER_S;
    struct timespec target_ts = {target / NS_PER_S, target % NS_PER_S};
    CHECK(clock_settime(CLOCK_REALTIME, &target_ts) == 0, "clock_settime: %s", strerror(errno));
    CHECK(abs64(emulated_ns() - real_realtime_ns() - 3 * NS_PER_S) < tol_ns, "clock_settime");

    check_threads();

    /* 9. The real clock did not move through all of this. */
    int64_t moved = real_minus_mono_ns() - real_fingerprint;
    CHECK(abs64(moved) < 5 * 1000000, "REAL clock moved by %" PRId64 " ns", moved);
    CHECK(state_value("offset_ns", v, sizeof v) &&
              abs64(strtoll(v, NULL, 10) - 3 * NS_PER_S) < tol_ns,
          "state offset_ns=%s", v);

    /* 10. Leap seconds (after the state check: these set the clock to 2016-12-31). */
    check_leap(1);
    check_leap(0);
    check_leap_withdrawn();
    return g_failures == 0 ? 0 : 1;
}

static int run_no_shim(void) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    CHECK(clock_adjtime(CLOCK_REALTIME, &tx) >= 0, "read-only clock_adjtime: %s", strerror(errno));
    long current_freq = tx.freq;
    /* Re-set the current frequency: a no-op even if it went through (it must not). */
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_FREQUENCY;
    tx.freq = current_freq;
    errno = 0;
    CHECK(clock_adjtime(CLOCK_REALTIME, &tx) == -1 && errno == EPERM,
          "clock_adjtime without the shim must fail with EPERM (errno %d)", errno);
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_FREQUENCY;
    tx.freq = current_freq;
    errno = 0;
    CHECK(adjtimex(&tx) == -1 && errno == EPERM, "adjtimex must fail with EPERM (errno %d)", errno);
    return g_failures == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s emulated|no-shim\n", argv[0]);
        return 2;
    }
    /* Refuse before any adjustment if this could reach the real clock. */
    if (has_cap_sys_time()) {
        fprintf(stderr,
                "FAIL: CAP_SYS_TIME is effective; run under setpriv --bounding-set=-sys_time\n");
        return 1;
    }
    if (strcmp(argv[1], "emulated") == 0) {
        if (!shim_loaded()) {
            fprintf(stderr, "FAIL: the clock shim is not loaded (LD_PRELOAD)\n");
            return 1;
        }
        int rc = run_emulated();
        printf("%s: emulated clock self-test\n", rc == 0 ? "ok" : "FAILED");
        return rc;
    }
    if (strcmp(argv[1], "no-shim") == 0) {
        if (shim_loaded()) {
            fprintf(stderr, "FAIL: the shim is loaded; this mode must run without it\n");
            return 1;
        }
        int rc = run_no_shim();
        printf("%s: without the shim the kernel refuses (EPERM)\n", rc == 0 ? "ok" : "FAILED");
        return rc;
    }
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
