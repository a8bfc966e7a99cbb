// libpcap, loaded on demand.
//
// sockscope does not link libpcap: start-up and every command that captures nothing
// never pay for it (nor for the eight libraries it pulls in). The pcap functions
// declared by <pcap/pcap.h> that sockscope calls are defined in cpcap.c as forwarders
// that load libpcap with dlopen (libpcap.so.0.8, then libpcap.so.1) the first time one
// is called. Call cpcap_load first to learn whether libpcap is there: when it is not,
// the forwarders fail as libpcap's own functions fail (NULL, PCAP_ERROR), and
// pcap_geterr returns the reason.
#ifndef CPCAP_H
#define CPCAP_H

#include <pcap/pcap.h>

/// Loads libpcap once (dlopen + dlsym of every function sockscope uses). Returns 0 when
/// it is loaded; -1 when it is not installed (or lacks a function), with the reason,
/// naming the package to install, in `errbuf` (PCAP_ERRBUF_SIZE bytes).
int cpcap_load(char *errbuf);

#endif
