// LD_PRELOAD clock-emulation shim: gives one process an emulated kernel clock (CLOCK_REALTIME and
// the adjtimex family) so the unmodified daemon can discipline "its" clock in tests while the
// machine's real clock is never touched.
//
// Model. The emulated realtime clock E is a piecewise-linear function of the real
// CLOCK_MONOTONIC M (never adjusted by us, so it is a stable time base):
//   E(M) = anchor_emul + (M - anchor_mono) * (1 + (freq_error + kernel_freq) * 1e-6)
//          + singleshot slew applied since the anchor (500 ppm, like the kernel's adjtime)
// At start E = real CLOCK_REALTIME + NTPLITE_SHIM_OFFSET_NS. Every adjustment re-anchors the
// model at "now" and changes its parameters. Reads are pure functions of the model, so all
// threads see one consistent clock; a mutex serialises access.
//
// Environment (all optional):
//   NTPLITE_SHIM_OFFSET_NS          start offset of E from the real clock, ns (+ = E ahead)
//   NTPLITE_SHIM_FREQ_PPM           intrinsic frequency error, ppm (+ = E runs fast)
//   NTPLITE_SHIM_STATE              path of a key=value state file, replaced atomically on
//                                   every adjustment, at most every INTERVAL on clock reads,
//                                   and at exit
//   NTPLITE_SHIM_STATE_INTERVAL_MS  refresh interval of the state file on reads (default 100)
//   NTPLITE_SHIM_DENY               "1": every adjustment fails with EPERM (emulates a process
//                                   without CAP_SYS_TIME, to test the daemon's observe fallback)
// A malformed value aborts the process with a message: a misconfigured test must not pass.
//
// Intercepted reads: clock_gettime (CLOCK_REALTIME, _COARSE, _ALARM, CLOCK_TAI; other clocks pass
// through), gettimeofday, time, timespec_get, ntp_gettime(x). Kernel RX timestamps
// (SCM_TIMESTAMP, SCM_TIMESTAMPNS, software SCM_TIMESTAMPING; old and _NEW) delivered by
// recvmsg/recvmmsg are rewritten into the emulated timescale.
//
// Intercepted adjustments (never forwarded to the kernel): clock_adjtime(CLOCK_REALTIME),
// adjtimex, ntp_adjtime, adjtime, clock_settime(CLOCK_REALTIME), settimeofday, and syscall()
// with SYS_clock_adjtime / SYS_adjtimex / SYS_clock_settime / SYS_settimeofday.
// Supported modes, modelled on kernel/time/ntp.c:
//   ADJ_FREQUENCY (ppm << 16, clamped to +-500 ppm), ADJ_TICK (9,000..11,000 us per 1/USER_HZ s
//   at USER_HZ = 100, so 1 us = 100 ppm; EINVAL outside), ADJ_OFFSET_SINGLESHOT (us, slewed at
//   500 ppm; returns the previous remainder), ADJ_OFFSET_SS_READ, ADJ_SETOFFSET (step, with
//   ADJ_NANO or microseconds), ADJ_STATUS (STA_PLL switched off resets status to STA_UNSYNC, as
//   the kernel does), ADJ_NANO/ADJ_MICRO, ADJ_MAXERROR/ADJ_ESTERROR (us; maxerror grows by
//   500 us/s and sets STA_UNSYNC past 16 s, as in the kernel), ADJ_TIMECONST and ADJ_TAI (stored).
//   ADJ_OFFSET without STA_PLL is accepted and ignored (the kernel ignores it too).
// Unsupported, rejected with EINVAL: ADJ_OFFSET while STA_PLL is set (the kernel PLL/FLL is not
// emulated), and any adjustment of a clock other than CLOCK_REALTIME.
// Leap seconds: STA_INS/STA_DEL arm a leap at the next UTC midnight of the emulated clock, as the
// kernel's state machine does: on insertion 23:59:59 repeats (TIME_INS -> TIME_OOP -> TIME_WAIT,
// TAI offset +1), on deletion 23:59:59 is skipped; clearing the bit before disarms it, and after
// a leap nothing is re-armed until both bits were cleared. CLOCK_TAI stays continuous.
// Not emulated: CLOCK_REALTIME timers and sleeps (they run on the real clock), SIOCGSTAMP.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
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

_Static_assert(sizeof(time_t) == 8, "the shim assumes a 64-bit time_t (64-bit Linux)");

#define NS_PER_S INT64_C(1000000000)
#define NS_PER_US INT64_C(1000)
#define PPM_SHIFT 16                         /* timex.freq is ppm << 16 */
#define MAX_FREQ_SCALED (INT64_C(500) << 16) /* kernel MAXFREQ: 500 ppm */
#define SINGLESHOT_RATE_PPM 500              /* kernel MAX_TICKADJ: 500 us/s */
#define MAXERROR_GROWTH_PPM 500              /* kernel: maxerror += 500 us every second */
#define PHASE_LIMIT_US INT64_C(16000000)     /* kernel NTP_PHASE_LIMIT: 16 s */
#define MAX_TAI 100000
#define NOMINAL_TICK_US 10000 /* kernel tick_usec at USER_HZ = 100 */
#define MIN_TICK_US 9000      /* 900000 / USER_HZ */
#define MAX_TICK_US 11000     /* 1100000 / USER_HZ */
#define PPM_PER_TICK_US 100   /* 1 us of a 10,000 us tick */

