// The system libpcap, as Swift sees it.
#include <pcap/pcap.h>
