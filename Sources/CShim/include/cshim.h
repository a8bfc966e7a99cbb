// cshim: the handful of Linux calls that Swift's Glibc module does not expose,
// or exposes in a shape Swift cannot use (packed structs, variadic functions).
#ifndef SOCKSCOPE_CSHIM_H
#define SOCKSCOPE_CSHIM_H

#include <stdint.h>
#include <sys/types.h>
#include <spawn.h>

/// One readiness report from epoll, unpacked (the kernel's `struct epoll_event`
/// is packed on x86-64, which Swift cannot import faithfully).
typedef struct {
    uint32_t events;
    uint64_t data;
} cshim_epoll_event;

enum {
    CSHIM_EPOLLIN = 0x001,
    CSHIM_EPOLLPRI = 0x002,
    CSHIM_EPOLLOUT = 0x004,
    CSHIM_EPOLLERR = 0x008,
    CSHIM_EPOLLHUP = 0x010,
    CSHIM_EPOLLRDHUP = 0x2000,
};

int cshim_epoll_create(void);
int cshim_epoll_add(int epfd, int fd, uint32_t events, uint64_t data);
int cshim_epoll_modify(int epfd, int fd, uint32_t events, uint64_t data);
int cshim_epoll_remove(int epfd, int fd);
int cshim_epoll_wait(int epfd, cshim_epoll_event *events, int capacity, int timeout_ms);

/// The symbolic name of an errno value ("ECONNREFUSED"), or NULL when unknown.
const char *cshim_errno_name(int error);

/// fcntl(2) without varargs.
int cshim_get_status_flags(int fd);
int cshim_set_status_flags(int fd, int flags);
/// Moves a descriptor to 100 or above (F_DUPFD_CLOEXEC), closing the original, when the
/// limit allows; returns the descriptor it now has.
int cshim_move_high(int fd);
/// dup3(old, new, O_CLOEXEC) (a GNU extension Glibc's module hides): `new` becomes `old`'s file.
int cshim_dup3_cloexec(int old, int new);

/// TCP_INFO's milliseconds since data was last received and sent on a TCP socket.
/// Returns 0, or -1 (not a TCP socket).
int cshim_tcp_idle_ms(int fd, unsigned int *received_ms, unsigned int *sent_ms);

/// Bytes in a socket's send queue not yet acknowledged by the peer (`ioctl(SIOCOUTQ)`):
/// 0 once everything written has reached the peer's kernel. Returns -1 on failure.
int cshim_unacknowledged_bytes(int fd);

/// Bytes waiting to be read on a pipe, socket or terminal (`ioctl(FIONREAD)`).
/// Returns -1 on failure.
int cshim_readable_bytes(int fd);

/// Gives the heap's free memory back to the kernel (`malloc_trim(0)`): after a load of
/// many connections has gone, so that the server's memory returns to what it was.
int cshim_release_free_memory(void);

/// Whether `sig`'s disposition is SIG_IGN (as `nohup` leaves SIGHUP).
int cshim_signal_is_ignored(int sig);

/// The width of the terminal on `fd` (`ioctl(TIOCGWINSZ)`), or -1 when it is not one
/// or says nothing.
int cshim_terminal_columns(int fd);

/// pipe2(2) with O_CLOEXEC | O_NONBLOCK (pipe2 needs _GNU_SOURCE), both ends moved to
/// descriptors 100 and up when the limit allows.
int cshim_pipe_cloexec_nonblock(int ends[2]);
/// pipe2(2) with O_CLOEXEC | O_NONBLOCK for a zero-copy relay, its capacity raised to
/// `size` bytes (F_SETPIPE_SZ; kept when the kernel refuses). Returns the capacity in
/// force (F_GETPIPE_SZ), or -1. Not moved: a relay makes one per direction and connection.
int cshim_relay_pipe(int ends[2], int size);
/// splice(2) (needs _GNU_SOURCE) of up to `length` bytes from `in` to `out`, one of them
/// a pipe, at their own file positions, with SPLICE_F_MOVE | SPLICE_F_NONBLOCK.
ssize_t cshim_splice(int in, int out, size_t length);
/// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), moved to fd 100 and up: an event loop's wake-up counter.
int cshim_eventfd(void);
/// pidfd_open(2) (Linux 5.3), moved to fd 100 and up: readable when the process has exited.
/// -1 with errno ENOSYS on an older kernel.
int cshim_pidfd_open(int pid);

struct sockaddr;
/// accept4(2), which needs _GNU_SOURCE.
int cshim_accept4(int fd, struct sockaddr *address, unsigned int *length, int flags);


/// The legacy resolver's error (`h_errno`, a macro Swift cannot see) and its text.
int cshim_h_errno(void);
const char *cshim_hstrerror(int error);

/// One datagram of a batch: its length on the wire, MSG_TRUNC, and its source.
typedef struct {
    size_t length;
    int truncated;
    unsigned int source_length;
    unsigned char source[128];
} cshim_datagram;

/// recvmmsg(2): up to `count` datagrams into `count` buffers of `buffer_size` bytes
/// laid end to end at `buffers`, without waiting. Returns how many arrived, or -1.
int cshim_receive_batch(int fd, void *buffers, size_t buffer_size, int count, cshim_datagram *datagrams);

/// sendmmsg(2): `count` datagrams whose bytes lie end to end at `base` with the
/// given lengths, to `destination` (NULL when connected). Returns how many were sent, or -1.
int cshim_send_batch(int fd, const void *base, const size_t *lengths, int count,
                     const void *destination, unsigned int destination_length);

/// posix_spawn_file_actions_addclosefrom_np(3) (glibc 2.34): the child closes every
/// descriptor from `lowest` up before it runs the program, so nothing of the server
/// (listeners, other clients, a capture socket) leaks into it. Returns 0 or an errno.
int cshim_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

#endif