/* Socket timestamp control message types on 64-bit Linux (asm-generic/socket.h). */
#define SHIM_SCM_TIMESTAMP_OLD 29
#define SHIM_SCM_TIMESTAMPNS_OLD 35
#define SHIM_SCM_TIMESTAMPING_OLD 37
#define SHIM_SCM_TIMESTAMP_NEW 63
#define SHIM_SCM_TIMESTAMPNS_NEW 64
#define SHIM_SCM_TIMESTAMPING_NEW 65

/* Marker so a test can verify (dlsym) that the shim is really loaded before it adjusts. */
__attribute__((visibility("default"))) const int ntplite_clock_shim_version = 1;

typedef int (*clock_gettime_fn)(clockid_t, struct timespec*);
typedef ssize_t (*recvmsg_fn)(int, struct msghdr*, int);
typedef int (*recvmmsg_fn)(int, struct mmsghdr*, unsigned int, int, struct timespec*);
typedef long (*syscall_fn)(long, ...);

static clock_gettime_fn real_clock_gettime;
static recvmsg_fn real_recvmsg;
static recvmmsg_fn real_recvmmsg;
static syscall_fn real_syscall;

/* The emulated kernel clock. Guarded by g_lock. */
struct emulated_clock {
    int64_t anchor_mono_ns;     /* real CLOCK_MONOTONIC at the last re-anchor */
    int64_t anchor_emul_ns;     /* emulated CLOCK_REALTIME at anchor_mono_ns */
    int64_t freq_error_scaled;  /* intrinsic error, ppm << 16, + = runs fast */
    int64_t kernel_freq_scaled; /* ADJ_FREQUENCY setting, ppm << 16, + = faster */
    long tick_us;               /* ADJ_TICK setting, us per 1/USER_HZ s */
    int64_t first_freq_scaled;  /* the first ADJ_FREQUENCY written (a daemon's start-up probe) */
    int freq_written;
    int64_t singleshot_ns; /* adjtime remainder at the anchor, + = slewing ahead */
    int64_t maxerror_us;   /* at maxerror_anchor_mono_ns */
    int64_t maxerror_anchor_mono_ns;
    int64_t esterror_us;
    int status; /* STA_* bits */
    long time_constant;
    int tai_s;
    int64_t leap_at_raw_ns; /* emulated time (before the jump) of an armed leap; INT64_MAX: none */
    int64_t leap_jump_ns;   /* -1 s: insertion (23:59:59 repeats), +1 s: deletion */
    int leap_done;          /* a leap happened and STA_INS/STA_DEL are still set (TIME_WAIT) */
    /* Statistics for the state file. */
    uint64_t adjustments, steps, denied, rejected;
    int64_t step_total_ns;
};

/* What a clock read needs, published for lock-free readers through a seqlock: writers (under
 * g_lock) make `seq` odd, read CLOCK_MONOTONIC, change the model and publish it with `seq` even
 * again; a reader that read CLOCK_MONOTONIC inside a write, or the model across one, retries.
 * So reads never wait for the state file or for each other, and every thread sees one
 * consistent clock that never runs backwards unless stepped. */
struct model {
    int64_t anchor_mono_ns, anchor_emul_ns, rate_scaled, singleshot_ns, tai_s, leap_at_raw_ns,
        leap_jump_ns;
};
static struct {
    _Atomic uint64_t seq;
    _Atomic int64_t anchor_mono_ns, anchor_emul_ns, rate_scaled, singleshot_ns, tai_s,
        leap_at_raw_ns, leap_jump_ns;
} g_pub;
static _Atomic int64_t g_last_state_write_mono_ns;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static struct emulated_clock g;
static char g_state_path[4096];
static int64_t g_state_interval_ns = 100 * INT64_C(1000000);
static int g_deny;

static void die(const char* what, const char* value) {
    fprintf(stderr, "ntplite clock shim: invalid %s=\"%s\"; aborting\n", what, value);
    abort();
}

static int64_t env_int64(const char* name, int64_t fallback) {
    const char* v = getenv(name);
    if (v == NULL || *v == '\0') return fallback;
    char* end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno != 0 || *end != '\0') die(name, v);
    return (int64_t)x;
}

static double env_double(const char* name, double fallback) {
    const char* v = getenv(name);
    if (v == NULL || *v == '\0') return fallback;
    char* end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (errno != 0 || *end != '\0' || !isfinite(x) || fabs(x) > 1e5) die(name, v);
    return x;
}

static void* must_dlsym(const char* name) {
    void* p = dlsym(RTLD_NEXT, name);
    if (p == NULL) {
        fprintf(stderr, "ntplite clock shim: dlsym(%s) failed; aborting\n", name);
        abort();
    }
    return p;
}

static int64_t ts_to_ns(const struct timespec* ts) {
    return (int64_t)ts->tv_sec * NS_PER_S + ts->tv_nsec;
}

