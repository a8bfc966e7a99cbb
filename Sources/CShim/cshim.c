#define _GNU_SOURCE
#include "cshim.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <netdb.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

int cshim_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static int epoll_control(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &event);
}

int cshim_epoll_add(int epfd, int fd, uint32_t events, uint64_t data) {
    return epoll_control(epfd, EPOLL_CTL_ADD, fd, events, data);
}

int cshim_epoll_modify(int epfd, int fd, uint32_t events, uint64_t data) {
    return epoll_control(epfd, EPOLL_CTL_MOD, fd, events, data);
}

int cshim_epoll_remove(int epfd, int fd) {
    struct epoll_event unused;
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &unused);
}

int cshim_epoll_wait(int epfd, cshim_epoll_event *events, int capacity, int timeout_ms) {
    struct epoll_event raw[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epfd, raw, capacity, timeout_ms);
    for (int i = 0; i < count; i++) {
        events[i].events = raw[i].events;
        events[i].data = raw[i].data.u64;
    }
    return count;
}

const char *cshim_errno_name(int error) { return strerrorname_np(error); }

int cshim_get_status_flags(int fd) { return fcntl(fd, F_GETFL); }
int cshim_set_status_flags(int fd, int flags) { return fcntl(fd, F_SETFL, flags); }



int cshim_accept4(int fd, struct sockaddr *address, unsigned int *length, int flags) {
    return accept4(fd, address, (socklen_t *)length, flags);
}

int cshim_h_errno(void) { return h_errno; }
const char *cshim_hstrerror(int error) { return hstrerror(error); }

int cshim_receive_batch(int fd, void *buffers, size_t buffer_size, int count, cshim_datagram *datagrams) {
    struct mmsghdr messages[64];
    struct iovec vectors[64];
    if (count > 64) count = 64;
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        vectors[i].iov_base = (char *)buffers + (size_t)i * buffer_size;
        vectors[i].iov_len = buffer_size;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = datagrams[i].source;
        messages[i].msg_hdr.msg_namelen = sizeof datagrams[i].source;
    }
    int received = recvmmsg(fd, messages, (unsigned int)count, MSG_DONTWAIT | MSG_TRUNC, NULL);
    for (int i = 0; i < received; i++) {
        datagrams[i].length = messages[i].msg_len;
        datagrams[i].truncated = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        datagrams[i].source_length = messages[i].msg_hdr.msg_namelen;
    }
    return received;
}

int cshim_send_batch(int fd, const void *base, const size_t *lengths, int count,
                     const void *destination, unsigned int destination_length) {
    struct mmsghdr messages[64];
    struct iovec vectors[64];
    if (count > 64) count = 64;
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)count);
    const char *cursor = base;
    for (int i = 0; i < count; i++) {
        vectors[i].iov_base = (void *)cursor;
        vectors[i].iov_len = lengths[i];
        cursor += lengths[i];
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = (void *)destination;
        messages[i].msg_hdr.msg_namelen = destination ? destination_length : 0;
    }
    return sendmmsg(fd, messages, (unsigned int)count, MSG_NOSIGNAL);
}

/* Moves a descriptor of the program's own plumbing out of the way (fd 100 and up, when
   the limit allows), so the program's sockets keep the small numbers -v narrates
   (socket() → fd 3). */
static int move_high(int fd) {
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    if (moved < 0) return fd;
    close(fd);
    return moved;
}

int cshim_pipe_cloexec_nonblock(int ends[2]) {
    if (pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    for (int i = 0; i < 2; i++) ends[i] = move_high(ends[i]);
    return 0;
}

int cshim_relay_pipe(int ends[2], int size) {
    if (pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    if (size > 0) (void)fcntl(ends[1], F_SETPIPE_SZ, size);
    return fcntl(ends[1], F_GETPIPE_SZ);
}

ssize_t cshim_splice(int in, int out, size_t length) {
    return splice(in, NULL, out, NULL, length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}

int cshim_eventfd(void) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? -1 : move_high(fd);
}

int cshim_pidfd_open(int pid) {
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -1 : move_high(fd);
}

int cshim_terminal_columns(int fd) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return -1;
    return size.ws_col;
}

int cshim_signal_is_ignored(int sig) {
    struct sigaction current;
    if (sigaction(sig, NULL, &current) != 0) return 0;
    return current.sa_handler == SIG_IGN;
}

int cshim_tcp_idle_ms(int fd, unsigned int *received_ms, unsigned int *sent_ms) {
    struct tcp_info info;
    socklen_t length = sizeof(info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return -1;
    *received_ms = info.tcpi_last_data_recv;
    *sent_ms = info.tcpi_last_data_sent;
    return 0;
}

int cshim_unacknowledged_bytes(int fd) {
    int queued = 0;
    if (ioctl(fd, SIOCOUTQ, &queued) != 0) return -1;
    return queued;
}

int cshim_release_free_memory(void) { return malloc_trim(0); }

int cshim_readable_bytes(int fd) {
    int waiting = 0;
    if (ioctl(fd, FIONREAD, &waiting) != 0) return -1;
    return waiting;
}

int cshim_dup3_cloexec(int old, int new) {
    return dup3(old, new, O_CLOEXEC);
}

int cshim_move_high(int fd) {
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    if (moved < 0) return fd;
    close(fd);
    return moved;
}

int cshim_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}
