// libpcap loaded with dlopen on first use: see include/cpcap.h.
#include "cpcap.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

// Every libpcap function sockscope calls: return type, name, parameters, arguments,
// and what the forwarder returns when libpcap is missing.
#define CPCAP_FUNCTIONS(X, V)                                                                                   \
    X(pcap_t *, pcap_create, (const char *a, char *b), (a, b), (copy_error(b), NULL))                            \
    X(int, pcap_activate, (pcap_t * a), (a), PCAP_ERROR)                                                        \
    V(pcap_close, (pcap_t * a), (a))                                                                            \
    X(char *, pcap_geterr, (pcap_t * a), (a), load_error)                                                       \
    X(int, pcap_set_snaplen, (pcap_t * a, int b), (a, b), PCAP_ERROR)                                           \
    X(int, pcap_set_promisc, (pcap_t * a, int b), (a, b), PCAP_ERROR)                                           \
    X(int, pcap_set_immediate_mode, (pcap_t * a, int b), (a, b), PCAP_ERROR)                                    \
    X(int, pcap_set_buffer_size, (pcap_t * a, int b), (a, b), PCAP_ERROR)                                       \
    X(int, pcap_datalink, (pcap_t * a), (a), PCAP_ERROR)                                                        \
    X(int, pcap_setnonblock, (pcap_t * a, int b, char *c), (a, b, c), (copy_error(c), PCAP_ERROR))              \
    X(int, pcap_get_selectable_fd, (pcap_t * a), (a), PCAP_ERROR)                                               \
    X(int, pcap_next_ex, (pcap_t * a, struct pcap_pkthdr **b, const u_char **c), (a, b, c), PCAP_ERROR)         \
    X(int, pcap_stats, (pcap_t * a, struct pcap_stat *b), (a, b), PCAP_ERROR)                                   \
    X(int, pcap_compile, (pcap_t * a, struct bpf_program *b, const char *c, int d, bpf_u_int32 e), (a, b, c, d, e), \
      PCAP_ERROR)                                                                                               \
    X(int, pcap_setfilter, (pcap_t * a, struct bpf_program *b), (a, b), PCAP_ERROR)                             \
    V(pcap_freecode, (struct bpf_program * a), (a))                                                             \
    X(pcap_t *, pcap_open_dead, (int a, int b), (a, b), NULL)                                                   \
    X(pcap_t *, pcap_open_offline, (const char *a, char *b), (a, b), (copy_error(b), NULL))                     \
    X(pcap_dumper_t *, pcap_dump_open, (pcap_t * a, const char *b), (a, b), NULL)                               \
    V(pcap_dump, (u_char * a, const struct pcap_pkthdr *b, const u_char *c), (a, b, c))                         \
    X(int, pcap_dump_flush, (pcap_dumper_t * a), (a), PCAP_ERROR)                                               \
    X(FILE *, pcap_dump_file, (pcap_dumper_t * a), (a), NULL)                                                   \
    V(pcap_dump_close, (pcap_dumper_t * a), (a))                                                                \
    X(int, pcap_snapshot, (pcap_t * a), (a), PCAP_ERROR)                                                        \
    X(int, pcap_set_tstamp_precision, (pcap_t * a, int b), (a, b), PCAP_ERROR)                                  \
    X(pcap_t *, pcap_open_offline_with_tstamp_precision, (const char *a, u_int b, char *c), (a, b, c),          \
      (copy_error(c), NULL))                                                                                    \
    X(int, pcap_offline_filter, (const struct bpf_program *a, const struct pcap_pkthdr *b, const u_char *c),    \
      (a, b, c), 0)

static char load_error[PCAP_ERRBUF_SIZE];

/// Puts the reason libpcap is missing into a caller's error buffer.
static void copy_error(char *errbuf) {
    if (errbuf != NULL) snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", load_error);
}
static int loaded;  // 1 when every function was found
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

#define CPCAP_POINTER(type, name, params, args, failure) static type(*real_##name) params;
#define CPCAP_VOID_POINTER(name, params, args) static void(*real_##name) params;
CPCAP_FUNCTIONS(CPCAP_POINTER, CPCAP_VOID_POINTER)

/// dlopen the library (the soname Debian's libpcap0.8 installs, then the upstream one)
/// and dlsym each function; RTLD_LOCAL keeps libpcap's symbols out of the global scope.
static void load(void) {
    const char *names[] = {"libpcap.so.0.8", "libpcap.so.1"};
    void *library = NULL;
    char first_error[PCAP_ERRBUF_SIZE / 2] = "";
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (library == NULL && i == 0) snprintf(first_error, sizeof first_error, "%s", dlerror());
    }
    if (library == NULL) {
        snprintf(load_error, sizeof load_error,
                 "capturing needs libpcap, which could not be loaded (%s); install the libpcap0.8 package "
                 "(apt-get install libpcap0.8)",
                 first_error);
        return;
    }
#define CPCAP_RESOLVE(type, name, params, args, failure)                                                      \
    *(void **)(&real_##name) = dlsym(library, #name);                                                         \
    if (real_##name == NULL) {                                                                                \
        snprintf(load_error, sizeof load_error, "the libpcap found lacks %s: install libpcap0.8 1.5 or later", \
                 #name);                                                                                      \
        return;                                                                                               \
    }
#define CPCAP_VOID_RESOLVE(name, params, args) CPCAP_RESOLVE(void, name, params, args, )
    CPCAP_FUNCTIONS(CPCAP_RESOLVE, CPCAP_VOID_RESOLVE)
    loaded = 1;
}

int cpcap_load(char *errbuf) {
    pthread_once(&load_once, load);
    if (loaded) return 0;
    copy_error(errbuf);
    return -1;
}

// The forwarders: libpcap's own function once loaded, else its failure value (with
// the reason in the error buffer where the function has one).
#define CPCAP_FORWARD(type, name, params, args, failure) \
    type name params {                                   \
        if (cpcap_load(NULL) != 0) return failure;       \
        return real_##name args;                         \
    }
#define CPCAP_VOID_FORWARD(name, params, args) \
    void name params {                          \
        if (cpcap_load(NULL) != 0) return;      \
        real_##name args;                       \
    }
CPCAP_FUNCTIONS(CPCAP_FORWARD, CPCAP_VOID_FORWARD)