static struct timespec ns_to_ts(int64_t ns) {
    struct timespec ts;
    ts.tv_sec = ns / NS_PER_S;
    ts.tv_nsec = ns % NS_PER_S;
    if (ts.tv_nsec < 0) {
        ts.tv_nsec += NS_PER_S;
        ts.tv_sec -= 1;
    }
    return ts;
}

static int64_t real_now_ns(clockid_t id) {
    struct timespec ts;
    real_clock_gettime(id, &ts);
    return ts_to_ns(&ts);
}

static void seq_begin(void);
static void seq_end(void);

/* fork() while another thread holds g_lock would leave the child's copy locked forever. */
static void fork_prepare(void) {
    pthread_mutex_lock(&g_lock);
}
static void fork_release(void) {
    pthread_mutex_unlock(&g_lock);
}

static void init_once(void) {
    real_clock_gettime = (clock_gettime_fn)must_dlsym("clock_gettime");
    real_recvmsg = (recvmsg_fn)must_dlsym("recvmsg");
    real_recvmmsg = (recvmmsg_fn)must_dlsym("recvmmsg");
    real_syscall = (syscall_fn)must_dlsym("syscall");

    int64_t offset_ns = env_int64("NTPLITE_SHIM_OFFSET_NS", 0);
    double freq_ppm = env_double("NTPLITE_SHIM_FREQ_PPM", 0.0);
    int64_t interval_ms = env_int64("NTPLITE_SHIM_STATE_INTERVAL_MS", 100);
    if (interval_ms < 0)
        die("NTPLITE_SHIM_STATE_INTERVAL_MS", getenv("NTPLITE_SHIM_STATE_INTERVAL_MS"));
    g_state_interval_ns = interval_ms * INT64_C(1000000);
    const char* path = getenv("NTPLITE_SHIM_STATE");
    if (path != NULL) {
        if (strlen(path) >= sizeof(g_state_path) - 8) die("NTPLITE_SHIM_STATE", path);
        strcpy(g_state_path, path);
    }
    const char* deny = getenv("NTPLITE_SHIM_DENY");
    g_deny = deny != NULL && strcmp(deny, "1") == 0;

    g.anchor_mono_ns = real_now_ns(CLOCK_MONOTONIC);
    g.anchor_emul_ns = real_now_ns(CLOCK_REALTIME) + offset_ns;
    g.freq_error_scaled = llround(freq_ppm * (double)(1 << PPM_SHIFT));
    g.status = STA_UNSYNC;
    g.tick_us = NOMINAL_TICK_US;
    g.time_constant = 2;
    g.maxerror_us = PHASE_LIMIT_US;
    g.maxerror_anchor_mono_ns = g.anchor_mono_ns;
    g.esterror_us = PHASE_LIMIT_US;
    g.leap_at_raw_ns = INT64_MAX;
    atomic_store(&g_last_state_write_mono_ns, INT64_MIN / 2);
    seq_begin();
    seq_end();
    pthread_atfork(fork_prepare, fork_release, fork_release);
}

static void ensure_init(void) {
    pthread_once(&g_once, init_once);
}

/* Slew done by the singleshot remainder `rem_ns` after `dt_ns` of real time. */
static int64_t singleshot_applied(int64_t rem_ns, int64_t dt_ns) {
    int64_t max_ns = (int64_t)((__int128)dt_ns * SINGLESHOT_RATE_PPM / 1000000);
    if (rem_ns > max_ns) return max_ns;
    if (rem_ns < -max_ns) return -max_ns;
    return rem_ns;
}

/* Emulated realtime of model `m` at real monotonic time `mono_ns` (>= anchor). */
/* ... ignoring an armed leap second (the timescale CLOCK_TAI follows). */
static int64_t model_raw_at(const struct model* m, int64_t mono_ns) {
    int64_t dt = mono_ns - m->anchor_mono_ns;
    if (dt < 0) dt = 0;
    __int128 rate_part = (__int128)dt * m->rate_scaled;
    int64_t drift = (int64_t)(rate_part / ((__int128)1000000 << PPM_SHIFT));
    return m->anchor_emul_ns + dt + drift + singleshot_applied(m->singleshot_ns, dt);
}

static int64_t model_at(const struct model* m, int64_t mono_ns) {
    int64_t raw = model_raw_at(m, mono_ns);
    return raw >= m->leap_at_raw_ns ? raw + m->leap_jump_ns : raw;
}

/* The master model. Caller holds g_lock. */
static struct model master_model(void) {
    struct model m = {g.anchor_mono_ns,
                      g.anchor_emul_ns,
                      g.freq_error_scaled + g.kernel_freq_scaled +
                          ((int64_t)(g.tick_us - NOMINAL_TICK_US) * PPM_PER_TICK_US << PPM_SHIFT),
                      g.singleshot_ns,
                      g.tai_s,
                      g.leap_at_raw_ns,
                      g.leap_jump_ns};
    return m;
}

/* Emulated realtime at `mono_ns` from the master model. Caller holds g_lock. */
static int64_t emul_at(int64_t mono_ns) {
    struct model m = master_model();
    return model_at(&m, mono_ns);
}

/* Seqlock write side; caller holds g_lock. Call seq_begin before reading CLOCK_MONOTONIC for
 * the change, seq_end after the master model is updated. */
