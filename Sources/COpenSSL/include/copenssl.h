// OpenSSL 3, loaded on demand.
//
// sockscope does not link libssl: start-up and every command without --tls never pay
// for it. This target's functions are the only way the Swift code reaches OpenSSL;
// they call libssl and libcrypto through pointers resolved with dlopen/dlsym
// (libssl.so.3, libcrypto.so.3, RTLD_LOCAL) the first time cossl_load is called.
// The pointers are typed from OpenSSL's own headers (`__typeof__`), so a wrong
// signature cannot compile. Swift sees opaque handles and plain C types only.
#ifndef COPENSSL_H
#define COPENSSL_H

#include <stddef.h>
#include <stdint.h>

typedef struct cossl_context cossl_context;  // an SSL_CTX
typedef struct cossl_session cossl_session;  // an SSL

/// Loads libssl and libcrypto once. Returns 0 when loaded; -1 with the reason,
/// naming the package to install, in `error`.
int cossl_load(char *error, size_t size);

/// What a context is made from (client or server side).
typedef struct {
    int server;                    // 1: accept handshakes; 0: make them
    int verify;                    // client: verify the server; server: require a client certificate
    const char *ca_file;           // trusted CAs (PEM); NULL: the system store (client) / none (server)
    const char *cert_file;         // our certificate chain (PEM), or NULL
    const char *key_file;          // its private key (PEM), or NULL (then in cert_file)
    int self_signed;               // server without cert_file: make an ephemeral certificate
    int min_version, max_version;  // TLS1_2_VERSION (0x0303), TLS1_3_VERSION (0x0304), or 0
    const char *ciphers;           // TLS 1.2 cipher list (OpenSSL syntax), or NULL
    const char *ciphersuites;      // TLS 1.3 suites, or NULL
    const unsigned char *alpn;     // ALPN protocols in wire format (length-prefixed), or NULL
    unsigned int alpn_length;
    int keylog_fd;                 // write NSS key log lines (SSLKEYLOGFILE) here, or -1
    int exact_reads;               // 1: no read-ahead (what follows a record stays in the socket)
    int datagram;                  // 1: DTLS over a UDP socket (versions DTLS1_VERSION, DTLS1_2_VERSION)
} cossl_context_options;

/// Makes a context; NULL with the reason in `error`. When the context has a
/// certificate (given or made), its SHA-256 fingerprint is written to `fingerprint`.
cossl_context *cossl_context_new(const cossl_context_options *options, unsigned char fingerprint[32], char *error,
                                 size_t size);
void cossl_context_free(cossl_context *context);

/// The alerts a session sent and received, as the record layer saw them (-1: none),
/// and the first five bytes the peer sent (a record header, or the start of whatever
/// else a non-TLS service answered: "HTTP/", "SSH-2").
typedef struct {
    int sent_level, sent_description;
    int received_level, received_description;
    unsigned char first_bytes[5];
    int first_bytes_length;
    int certificate_requested;  // the server sent a CertificateRequest
    int certificate_sent;       // we sent a Certificate message holding a certificate
} cossl_alerts;

/// A session on a connected, non-blocking socket. `sni`: the server name to send
/// (client), or NULL. `verify_name`: the host name or IP address the certificate must
/// match (client), or NULL. `alerts` is updated as alerts pass (it must outlive the session).
cossl_session *cossl_session_new(cossl_context *context, int fd, const char *sni, const char *verify_name,
                                 cossl_alerts *alerts, char *error, size_t size);
void cossl_session_free(cossl_session *session);

// Results of the calls below, besides a positive count.
#define COSSL_DONE 1
#define COSSL_CLOSED 0             // the peer sent close_notify
#define COSSL_FAILED -1            // a TLS failure: cossl_error has the reason
#define COSSL_WANT_READ -2         // retry when the socket is readable
#define COSSL_WANT_WRITE -3        // retry when the socket is writable
#define COSSL_SYSTEM -4            // a system call failed: *system_errno
#define COSSL_UNEXPECTED_EOF -5    // the TCP stream ended without close_notify, at a record boundary
#define COSSL_CUT_MID_RECORD -6    // the TCP stream ended inside a record: data was lost

/// The errno of the first key log line that could not be written, or 0.
int cossl_keylog_error(void);

