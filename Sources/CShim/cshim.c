#define _GNU_SOURCE
#include "cshim.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

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

int cshim_set_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

int cshim_set_pipe_size(int fd, int size) { return fcntl(fd, F_SETPIPE_SZ, size); }

ssize_t cshim_splice(int fd_in, int fd_out, size_t length, unsigned int flags) {
    return splice(fd_in, NULL, fd_out, NULL, length, flags);
}

int cshim_accept4(int fd, struct sockaddr *address, unsigned int *length, int flags) {
    return accept4(fd, address, (socklen_t *)length, flags);
}

int cshim_h_errno(void) { return h_errno; }
const char *cshim_hstrerror(int error) { return hstrerror(error); }