static void seq_begin(void) {
    uint64_t s = atomic_load_explicit(&g_pub.seq, memory_order_relaxed);
    atomic_store_explicit(&g_pub.seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
}

static void seq_end(void) {
    struct model m = master_model();
    atomic_store_explicit(&g_pub.anchor_mono_ns, m.anchor_mono_ns, memory_order_relaxed);
    atomic_store_explicit(&g_pub.anchor_emul_ns, m.anchor_emul_ns, memory_order_relaxed);
    atomic_store_explicit(&g_pub.rate_scaled, m.rate_scaled, memory_order_relaxed);
    atomic_store_explicit(&g_pub.singleshot_ns, m.singleshot_ns, memory_order_relaxed);
    atomic_store_explicit(&g_pub.tai_s, m.tai_s, memory_order_relaxed);
    atomic_store_explicit(&g_pub.leap_at_raw_ns, m.leap_at_raw_ns, memory_order_relaxed);
    atomic_store_explicit(&g_pub.leap_jump_ns, m.leap_jump_ns, memory_order_relaxed);
    uint64_t s = atomic_load_explicit(&g_pub.seq, memory_order_relaxed);
    atomic_store_explicit(&g_pub.seq, s + 1, memory_order_release);
}

/* Seqlock read side: the published model and a CLOCK_MONOTONIC reading taken while it held. */
static struct model read_model(int64_t* mono_ns) {
    for (unsigned spins = 0;; spins++) {
        uint64_t s1 = atomic_load_explicit(&g_pub.seq, memory_order_acquire);
        if (s1 & 1) {
            if (spins > 64) sched_yield(); /* the writer may have been preempted */
            continue;
        }
        struct model m;
        m.anchor_mono_ns = atomic_load_explicit(&g_pub.anchor_mono_ns, memory_order_relaxed);
        m.anchor_emul_ns = atomic_load_explicit(&g_pub.anchor_emul_ns, memory_order_relaxed);
        m.rate_scaled = atomic_load_explicit(&g_pub.rate_scaled, memory_order_relaxed);
        m.singleshot_ns = atomic_load_explicit(&g_pub.singleshot_ns, memory_order_relaxed);
        m.tai_s = atomic_load_explicit(&g_pub.tai_s, memory_order_relaxed);
        m.leap_at_raw_ns = atomic_load_explicit(&g_pub.leap_at_raw_ns, memory_order_relaxed);
        m.leap_jump_ns = atomic_load_explicit(&g_pub.leap_jump_ns, memory_order_relaxed);
        *mono_ns = real_now_ns(CLOCK_MONOTONIC);
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&g_pub.seq, memory_order_relaxed) == s1) return m;
    }
}

static int64_t maxerror_at(int64_t mono_ns) {
    int64_t dt = mono_ns - g.maxerror_anchor_mono_ns;
    if (dt < 0) dt = 0;
    int64_t m = g.maxerror_us + dt / NS_PER_US * MAXERROR_GROWTH_PPM / 1000000;
    return m > PHASE_LIMIT_US ? PHASE_LIMIT_US : m;
}

/* Status including the kernel's automatic STA_UNSYNC once maxerror reaches 16 s. */
static int status_at(int64_t mono_ns) {
    return maxerror_at(mono_ns) >= PHASE_LIMIT_US ? (g.status | STA_UNSYNC) : g.status;
}

/* Moves the anchor to `mono_ns` so parameters can change from now on. Caller holds g_lock. */
static void reanchor(int64_t mono_ns) {
    int64_t dt = mono_ns - g.anchor_mono_ns;
    if (dt < 0) dt = 0;
    int64_t e = emul_at(mono_ns);
    struct model before = master_model();
    if (model_raw_at(&before, mono_ns) >= g.leap_at_raw_ns) {
        /* The leap second has happened: fold the jump into the anchor, as the kernel does. */
        g.tai_s += g.leap_jump_ns < 0 ? 1 : -1;
        g.leap_at_raw_ns = INT64_MAX;
        g.leap_done = 1;
    }
    g.singleshot_ns -= singleshot_applied(g.singleshot_ns, dt);
    g.anchor_emul_ns = e;
    g.anchor_mono_ns = mono_ns;
    int64_t m = maxerror_at(mono_ns);
    if (m >= PHASE_LIMIT_US) g.status |= STA_UNSYNC;
    g.maxerror_us = m;
    g.maxerror_anchor_mono_ns = mono_ns;
}

/* The kernel's time_state (TIME_*) at `mono_ns`, as adjtimex returns it. Caller holds g_lock. */
static int time_state_at(int64_t mono_ns) {
    if (status_at(mono_ns) & STA_UNSYNC) return TIME_ERROR; /* overrides, as in the kernel */
    if (g.leap_at_raw_ns != INT64_MAX) {
        struct model m = master_model();
        int64_t raw = model_raw_at(&m, mono_ns);
        if (raw < g.leap_at_raw_ns) return g.leap_jump_ns < 0 ? TIME_INS : TIME_DEL;
        if (g.leap_jump_ns < 0 && raw < g.leap_at_raw_ns + NS_PER_S) return TIME_OOP;
        return TIME_WAIT;
    }
    return g.leap_done ? TIME_WAIT : TIME_OK;
}