/// Drives the handshake one step (SSL_do_handshake).
int cossl_handshake(cossl_session *session, int *system_errno);
/// SSL_read: the count, or one of the results above.
int cossl_read(cossl_session *session, void *buffer, int size, int *system_errno);
/// SSL_write of as many whole records of `buffer` as fit, then as much of them sent as
/// the socket takes: the count taken, or one of the results above. Records not yet sent
/// wait in the session's write buffer (cossl_pending_output) and go first next time.
int cossl_write(cossl_session *session, const void *buffer, int size, int *system_errno);
/// Whether the session holds input already taken from the socket (read-ahead, or a
/// record that came with the handshake's last flight): epoll will not report it.
int cossl_has_pending(cossl_session *session);
/// Whether encrypted records wait in the write buffer for room in the socket.
int cossl_pending_output(cossl_session *session);
/// Sends the write buffer: COSSL_DONE when empty, COSSL_WANT_WRITE, or COSSL_SYSTEM.
int cossl_flush(cossl_session *session, int *system_errno);
/// Sends close_notify (SSL_shutdown once) after what is buffered, and sends it on:
/// COSSL_DONE once all of it has left, or a want/failure result (call again).
int cossl_shutdown(cossl_session *session, int *system_errno);
/// DTLS server: answers ClientHellos on an unconnected UDP socket (HelloVerifyRequest
/// with a cookie, no state kept) until one comes back with a valid cookie: COSSL_DONE
/// with its source in `peer` (`*peer_length` bytes of a sockaddr), COSSL_WANT_READ
/// when none has yet, or a failure. SSL_do_handshake then goes on with that client.
int cossl_dtls_listen(cossl_session *session, void *peer, unsigned int *peer_length, int *system_errno);
/// Moves a DTLS session to another UDP socket (connected to the peer): 0 on success.
int cossl_dtls_move(cossl_session *session, int fd);
/// Milliseconds until the DTLS retransmission timer fires (DTLSv1_get_timeout), or -1
/// when none runs.
long cossl_dtls_timeout(cossl_session *session);
/// The timer fired: resend the last flight (DTLSv1_handle_timeout); COSSL_FAILED after
/// too many tries.
int cossl_dtls_retransmit(cossl_session *session);
/// 1 when the session is DTLS.
int cossl_is_datagram(cossl_session *session);
/// DTLS: while on, the records SSL_write makes are kept to be sent together
/// (cossl_dtls_send_gathered) instead of one send each; 0, or -1 when the session
/// cannot gather (it then sends each record at once).
int cossl_dtls_gather(cossl_session *session, int on);
/// DTLS: encrypts `size` bytes as one record (SSL_write): `size` once it is kept or
/// sent, COSSL_WANT_WRITE when the kept records must be sent first (then call again
/// with the same bytes), or a failure.
int cossl_dtls_seal(cossl_session *session, const void *buffer, int size, int *system_errno);
/// DTLS: sends the kept records, all in one sendmsg with UDP_SEGMENT (GSO: the kernel
/// cuts it into one datagram per record) when every one but the last has the same
/// size, else one send each (also from the first time the kernel refuses GSO on):
/// COSSL_DONE once all have gone, COSSL_WANT_WRITE when the socket is full (call again
/// when it is writable), COSSL_SYSTEM with the errno.
int cossl_dtls_send_gathered(cossl_session *session, int *system_errno);
/// DTLS: SSL_read again and again, each record's plaintext after the last in `buffer`
/// and its length in `lengths`, while `most` records and a whole record's room (16 KiB)
/// are left: `*count` records. Returns COSSL_DONE when it stopped for room, else why
/// the last SSL_read stopped (COSSL_WANT_READ, COSSL_CLOSED, a failure) — after the
/// records read before it, which are the caller's either way.
int cossl_read_records(cossl_session *session, void *buffer, int capacity, int *lengths, int most, int *count,
                       int *system_errno);

/// The first queued OpenSSL error's reason ("certificate verify failed"), and clears the queue.
void cossl_error(char *buffer, size_t size);

/// Facts of an established session (strings are OpenSSL's, valid while the session lives).
const char *cossl_version(cossl_session *session);
const char *cossl_cipher(cossl_session *session);
const char *cossl_group(cossl_session *session);
/// The ALPN protocol agreed, copied NUL-terminated; 0 when none.
int cossl_alpn(cossl_session *session, char *buffer, size_t size);
int cossl_resumed(cossl_session *session);
/// The server name the client sent (server side), or NULL.
const char *cossl_server_name(cossl_session *session);
/// The verification result (X509_V_OK is 0) and its text.
long cossl_verify_result(cossl_session *session);
const char *cossl_verify_text(long code);

/// A certificate, described.
typedef struct {
    char subject[512];      // RFC 2253, its bytes as they are (control characters too): subject_length
    int subject_length;
    char issuer[512];
    int issuer_length;
    char common_name[256];  // the raw bytes (a NUL inside is kept): common_name_length
    int common_name_length;
    char alt_names[2048];   // the entries' raw bytes one after another ("DNS:a", "IP Address:…")
    unsigned short alt_name_lengths[64];
    int alt_name_count;
    int64_t not_before;     // seconds since the epoch
    int64_t not_after;
    char key_type[32];      // "RSA", "EC", "ED25519"
    int key_bits;
    char key_group[64];     // an EC key's curve
    char signature[64];     // "sha256WithRSAEncryption"
    unsigned char sha256[32];
    int self_issued;        // subject equals issuer
} cossl_certificate;

/// How many certificates the peer sent (the leaf first).
int cossl_peer_chain_length(cossl_session *session);
/// Describes the peer's certificate at `index`; 0 on success.
int cossl_peer_certificate(cossl_session *session, int index, cossl_certificate *out);

/// What nmap's ssl-cert script shows besides: each name's entries as "longName=value"
/// (raw bytes, in the certificate's order), the MD5 and SHA-1 digests.
typedef struct {
    char subject[1024];
    unsigned short subject_lengths[32];
    int subject_count;
    char issuer[1024];
    unsigned short issuer_lengths[32];
    int issuer_count;
    unsigned char md5[16];
    unsigned char sha1[20];
} cossl_certificate_details;

/// Fills `out` for the peer's certificate at `index`; 0 on success.
int cossl_peer_certificate_details(cossl_session *session, int index, cossl_certificate_details *out);
/// The peer's certificate at `index` in DER, into `buffer`: its length, or the length it
/// needs when over `size`, or -1 when there is none.
int cossl_peer_certificate_der(cossl_session *session, int index, unsigned char *buffer, int size);

#endif