/* TAI - UTC at `mono_ns`, s, including a leap second that happened since the last anchor. */
static int tai_at(int64_t mono_ns) {
    struct model m = master_model();
    if (model_raw_at(&m, mono_ns) >= g.leap_at_raw_ns)
        return g.tai_s + (g.leap_jump_ns < 0 ? 1 : -1);
    return g.tai_s;
}

/* Arms or disarms the leap second after a status change, like the kernel's state machine: a
 * leap is scheduled for the next UTC midnight (a deletion one second before it) and cancelled
 * when its bit is cleared; after a leap nothing is re-armed until both bits were cleared.
 * Caller holds g_lock and has re-anchored. */
static void update_leap(void) {
    int want = (g.status & STA_INS) ? -1 : (g.status & STA_DEL) ? 1 : 0;
    if (want == 0) {
        g.leap_at_raw_ns = INT64_MAX;
        g.leap_done = 0;
        return;
    }
    if (g.leap_done) return;
    int64_t jump = want < 0 ? -NS_PER_S : NS_PER_S;
    if (g.leap_at_raw_ns != INT64_MAX && g.leap_jump_ns == jump) return; /* already armed */
    const int64_t day_ns = 86400 * NS_PER_S;
    int64_t now = g.anchor_emul_ns;
    int64_t midnight = (now / day_ns + 1) * day_ns; /* emulated times are after 1970 */
    int64_t at = want < 0 ? midnight : midnight - NS_PER_S;
    if (at <= now) at += day_ns;
    g.leap_at_raw_ns = at;
    g.leap_jump_ns = jump;
}

/* Writes the state file atomically (temp + rename). Caller holds g_lock. Uses no intercepted
 * function, so it cannot recurse into the shim. */
static void write_state_locked(int64_t mono_ns) {
    if (g_state_path[0] == '\0') return;
    atomic_store_explicit(&g_last_state_write_mono_ns, mono_ns, memory_order_relaxed);
    int64_t real_ns = real_now_ns(CLOCK_REALTIME);
    int64_t emul_ns = emul_at(mono_ns);
    int64_t dt = mono_ns - g.anchor_mono_ns;
    char buf[1024];
    int n = snprintf(buf, sizeof buf,
                     "offset_ns=%" PRId64
                     "\n"
                     "freq_ppm=%.6f\n"
                     "freq_error_ppm=%.6f\n"
                     "net_freq_ppm=%.6f\n"
                     "tick_us=%ld\n"
                     "first_freq_ppm=%.6f\n"
                     "singleshot_remaining_ns=%" PRId64
                     "\n"
                     "status=0x%x\n"
                     "maxerror_us=%" PRId64
                     "\n"
                     "esterror_us=%" PRId64
                     "\n"
                     "tai_s=%d\n"
                     "time_state=%d\n"
                     "adjustments=%" PRIu64
                     "\n"
                     "steps=%" PRIu64
                     "\n"
                     "step_total_ns=%" PRId64
                     "\n"
                     "denied=%" PRIu64
                     "\n"
                     "rejected=%" PRIu64
                     "\n"
                     "mono_ns=%" PRId64
                     "\n"
                     "real_ns=%" PRId64
                     "\n"
                     "pid=%d\n",
                     emul_ns - real_ns, (double)g.kernel_freq_scaled / (1 << PPM_SHIFT),
                     (double)g.freq_error_scaled / (1 << PPM_SHIFT),
                     (double)(g.kernel_freq_scaled + g.freq_error_scaled) / (1 << PPM_SHIFT),
                     g.tick_us, (double)g.first_freq_scaled / (1 << PPM_SHIFT),
                     g.singleshot_ns - singleshot_applied(g.singleshot_ns, dt), status_at(mono_ns),
                     maxerror_at(mono_ns), g.esterror_us, tai_at(mono_ns), time_state_at(mono_ns),
                     g.adjustments, g.steps, g.step_total_ns, g.denied, g.rejected, mono_ns,
                     real_ns, (int)getpid());
    if (n <= 0 || (size_t)n >= sizeof buf) return;
    char tmp[sizeof g_state_path + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", g_state_path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ssize_t w = write(fd, buf, (size_t)n);
    close(fd);
    if (w == n) {
        rename(tmp, g_state_path);
    } else {
        unlink(tmp);
    }
}

static int state_write_due(int64_t mono_ns) {
    return g_state_path[0] != '\0' &&
           mono_ns - atomic_load_explicit(&g_last_state_write_mono_ns, memory_order_relaxed) >=
               g_state_interval_ns;
}

static void maybe_write_state_locked(int64_t mono_ns) {
    if (state_write_due(mono_ns)) write_state_locked(mono_ns);
}

/* From a reader: refresh the state file if due, unless another thread holds the lock (then
 * it is being written or about to be). */
static void maybe_write_state(int64_t mono_ns) {
    if (!state_write_due(mono_ns) || pthread_mutex_trylock(&g_lock) != 0) return;
    maybe_write_state_locked(mono_ns);
    pthread_mutex_unlock(&g_lock);
}

__attribute__((constructor)) static void shim_start(void) {
    ensure_init();
    pthread_mutex_lock(&g_lock);
    write_state_locked(real_now_ns(CLOCK_MONOTONIC));
    pthread_mutex_unlock(&g_lock);
}

__attribute__((destructor)) static void shim_stop(void) {
    ensure_init();
    pthread_mutex_lock(&g_lock);
    write_state_locked(real_now_ns(CLOCK_MONOTONIC));
    pthread_mutex_unlock(&g_lock);
}

/* ---------------------------------------------------------------------------------------------
 * Reads */

/* Emulated CLOCK_REALTIME now, ns. */
static int64_t emulated_now_ns(void) {
    ensure_init();
    int64_t mono;
    struct model m = read_model(&mono);
    int64_t e = model_at(&m, mono);
    maybe_write_state(mono);
    return e;
}

static int64_t emulated_tai_now_ns(void) {
    ensure_init();
    int64_t mono;
    struct model m = read_model(&mono);
    return model_raw_at(&m, mono) + m.tai_s * NS_PER_S; /* TAI has no leap seconds */
}

int clock_gettime(clockid_t id, struct timespec* ts) {
    ensure_init();
    switch (id) {
        case CLOCK_REALTIME:
        case CLOCK_REALTIME_COARSE:
        case CLOCK_REALTIME_ALARM:
            *ts = ns_to_ts(emulated_now_ns());
            return 0;
        case CLOCK_TAI:
            *ts = ns_to_ts(emulated_tai_now_ns());
            return 0;
        default:
            return real_clock_gettime(id, ts);
    }
}

int gettimeofday(struct timeval* restrict tv, void* restrict tz) {
    struct timespec ts = ns_to_ts(emulated_now_ns());
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / NS_PER_US;
    if (tz != NULL) memset(tz, 0, sizeof(struct timezone));
    return 0;
}

time_t time(time_t* out) {
    struct timespec ts = ns_to_ts(emulated_now_ns());
    if (out != NULL) *out = ts.tv_sec;
    return ts.tv_sec;
}

int timespec_get(struct timespec* ts, int base) {
    if (base != TIME_UTC) return 0;
    *ts = ns_to_ts(emulated_now_ns());
    return base;
}

/* ---------------------------------------------------------------------------------------------
 * Adjustments */

/* Fills the read-back fields of `tx` like the kernel's __do_adjtimex. Caller holds g_lock. */
static void fill_timex_locked(struct timex* tx, int64_t mono_ns) {
    tx->freq = (long)g.kernel_freq_scaled;
    tx->maxerror = (long)maxerror_at(mono_ns);
    tx->esterror = (long)g.esterror_us;
    tx->status = status_at(mono_ns);
    tx->constant = g.time_constant;
    tx->precision = 1;
    tx->tolerance = (long)MAX_FREQ_SCALED;
    tx->tick = g.tick_us;
    tx->tai = tai_at(mono_ns);
    struct timespec now = ns_to_ts(emul_at(mono_ns));
    tx->time.tv_sec = now.tv_sec;
    tx->time.tv_usec = (g.status & STA_NANO) ? now.tv_nsec : now.tv_nsec / NS_PER_US;
}

/* The emulated kernel's adjtimex. Returns the clock state (TIME_*) or -1 with errno. */
static int emulated_adjtimex(struct timex* tx) {
    ensure_init();
    unsigned modes = tx->modes;
    int read_only = modes == 0 || modes == ADJ_OFFSET_SS_READ;
    pthread_mutex_lock(&g_lock);
    int64_t mono = real_now_ns(CLOCK_MONOTONIC);
    if (!read_only && g_deny) {
        g.denied++;
        write_state_locked(mono);
        pthread_mutex_unlock(&g_lock);
        errno = EPERM;
        return -1;
    }
    int singleshot = (modes & ADJ_OFFSET_SINGLESHOT) == ADJ_OFFSET_SINGLESHOT;
    int new_status =
        (modes & ADJ_STATUS) ? ((g.status & STA_RONLY) | (tx->status & ~STA_RONLY)) : g.status;
    int invalid = 0;
    if ((modes & 0x8000 /* ADJ_ADJTIME */) && !singleshot) {
        invalid = 1;
    } else if (singleshot) {
        /* adjtime: only the singleshot bits (plus the read-only flag) may be set. */
        invalid = (modes & ~(unsigned)ADJ_OFFSET_SS_READ) != 0;
    } else {
        if ((modes & ADJ_TICK) && (tx->tick < MIN_TICK_US || tx->tick > MAX_TICK_US)) invalid = 1;
        if ((modes & ADJ_OFFSET) && (new_status & STA_PLL))
            invalid = 1; /* kernel PLL: unsupported */
        if (modes & ADJ_SETOFFSET) {
            long frac_limit = (modes & ADJ_NANO) ? 1000000000L : 1000000L;
            if (tx->time.tv_usec < 0 || tx->time.tv_usec >= frac_limit) invalid = 1;
        }
    }
    if (invalid) {
        g.rejected++;
        pthread_mutex_unlock(&g_lock);
        errno = EINVAL;
        return -1;
    }

    if (!read_only) {
        seq_begin();
        mono = real_now_ns(CLOCK_MONOTONIC);
        reanchor(mono);
        g.adjustments++;
    }
    if (singleshot) {
        /* Remainder now (the read-only path did not re-anchor). */
        int64_t previous_us =
            (g.singleshot_ns - singleshot_applied(g.singleshot_ns, mono - g.anchor_mono_ns)) /
            NS_PER_US;
        if (!(modes & 0x2000 /* ADJ_OFFSET_READONLY */))
            g.singleshot_ns = (int64_t)tx->offset * NS_PER_US;
        fill_timex_locked(tx, mono);
        tx->offset = (long)previous_us;
    } else {
        if (modes & ADJ_SETOFFSET) {
            int64_t frac_ns = (modes & ADJ_NANO) ? tx->time.tv_usec : tx->time.tv_usec * NS_PER_US;
            int64_t step_ns = (int64_t)tx->time.tv_sec * NS_PER_S + frac_ns;
            g.anchor_emul_ns += step_ns;
            g.steps++;
            g.step_total_ns += step_ns;
        }
        if (modes & ADJ_STATUS) {
            if ((g.status & STA_PLL) && !(tx->status & STA_PLL)) {
                /* The kernel resets its state when the PLL is switched off, which also drops the
                 * read-only bits (STA_NANO) before taking the caller's writable bits. */
                g.status = tx->status & ~STA_RONLY;
                g.leap_at_raw_ns = INT64_MAX; /* the kernel's state machine restarts too */
                g.leap_done = 0;
            } else {
                g.status = new_status;
            }
        }
        if (modes & ADJ_STATUS) update_leap();
        if (modes & ADJ_NANO) g.status |= STA_NANO;
        if (modes & ADJ_MICRO) g.status &= ~STA_NANO;
        if (modes & ADJ_FREQUENCY) {
            int64_t f = tx->freq;
            g.kernel_freq_scaled = f > MAX_FREQ_SCALED    ? MAX_FREQ_SCALED
                                   : f < -MAX_FREQ_SCALED ? -MAX_FREQ_SCALED
                                                          : f;
            if (!g.freq_written) g.first_freq_scaled = g.kernel_freq_scaled;
            g.freq_written = 1;
        }
        if (modes & ADJ_TICK) g.tick_us = tx->tick;
        if (modes & ADJ_MAXERROR) {
            g.maxerror_us = tx->maxerror < 0 ? 0 : tx->maxerror;
            g.maxerror_anchor_mono_ns = mono;
        }
        if (modes & ADJ_ESTERROR) g.esterror_us = tx->esterror < 0 ? 0 : tx->esterror;
        if (modes & ADJ_TIMECONST) {
            long c = tx->constant + ((g.status & STA_NANO) ? 0 : 4);
            g.time_constant = c < 0 ? 0 : c > 10 ? 10 : c;
        }
        if ((modes & ADJ_TAI) && tx->constant >= 0 && tx->constant <= MAX_TAI)
            g.tai_s = (int)tx->constant;
        /* ADJ_OFFSET without STA_PLL: accepted and ignored, like the kernel. */
        fill_timex_locked(tx, mono);
        tx->offset = 0; /* no kernel PLL offset pending */
    }
    int state = time_state_at(mono);
    if (!read_only) {
        seq_end();
        write_state_locked(mono);
    } else {
        maybe_write_state_locked(mono);
    }
    pthread_mutex_unlock(&g_lock);
    return state;
}

int clock_adjtime(clockid_t id, struct timex* tx) {
    if (id != CLOCK_REALTIME) {
        errno = EINVAL; /* only CLOCK_REALTIME is emulated; nothing is forwarded */
        return -1;
    }
    return emulated_adjtimex(tx);
}

int adjtimex(struct timex* tx) {
    return emulated_adjtimex(tx);
}

int ntp_adjtime(struct timex* tx) {
    return emulated_adjtimex(tx);
}

int adjtime(const struct timeval* delta, struct timeval* olddelta) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    if (delta != NULL) {
        int64_t us = (int64_t)delta->tv_sec * 1000000 + delta->tv_usec;
        if (us > INT32_MAX / 2 || us < -(INT32_MAX / 2)) { /* glibc's adjtime limit, roughly */
            errno = EINVAL;
            return -1;
        }
        tx.modes = ADJ_OFFSET_SINGLESHOT;
        tx.offset = (long)us;
    } else {
        tx.modes = ADJ_OFFSET_SS_READ;
    }
    if (emulated_adjtimex(&tx) < 0) return -1;
    if (olddelta != NULL) {
        olddelta->tv_sec = tx.offset / 1000000;
        olddelta->tv_usec = tx.offset % 1000000;
    }
    return 0;
}

/* Sets the emulated clock to an absolute time (a step). */
static int emulated_settime(int64_t target_ns) {
    ensure_init();
    pthread_mutex_lock(&g_lock);
    if (g_deny) {
        g.denied++;
        pthread_mutex_unlock(&g_lock);
        errno = EPERM;
        return -1;
    }
    seq_begin();
    int64_t mono = real_now_ns(CLOCK_MONOTONIC);
    reanchor(mono);
    int64_t step = target_ns - g.anchor_emul_ns;
    g.anchor_emul_ns = target_ns;
    g.adjustments++;
    g.steps++;
    g.step_total_ns += step;
    seq_end();
    write_state_locked(mono);
    pthread_mutex_unlock(&g_lock);
    return 0;
}

int clock_settime(clockid_t id, const struct timespec* ts) {
    if (id != CLOCK_REALTIME || ts->tv_nsec < 0 || ts->tv_nsec >= NS_PER_S) {
        errno = EINVAL;
        return -1;
    }
    return emulated_settime(ts_to_ns(ts));
}

int settimeofday(const struct timeval* tv, const struct timezone* tz) {
    (void)tz;
    if (tv == NULL) return 0; /* timezone-only call: nothing to emulate */
    if (tv->tv_usec < 0 || tv->tv_usec >= 1000000) {
        errno = EINVAL;
        return -1;
    }
    return emulated_settime((int64_t)tv->tv_sec * NS_PER_S + tv->tv_usec * NS_PER_US);
}

int ntp_gettimex(struct ntptimeval* ntv) {
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    int state = emulated_adjtimex(&tx);
    ntv->time.tv_sec = tx.time.tv_sec;
    ntv->time.tv_usec = tx.time.tv_usec;
    ntv->maxerror = tx.maxerror;
    ntv->esterror = tx.esterror;
    ntv->tai = tx.tai;
    return state;
}

/* Direct system calls: adjustments go to the emulation (never the kernel); all else passes. */
long syscall(long number, ...) {
    ensure_init();
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    switch (number) {
        case SYS_clock_adjtime:
            return clock_adjtime((clockid_t)a[0], (struct timex*)a[1]);
        case SYS_adjtimex:
            return emulated_adjtimex((struct timex*)a[0]);
        case SYS_clock_settime:
            return clock_settime((clockid_t)a[0], (const struct timespec*)a[1]);
        case SYS_settimeofday:
            return settimeofday((const struct timeval*)a[0], (const struct timezone*)a[1]);
        default:
            return real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Kernel receive timestamps */

/* Maps a real CLOCK_REALTIME instant (a kernel timestamp from the recent past) to the emulated
 * timescale: the emulated clock now minus how long ago the instant was. */
static int64_t real_to_emulated_ns(int64_t real_ns) {
    int64_t mono;
    struct model m = read_model(&mono);
    int64_t real_now = real_now_ns(CLOCK_REALTIME);
    return model_at(&m, mono) - (real_now - real_ns);
}

struct shim_timeval64 {
    int64_t sec, usec;
};
struct shim_timespec64 {
    int64_t sec, nsec;
};

static void translate_cmsgs(struct msghdr* msg) {
    if (msg->msg_control == NULL || msg->msg_controllen < sizeof(struct cmsghdr)) return;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        size_t len = c->cmsg_len - CMSG_LEN(0);
        unsigned char* data = CMSG_DATA(c);
        if ((c->cmsg_type == SHIM_SCM_TIMESTAMPNS_OLD ||
             c->cmsg_type == SHIM_SCM_TIMESTAMPNS_NEW) &&
            len >= sizeof(struct shim_timespec64)) {
            struct shim_timespec64 t;
            memcpy(&t, data, sizeof t);
            struct timespec e = ns_to_ts(real_to_emulated_ns(t.sec * NS_PER_S + t.nsec));
            t.sec = e.tv_sec;
            t.nsec = e.tv_nsec;
            memcpy(data, &t, sizeof t);
        } else if ((c->cmsg_type == SHIM_SCM_TIMESTAMP_OLD ||
                    c->cmsg_type == SHIM_SCM_TIMESTAMP_NEW) &&
                   len >= sizeof(struct shim_timeval64)) {
            struct shim_timeval64 t;
            memcpy(&t, data, sizeof t);
            struct timespec e =
                ns_to_ts(real_to_emulated_ns(t.sec * NS_PER_S + t.usec * NS_PER_US));
            t.sec = e.tv_sec;
            t.usec = e.tv_nsec / NS_PER_US;
            memcpy(data, &t, sizeof t);
        } else if ((c->cmsg_type == SHIM_SCM_TIMESTAMPING_OLD ||
                    c->cmsg_type == SHIM_SCM_TIMESTAMPING_NEW) &&
                   len >= sizeof(struct shim_timespec64)) {
            /* ts[0] is the software (CLOCK_REALTIME) stamp; ts[2] is a raw hardware clock. */
            struct shim_timespec64 t;
            memcpy(&t, data, sizeof t);
            if (t.sec != 0 || t.nsec != 0) {
                struct timespec e = ns_to_ts(real_to_emulated_ns(t.sec * NS_PER_S + t.nsec));
                t.sec = e.tv_sec;
                t.nsec = e.tv_nsec;
                memcpy(data, &t, sizeof t);
            }
        }
    }
}

ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
    ensure_init();
    ssize_t n = real_recvmsg(fd, msg, flags);
    if (n >= 0) translate_cmsgs(msg);
    return n;
}

int recvmmsg(int fd, struct mmsghdr* msgs, unsigned int vlen, int flags, struct timespec* timeout) {
    ensure_init();
    int n = real_recvmmsg(fd, msgs, vlen, flags, timeout);
    for (int i = 0; i < n; i++) translate_cmsgs(&msgs[i].msg_hdr);
    return n;
}
