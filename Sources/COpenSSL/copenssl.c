// OpenSSL loaded with dlopen on first use: see include/copenssl.h.
#include "copenssl.h"

#include <arpa/inet.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// Every OpenSSL function this file calls. Each gets a pointer of its own type
// (`p_NAME`), resolved by name from libssl (which finds libcrypto's too).
#define COSSL_FUNCTIONS(X)                                                                                   \
    X(TLS_client_method) X(TLS_server_method) X(SSL_CTX_new) X(SSL_CTX_free) X(SSL_CTX_set_verify)           \
    X(SSL_CTX_set_default_verify_paths) X(SSL_CTX_load_verify_locations) X(SSL_CTX_use_certificate_chain_file) \
    X(SSL_CTX_use_PrivateKey_file) X(SSL_CTX_check_private_key) X(SSL_CTX_ctrl) X(SSL_CTX_set_cipher_list)    \
    X(SSL_CTX_set_ciphersuites) X(SSL_CTX_set_alpn_protos) X(SSL_CTX_set_alpn_select_cb)                      \
    X(SSL_CTX_set_keylog_callback) X(SSL_CTX_set_options) X(SSL_CTX_set_default_read_buffer_len) X(SSL_CTX_use_certificate) X(SSL_CTX_use_PrivateKey) \
    X(SSL_load_client_CA_file) X(SSL_CTX_set_client_CA_list) X(SSL_CTX_set_session_id_context)                \
    X(CRYPTO_get_ex_new_index) X(SSL_CTX_set_ex_data) X(SSL_CTX_get_ex_data) X(SSL_get_SSL_CTX) X(SSL_new)   \
    X(SSL_free) X(SSL_set_fd) X(SSL_set_connect_state) X(SSL_set_accept_state) X(SSL_do_handshake) X(SSL_read) \
    X(SSL_write) X(SSL_get_error) X(SSL_shutdown) X(SSL_ctrl) X(SSL_set1_host) X(SSL_get0_param)              \
    X(SSL_get_version) X(SSL_get_current_cipher) X(SSL_CIPHER_get_name) X(SSL_get0_alpn_selected)            \
    X(SSL_session_reused) X(SSL_get_verify_result) X(SSL_get_peer_cert_chain) X(SSL_get0_peer_certificate)   \
    X(SSL_group_to_name) X(SSL_set_msg_callback) X(SSL_get_wbio) X(SSL_set0_wbio) X(SSL_get_shutdown) X(SSL_has_pending) X(BIO_f_buffer) X(BIO_push) X(BIO_up_ref) X(BIO_int_ctrl) X(BIO_test_flags) X(SSL_select_next_proto) X(SSL_get_servername)              \
    X(SSL_is_server) X(X509_VERIFY_PARAM_set1_ip_asc) X(X509_verify_cert_error_string) X(ERR_get_error)       \
    X(ERR_peek_error) X(ERR_reason_error_string) X(ERR_error_string_n) X(ERR_clear_error) X(OPENSSL_sk_num)   \
    X(OPENSSL_sk_value) X(X509_get_subject_name) X(X509_get_issuer_name) X(X509_NAME_print_ex) X(BIO_new)     \
    X(BIO_s_mem) X(BIO_ctrl) X(BIO_free) X(X509_NAME_get_index_by_NID) X(X509_NAME_get_entry) X(X509_NAME_ENTRY_get_data) X(ASN1_STRING_get0_data) X(ASN1_STRING_length) X(X509_get_ext_d2i) X(GENERAL_NAME_print) \
    X(GENERAL_NAMES_free) X(X509_get0_notBefore) X(X509_get0_notAfter) X(ASN1_TIME_to_tm) X(X509_get0_pubkey) \
    X(EVP_PKEY_get_base_id) X(EVP_PKEY_get_bits) X(EVP_PKEY_get_group_name) X(OBJ_nid2sn) X(OBJ_nid2ln)        \
    X(X509_get_signature_nid) X(X509_digest) X(EVP_sha256) X(X509_NAME_cmp) X(EVP_PKEY_CTX_new_from_name)      \
    X(EVP_PKEY_keygen_init) X(EVP_PKEY_CTX_set_group_name) X(EVP_PKEY_generate) X(EVP_PKEY_CTX_free)          \
    X(EVP_PKEY_free) X(X509_new) X(X509_free) X(X509_set_version) X(X509_get_serialNumber) X(ASN1_INTEGER_set) \
    X(X509_gmtime_adj) X(X509_getm_notBefore) X(X509_getm_notAfter) X(X509_set_pubkey)                        \
    X(X509_NAME_add_entry_by_txt) X(X509_set_issuer_name) X(X509V3_EXT_conf_nid) X(X509_add_ext)              \
    X(X509_EXTENSION_free) X(X509_sign) X(RAND_bytes) X(SSL_CTX_get0_certificate) X(DTLS_client_method)          \
    X(DTLS_server_method) X(BIO_new_dgram) X(SSL_set_bio) X(SSL_get_rbio) X(SSL_is_dtls) X(DTLSv1_listen)       \
    X(BIO_ADDR_new) X(BIO_ADDR_free) X(SSL_CTX_set_cookie_generate_cb) X(SSL_CTX_set_cookie_verify_cb) X(EVP_Q_mac) \
    X(SSL_clear) X(BIO_meth_new) X(BIO_meth_set_write) X(BIO_meth_set_ctrl) X(BIO_meth_set_create)               \
    X(BIO_meth_set_destroy) X(BIO_set_data) X(BIO_get_data) X(BIO_set_init) X(BIO_next) X(BIO_get_new_index)    \
    X(BIO_set_flags) X(BIO_clear_flags) X(BIO_copy_next_retry) X(BIO_write) X(BIO_find_type) X(BIO_read)        \
    X(BIO_meth_set_read) X(X509_NAME_entry_count) X(X509_NAME_ENTRY_get_object) X(OBJ_obj2nid) X(OBJ_obj2txt) \
    X(EVP_md5) X(EVP_sha1) X(i2d_X509)

#define COSSL_POINTER(name) static __typeof__(&name) p_##name;
COSSL_FUNCTIONS(COSSL_POINTER)

static char load_error[512];
static int loaded;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/// dlopen libssl.so.3 (Debian's libssl3; it loads libcrypto.so.3 itself) and dlsym
/// every function; RTLD_LOCAL keeps OpenSSL's symbols out of the global scope.
static void load(void) {
    void *library = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(load_error, sizeof load_error,
                 "TLS needs OpenSSL 3, which could not be loaded (%s); install the libssl3 package "
                 "(apt-get install libssl3)",
                 dlerror());
        return;
    }
#define COSSL_RESOLVE(name)                                                                                   \
    *(void **)(&p_##name) = dlsym(library, #name);                                                            \
    if (p_##name == NULL) {                                                                                   \
        snprintf(load_error, sizeof load_error, "the OpenSSL found lacks %s: install libssl3 (OpenSSL 3.0 or later)", \
                 #name);                                                                                      \
        return;                                                                                               \
    }
    COSSL_FUNCTIONS(COSSL_RESOLVE)
    loaded = 1;
}

int cossl_load(char *error, size_t size) {
    pthread_once(&load_once, load);
    if (loaded) return 0;
    if (error != NULL && size > 0) snprintf(error, size, "%s", load_error);
    return -1;
}

void cossl_error(char *buffer, size_t size) {
    if (size == 0) return;
    buffer[0] = 0;
    if (!loaded) return;
    unsigned long code = p_ERR_get_error();
    if (code != 0) {
        const char *reason = p_ERR_reason_error_string(code);
        if (reason != NULL) {
            snprintf(buffer, size, "%s", reason);
        } else {
            p_ERR_error_string_n(code, buffer, size);
        }
    }
    p_ERR_clear_error();
}

static void set_error(char *error, size_t size, const char *what) {
    char reason[256];
    cossl_error(reason, sizeof reason);
    if (reason[0] != 0) {
        snprintf(error, size, "%s: %s", what, reason);
    } else {
        snprintf(error, size, "%s", what);
    }
}

// MARK: key log

static int keylog_index = -1;
/// The errno of the first key log write that failed (0: none has): a full disk must not
/// leave a key log silently incomplete.
static _Atomic int keylog_errno;

int cossl_keylog_error(void) { return keylog_errno; }

/// Writes one NSS key log line (what SSLKEYLOGFILE files hold) to the context's file.
static void write_keylog(const SSL *ssl, const char *line) {
    SSL_CTX *context = p_SSL_get_SSL_CTX(ssl);
    intptr_t fd = (intptr_t)p_SSL_CTX_get_ex_data(context, keylog_index) - 1;
    if (fd < 0) return;
    size_t length = strlen(line);
    char buffer[1024];
    if (length + 1 > sizeof buffer) return;
    memcpy(buffer, line, length);
    buffer[length] = '\n';
    size_t done = 0;
    while (done < length + 1) {
        ssize_t written = write((int)fd, buffer + done, length + 1 - done);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) {
            int expected = 0;
            atomic_compare_exchange_strong(&keylog_errno, &expected, written < 0 ? errno : ENOSPC);
            return;
        }
        done += (size_t)written;
    }
}

// MARK: ALPN (server side)

/// Picks the first of the server's protocols that the client offered (RFC 7301: the
/// server's preference); no overlap is a no_application_protocol alert.
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *out_length, const unsigned char *offered,
                       unsigned int offered_length, void *argument) {
    (void)ssl;
    const unsigned char *ours = argument;
    unsigned int ours_length = ours[0] | (ours[1] << 8);
    unsigned char *chosen = NULL;
    if (p_SSL_select_next_proto(&chosen, out_length, ours + 2, ours_length, offered, offered_length) !=
        OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

static int alpn_index = -1;

// MARK: the ephemeral certificate

/// Makes a P-256 key and a self-signed certificate for it (CN=sockscope, SANs
/// localhost, 127.0.0.1, ::1, valid for a day from an hour ago), as ncat does when
/// --ssl listens without --ssl-cert.
static int use_self_signed(SSL_CTX *context, char *error, size_t size) {
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *generator = p_EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (generator == NULL || p_EVP_PKEY_keygen_init(generator) <= 0 ||
        p_EVP_PKEY_CTX_set_group_name(generator, "P-256") <= 0 || p_EVP_PKEY_generate(generator, &key) <= 0) {
        if (generator != NULL) p_EVP_PKEY_CTX_free(generator);
        set_error(error, size, "cannot make a key for the ephemeral certificate");
        return -1;
    }
    p_EVP_PKEY_CTX_free(generator);
    X509 *certificate = p_X509_new();
    unsigned char serial[4];
    p_RAND_bytes(serial, sizeof serial);
    long serial_number = ((long)(serial[0] & 0x7f) << 24) | (serial[1] << 16) | (serial[2] << 8) | serial[3];
    X509_NAME *name = p_X509_get_subject_name(certificate);
    X509_EXTENSION *alt_names = p_X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
                                                      "DNS:localhost,IP:127.0.0.1,IP:::1");
    int ok = certificate != NULL && alt_names != NULL && p_X509_set_version(certificate, 2) &&
             p_ASN1_INTEGER_set(p_X509_get_serialNumber(certificate), serial_number) &&
             p_X509_gmtime_adj(p_X509_getm_notBefore(certificate), -3600) != NULL &&
             p_X509_gmtime_adj(p_X509_getm_notAfter(certificate), 86400) != NULL &&
             p_X509_set_pubkey(certificate, key) &&
             p_X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"sockscope", -1, -1, 0) &&
             p_X509_set_issuer_name(certificate, name) && p_X509_add_ext(certificate, alt_names, -1) &&
             p_X509_sign(certificate, key, p_EVP_sha256()) > 0 && p_SSL_CTX_use_certificate(context, certificate) &&
             p_SSL_CTX_use_PrivateKey(context, key);
    if (alt_names != NULL) p_X509_EXTENSION_free(alt_names);
    if (certificate != NULL) p_X509_free(certificate);
    p_EVP_PKEY_free(key);
    if (!ok) set_error(error, size, "cannot make the ephemeral certificate");
    return ok ? 0 : -1;
}

/// The SHA-256 fingerprint of the context's own certificate.
static void own_fingerprint(SSL_CTX *context, unsigned char fingerprint[32]) {
    memset(fingerprint, 0, 32);
    X509 *certificate = p_SSL_CTX_get0_certificate(context);
    unsigned int length = 32;
    if (certificate != NULL) p_X509_digest(certificate, p_EVP_sha256(), fingerprint, &length);
}

// MARK: contexts

static int load_identity(SSL_CTX *context, const cossl_context_options *options, char *error, size_t size) {
    if (options->cert_file == NULL) {
        return options->self_signed ? use_self_signed(context, error, size) : 0;
    }
    char what[600];
    if (p_SSL_CTX_use_certificate_chain_file(context, options->cert_file) != 1) {
        snprintf(what, sizeof what, "cannot use the certificate %s", options->cert_file);
        set_error(error, size, what);
        return -1;
    }
    const char *key_file = options->key_file != NULL ? options->key_file : options->cert_file;
    if (p_SSL_CTX_use_PrivateKey_file(context, key_file, SSL_FILETYPE_PEM) != 1) {
        snprintf(what, sizeof what, "cannot use the private key %s", key_file);
        set_error(error, size, what);
        return -1;
    }
    if (p_SSL_CTX_check_private_key(context) != 1) {
        snprintf(what, sizeof what, "the key %s does not belong to the certificate %s", key_file, options->cert_file);
        set_error(error, size, what);
        return -1;
    }
    return 0;
}

static int load_trust(SSL_CTX *context, const cossl_context_options *options, char *error, size_t size) {
    char what[600];
    if (options->ca_file != NULL) {
        if (p_SSL_CTX_load_verify_locations(context, options->ca_file, NULL) != 1) {
            snprintf(what, sizeof what, "cannot load the CA certificates in %s", options->ca_file);
            set_error(error, size, what);
            return -1;
        }
        if (options->server) {
            STACK_OF(X509_NAME) *names = p_SSL_load_client_CA_file(options->ca_file);
            if (names != NULL) p_SSL_CTX_set_client_CA_list(context, names);
        }
    } else if (!options->server && p_SSL_CTX_set_default_verify_paths(context) != 1) {
        set_error(error, size, "cannot load the system's trusted certificates");
        return -1;
    }
    if (options->server) {
        int mode = options->verify ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE;
        p_SSL_CTX_set_verify(context, mode, NULL);
        static const unsigned char id[] = "sockscope";
        p_SSL_CTX_set_session_id_context(context, id, sizeof id - 1);
    } else {
        p_SSL_CTX_set_verify(context, options->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    }
    return 0;
}

static int apply_protocols(SSL_CTX *context, const cossl_context_options *options, char *error, size_t size) {
    char what[600];
    if (options->min_version != 0 &&
        p_SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, options->min_version, NULL) != 1) {
        set_error(error, size, "cannot set the lowest TLS version");
        return -1;
    }
    if (options->max_version != 0 &&
        p_SSL_CTX_ctrl(context, SSL_CTRL_SET_MAX_PROTO_VERSION, options->max_version, NULL) != 1) {
        set_error(error, size, "cannot set the highest TLS version");
        return -1;
    }
    if (options->ciphers != NULL && p_SSL_CTX_set_cipher_list(context, options->ciphers) != 1) {
        snprintf(what, sizeof what, "no TLS 1.2 cipher matches '%s'", options->ciphers);
        set_error(error, size, what);
        return -1;
    }
    if (options->ciphersuites != NULL && p_SSL_CTX_set_ciphersuites(context, options->ciphersuites) != 1) {
        snprintf(what, sizeof what, "no TLS 1.3 cipher suite matches '%s'", options->ciphersuites);
        set_error(error, size, what);
        return -1;
    }
    if (options->alpn != NULL && options->alpn_length > 0) {
        if (!options->server) {
            if (p_SSL_CTX_set_alpn_protos(context, options->alpn, options->alpn_length) != 0) {
                set_error(error, size, "cannot set the ALPN protocols");
                return -1;
            }
        } else {
            unsigned char *copy = malloc(options->alpn_length + 2);
            if (copy == NULL) return -1;
            copy[0] = options->alpn_length & 0xff;
            copy[1] = (options->alpn_length >> 8) & 0xff;
            memcpy(copy + 2, options->alpn, options->alpn_length);
            p_SSL_CTX_set_ex_data(context, alpn_index, copy);
            p_SSL_CTX_set_alpn_select_cb(context, select_alpn, copy);
        }
    }
    return 0;
}


// MARK: DTLS cookies

/// The key of this process's DTLS cookies (RFC 6347 §4.2.1): a server answers a
/// ClientHello without a valid cookie with HelloVerifyRequest, keeping no state, so a
/// forged source address gets nothing but one small datagram back.
static unsigned char cookie_secret[32];
static pthread_once_t cookie_once = PTHREAD_ONCE_INIT;
static int cookie_ready;

static void make_cookie_secret(void) { cookie_ready = p_RAND_bytes(cookie_secret, sizeof cookie_secret) == 1; }

/// HMAC-SHA256 over the peer's address (as the datagram BIO saw it): its cookie.
static int peer_cookie(SSL *ssl, unsigned char *cookie, size_t *length) {
    struct sockaddr_storage peer;
    memset(&peer, 0, sizeof peer);
    long size = p_BIO_ctrl(p_SSL_get_rbio(ssl), BIO_CTRL_DGRAM_GET_PEER, sizeof peer, &peer);
    if (size <= 0 || !cookie_ready) return 0;
    return p_EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, cookie_secret, sizeof cookie_secret, (unsigned char *)&peer,
                       (size_t)size, cookie, 32, length) != NULL;
}

static int generate_cookie(SSL *ssl, unsigned char *cookie, unsigned int *length) {
    size_t made = 0;
    if (!peer_cookie(ssl, cookie, &made)) return 0;
    *length = (unsigned int)made;
    return 1;
}

static int verify_cookie(SSL *ssl, const unsigned char *cookie, unsigned int length) {
    unsigned char expected[32];
    size_t made = 0;
    if (!peer_cookie(ssl, expected, &made) || length != made) return 0;
    unsigned char difference = 0;
    for (size_t index = 0; index < made; index++) difference |= expected[index] ^ cookie[index];
    return difference == 0;
}

static int use_cookies(SSL_CTX *context, char *error, size_t size) {
    pthread_once(&cookie_once, make_cookie_secret);
    if (!cookie_ready) {
        set_error(error, size, "cannot make the DTLS cookie key");
        return -1;
    }
    p_SSL_CTX_set_cookie_generate_cb(context, generate_cookie);
    p_SSL_CTX_set_cookie_verify_cb(context, verify_cookie);
    return 0;
}

cossl_context *cossl_context_new(const cossl_context_options *options, unsigned char fingerprint[32], char *error,
                                 size_t size) {
    if (cossl_load(error, size) != 0) return NULL;
    if (keylog_index < 0) keylog_index = p_CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, NULL, NULL, NULL, NULL);
    if (alpn_index < 0) alpn_index = p_CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, NULL, NULL, NULL, NULL);
    p_ERR_clear_error();
    const SSL_METHOD *method = options->datagram ? (options->server ? p_DTLS_server_method() : p_DTLS_client_method())
                                                 : (options->server ? p_TLS_server_method() : p_TLS_client_method());
    SSL_CTX *context = p_SSL_CTX_new(method);
    if (context == NULL) {
        set_error(error, size, "cannot make a TLS context");
        return NULL;
    }
    // Partial writes: SSL_write returns after each record, like send() on a socket;
    // a retried write may come from a moved buffer (the relay's contents stay the same).
    p_SSL_CTX_ctrl(context, SSL_CTRL_MODE, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER,
                   NULL);
    // Read-ahead: one recv() takes in as many records as have arrived (up to 64 KiB),
    // instead of a recv() for each record's header and another for its body.
    if (!options->exact_reads && !options->datagram) {
        p_SSL_CTX_ctrl(context, SSL_CTRL_SET_READ_AHEAD, 1, NULL);
        p_SSL_CTX_set_default_read_buffer_len(context, 64 * 1024);
    }
    // DTLS reads whole datagrams: with UDP_GRO (use_datagrams) one may hold a sender's
    // whole GSO batch of records, up to a UDP payload's 65,507 bytes, and a shorter
    // buffer would cut it (MSG_TRUNC) and lose the records past its end.
    if (options->datagram) p_SSL_CTX_set_default_read_buffer_len(context, 65536 + 1024);
    if (load_identity(context, options, error, size) != 0 || load_trust(context, options, error, size) != 0 ||
        apply_protocols(context, options, error, size) != 0) {
        cossl_context_free((cossl_context *)context);
        return NULL;
    }
    if (options->datagram && options->server && use_cookies(context, error, size) != 0) {
        cossl_context_free((cossl_context *)context);
        return NULL;
    }
    if (options->keylog_fd >= 0) {
        p_SSL_CTX_set_ex_data(context, keylog_index, (void *)(intptr_t)(options->keylog_fd + 1));
        p_SSL_CTX_set_keylog_callback(context, write_keylog);
    }
    own_fingerprint(context, fingerprint);
    return (cossl_context *)context;
}

void cossl_context_free(cossl_context *context) {
    if (context == NULL) return;
    SSL_CTX *ctx = (SSL_CTX *)context;
    free(p_SSL_CTX_get_ex_data(ctx, alpn_index));
    p_SSL_CTX_free(ctx);
}

// MARK: sessions

/// Notes each alert as it passes (content type 21: level, description).
static void watch_alerts(int write_p, int version, int content_type, const void *buffer, size_t length, SSL *ssl,
                         void *argument) {
    (void)version;
    (void)ssl;
    if (argument == NULL) return;
    const unsigned char *bytes = buffer;
    cossl_alerts *alerts = argument;
    if (content_type == SSL3_RT_HEADER && !write_p && alerts->first_bytes_length == 0 && length > 0) {
        size_t count = length < sizeof alerts->first_bytes ? length : sizeof alerts->first_bytes;
        memcpy(alerts->first_bytes, bytes, count);
        alerts->first_bytes_length = (int)count;
        return;
    }
    if (content_type == SSL3_RT_HANDSHAKE && length >= 1) {
        // CertificateRequest (13) received; a Certificate (11) sent whose list is not empty
        // (TLS 1.2: type, length 3, list length 3; TLS 1.3 adds a context length byte first).
        if (!write_p && bytes[0] == 13) alerts->certificate_requested = 1;
        if (write_p && bytes[0] == 11 && length > 10) alerts->certificate_sent = 1;
        return;
    }
    if (content_type != SSL3_RT_ALERT || length < 2) return;
    if (write_p) {
        alerts->sent_level = bytes[0];
        alerts->sent_description = bytes[1];
    } else {
        alerts->received_level = bytes[0];
        alerts->received_description = bytes[1];
    }
}

/// Whether `name` is an IPv4 or IPv6 address (certificates name those as IP SANs).
static int is_address(const char *name) {
    unsigned char buffer[16];
    return inet_pton(AF_INET, name, buffer) == 1 || inet_pton(AF_INET6, name, buffer) == 1;
}

/// Records go out through a write buffer (BIO_f_buffer, 256 KiB) in front of the socket:
/// cossl_write encrypts a whole chunk of records, then sends them with as few send()
/// calls as the socket allows, instead of one send() per 16 KiB record.
static int buffer_writes(SSL *ssl) {
    BIO *socket_bio = p_SSL_get_wbio(ssl);
    BIO *buffer = p_BIO_new(p_BIO_f_buffer());
    if (socket_bio == NULL || buffer == NULL) return -1;
    if (p_BIO_int_ctrl(buffer, BIO_C_SET_BUFF_SIZE, 256 * 1024, 1) != 1 || p_BIO_up_ref(socket_bio) != 1) {
        p_BIO_free(buffer);
        return -1;
    }
    // The chain holds a reference of its own to the socket BIO (still the read BIO too);
    // SSL_set0_wbio drops the one SSL_set_fd gave the write side.
    p_BIO_push(buffer, socket_bio);
    p_SSL_set0_wbio(ssl, buffer);
    return 0;
}


// MARK: DTLS filters: records gathered for one send (UDP GSO), datagrams read a record at a time

static int classify(SSL *ssl, int result, int *system_errno);

/// At most this many records in one send (UDP_MAX_SEGMENTS is 64 on older kernels) and
/// this many bytes (a UDP payload's limit is 65,507).
#define GATHER_RECORDS 64
#define GATHER_BYTES 65000

/// The state of a gathering BIO: a filter in front of the datagram BIO that, while
/// `gathering`, keeps the records SSL_write makes instead of sending each; otherwise
/// (handshake flights, alerts, close_notify) it passes every write through.
typedef struct {
    int gathering;
    int unsegmented;   // 1 once the kernel refused UDP_SEGMENT: one send per record from then on
    int count, sent;   // records kept; of them, sent already (one send each, after a refusal)
    size_t used;
    int lengths[GATHER_RECORDS];
    unsigned char bytes[GATHER_BYTES];
} gather_state;

/// The largest datagram: with UDP_GRO, a sender's whole GSO batch.
#define SPLIT_BYTES 65536

/// The state of a splitting BIO: a filter in front of the datagram BIO (reads only)
/// that hands OpenSSL one record of a datagram per read. OpenSSL's DTLS record layer
/// takes several records from one datagram itself, but moves the rest of the datagram
/// to its buffer's front after each record (ssl3_read_n's memmove): quadratic in a
/// 64 KB GRO datagram of 50 records, linear here.
typedef struct {
    size_t length, offset;
    unsigned char bytes[SPLIT_BYTES];
} split_state;

/// Whether a record of `length` can join the kept ones in one UDP_SEGMENT send: every
/// segment but the last has the first one's size, the last may be shorter.
static int gather_fits(const gather_state *state, int length) {
    if (state->count == GATHER_RECORDS || state->used + (size_t)length > GATHER_BYTES) return 0;
    if (state->count == 0) return 1;
    return length <= state->lengths[0] && state->lengths[state->count - 1] == state->lengths[0];
}

static int gather_write(BIO *bio, const char *data, int length) {
    gather_state *state = p_BIO_get_data(bio);
    BIO *next = p_BIO_next(bio);
    p_BIO_clear_flags(bio, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
    if (!state->gathering || length <= 0 || length > GATHER_BYTES) {
        if (next == NULL) return -1;
        int written = p_BIO_write(next, data, length);
        if (written <= 0) p_BIO_copy_next_retry(bio);
        return written;
    }
    if (!gather_fits(state, length)) {  // full: the caller sends the kept records, then SSL_write again
        p_BIO_set_flags(bio, BIO_FLAGS_WRITE | BIO_FLAGS_SHOULD_RETRY);
        return -1;
    }
    memcpy(state->bytes + state->used, data, (size_t)length);
    state->lengths[state->count++] = length;
    state->used += (size_t)length;
    return length;
}

/// Every control (the peer, the MTU, timeouts) is the datagram BIO's.
static long filter_ctrl(BIO *bio, int command, long number, void *pointer) {
    BIO *next = p_BIO_next(bio);
    return next == NULL ? 0 : p_BIO_ctrl(next, command, number, pointer);
}

static int split_read(BIO *bio, char *out, int size);

/// Each filter's state, zeroed: a gather_state or a split_state (both about 64 KiB).
static int filter_create(BIO *bio) {
    void *state = calloc(1, sizeof(gather_state) > sizeof(split_state) ? sizeof(gather_state) : sizeof(split_state));
    if (state == NULL) return 0;
    p_BIO_set_data(bio, state);
    p_BIO_set_init(bio, 1);
    return 1;
}

static int filter_destroy(BIO *bio) {
    free(p_BIO_get_data(bio));
    p_BIO_set_data(bio, NULL);
    return 1;
}

static BIO_METHOD *gather_method, *split_method;
static int gather_type, split_type;
static pthread_once_t filters_once = PTHREAD_ONCE_INIT;

/// A filter BIO method in front of the datagram BIO, with its own reads or writes.
static BIO_METHOD *make_filter(int *type, const char *name, int (*read)(BIO *, char *, int), int (*write)(BIO *, const char *, int)) {
    *type = p_BIO_get_new_index() | BIO_TYPE_FILTER;
    BIO_METHOD *method = p_BIO_meth_new(*type, name);
    if (method == NULL) return NULL;
    if (read != NULL) p_BIO_meth_set_read(method, read);
    if (write != NULL) p_BIO_meth_set_write(method, write);
    p_BIO_meth_set_ctrl(method, filter_ctrl);
    p_BIO_meth_set_create(method, filter_create);
    p_BIO_meth_set_destroy(method, filter_destroy);
    return method;
}

static void make_filter_methods(void) {
    gather_method = make_filter(&gather_type, "sockscope DTLS gather", NULL, gather_write);
    split_method = make_filter(&split_type, "sockscope DTLS split", split_read, NULL);
}

/// The session's gathering BIO (its write BIO), or NULL when it has none.
static BIO *gather_bio(SSL *ssl) {
    BIO *bio = p_SSL_get_wbio(ssl);
    return gather_method != NULL && bio != NULL ? p_BIO_find_type(bio, gather_type) : NULL;
}

static int split_read(BIO *bio, char *out, int size) {
    split_state *state = p_BIO_get_data(bio);
    BIO *next = p_BIO_next(bio);
    p_BIO_clear_flags(bio, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
    if (next == NULL || size <= 0) return -1;
    if (state->offset >= state->length) {
        int got = p_BIO_read(next, state->bytes, SPLIT_BYTES);
        if (got <= 0) {
            p_BIO_copy_next_retry(bio);
            return got;
        }
        state->length = (size_t)got;
        state->offset = 0;
    }
    const unsigned char *record = state->bytes + state->offset;
    size_t left = state->length - state->offset;
    size_t take = left;
    // A DTLS record: type, version (2), epoch (2), sequence (6), length (2), body.
    if (left >= DTLS1_RT_HEADER_LENGTH) {
        size_t whole = DTLS1_RT_HEADER_LENGTH + ((size_t)record[11] << 8 | record[12]);
        if (whole <= left) take = whole;  // else the rest is malformed: OpenSSL drops it
    }
    if (take > (size_t)size) take = (size_t)size;
    memcpy(out, record, take);
    state->offset += take;
    return (int)take;
}

/// Records of a datagram the splitting BIO holds, not yet read by OpenSSL.
static int split_pending(SSL *ssl) {
    BIO *bio = p_SSL_get_rbio(ssl);
    bio = split_method != NULL && bio != NULL ? p_BIO_find_type(bio, split_type) : NULL;
    if (bio == NULL) return 0;
    split_state *state = p_BIO_get_data(bio);
    return state != NULL && state->offset < state->length;
}

/// A DTLS session reads and writes datagrams (BIO_s_datagram): one record per send,
/// no write buffer in front, unless records are gathered (cossl_dtls_gather). On a
/// connected socket the BIO is told its peer, so it uses send/recv and asks the kernel
/// for the path MTU (IP_MTU).
static int use_datagrams(SSL *ssl, int fd) {
    BIO *bio = p_BIO_new_dgram(fd, BIO_NOCLOSE);
    if (bio == NULL) return -1;
    struct sockaddr_storage peer;
    socklen_t length = sizeof peer;
    int connected = getpeername(fd, (struct sockaddr *)&peer, &length) == 0;
    if (connected) p_BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &peer);
    // UDP_GRO: a sender's GSO batch arrives as one datagram of many records (DTLS allows
    // several per datagram), one recv for all of them; without it the kernel cuts the
    // batch into one datagram per record. Ignored where the kernel lacks it.
    int one = 1;
    (void)setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one);
    pthread_once(&filters_once, make_filter_methods);
    BIO *gather = gather_method != NULL ? p_BIO_new(gather_method) : NULL;
    // Records are split on a connected socket only: DTLSv1_listen peeks at datagrams.
    BIO *split = split_method != NULL && connected ? p_BIO_new(split_method) : NULL;
    // The read chain (split → datagram) and the write chain (gather → datagram) each
    // hold a reference to the datagram BIO.
    BIO *reads = bio, *writes = bio;
    if (split != NULL) {
        p_BIO_up_ref(bio);
        reads = p_BIO_push(split, bio);
    }
    if (gather != NULL) {
        p_BIO_up_ref(bio);
        writes = p_BIO_push(gather, bio);
    }
    if (reads != bio && writes != bio) p_BIO_free(bio);  // both chains hold one: drop BIO_new's
    p_SSL_set_bio(ssl, reads, writes);
    return 0;
}

int cossl_dtls_gather(cossl_session *session, int on) {
    BIO *bio = gather_bio((SSL *)session);
    if (bio == NULL) return -1;
    ((gather_state *)p_BIO_get_data(bio))->gathering = on;
    return 0;
}

int cossl_dtls_seal(cossl_session *session, const void *buffer, int size, int *system_errno) {
    SSL *ssl = (SSL *)session;
    p_ERR_clear_error();
    errno = 0;
    int result = p_SSL_write(ssl, buffer, size);
    if (result > 0) return result;
    int outcome = classify(ssl, result, system_errno);
    return outcome == COSSL_CLOSED ? COSSL_FAILED : outcome;
}

/// One UDP_SEGMENT send of every kept record: 1 sent, 0 refused by the kernel (send
/// them one by one), -1 with errno.
static int send_segments(gather_state *state, int fd) {
    struct iovec part = {.iov_base = state->bytes, .iov_len = state->used};
    char control[CMSG_SPACE(sizeof(uint16_t))];
    memset(control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &part, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_UDP;
    header->cmsg_type = UDP_SEGMENT;
    header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    uint16_t segment = (uint16_t)state->lengths[0];
    memcpy(CMSG_DATA(header), &segment, sizeof segment);
    if (sendmsg(fd, &message, MSG_NOSIGNAL) >= 0) return 1;
    int refused = errno == EINVAL || errno == EIO || errno == ENOPROTOOPT || errno == EOPNOTSUPP || errno == EMSGSIZE;
    return refused ? 0 : -1;
}

int cossl_dtls_send_gathered(cossl_session *session, int *system_errno) {
    BIO *bio = gather_bio((SSL *)session);
    if (bio == NULL) return COSSL_DONE;
    gather_state *state = p_BIO_get_data(bio);
    int fd = -1;
    p_BIO_ctrl(bio, BIO_C_GET_FD, 0, &fd);
    while (state->sent < state->count) {
        if (!state->unsegmented && state->sent == 0 && state->count > 1) {
            int result = send_segments(state, fd);
            if (result == 1) break;
            if (result == 0) {
                state->unsegmented = 1;  // this path or kernel has no UDP GSO
                continue;
            }
        } else {
            size_t offset = 0;
            for (int index = 0; index < state->sent; index++) offset += (size_t)state->lengths[index];
            if (send(fd, state->bytes + offset, (size_t)state->lengths[state->sent], MSG_NOSIGNAL) >= 0) {
                state->sent++;
                continue;
            }
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return COSSL_WANT_WRITE;
        *system_errno = errno;
        return COSSL_SYSTEM;
    }
    state->count = state->sent = 0;
    state->used = 0;
    return COSSL_DONE;
}

int cossl_dtls_listen(cossl_session *session, void *peer, unsigned int *peer_length, int *system_errno) {
    SSL *ssl = (SSL *)session;
    BIO_ADDR *address = p_BIO_ADDR_new();
    if (address == NULL) return COSSL_FAILED;
    p_ERR_clear_error();
    errno = 0;
    int result = p_DTLSv1_listen(ssl, address);
    p_BIO_ADDR_free(address);
    if (result == 0) return COSSL_WANT_READ;
    if (result < 0) {
        int saved = errno;
        if (p_ERR_peek_error() == 0 && (saved == EAGAIN || saved == EWOULDBLOCK || saved == 0)) return COSSL_WANT_READ;
        if (p_ERR_peek_error() == 0) {
            *system_errno = saved;
            return COSSL_SYSTEM;
        }
        return COSSL_FAILED;
    }
    long size = p_BIO_ctrl(p_SSL_get_rbio(ssl), BIO_CTRL_DGRAM_GET_PEER, *peer_length, peer);
    if (size <= 0) return COSSL_FAILED;
    *peer_length = (unsigned int)size;
    return COSSL_DONE;
}

int cossl_dtls_move(cossl_session *session, int fd) {
    return use_datagrams((SSL *)session, fd);
}

long cossl_dtls_timeout(cossl_session *session) {
    struct timeval left;
    if (p_SSL_ctrl((SSL *)session, DTLS_CTRL_GET_TIMEOUT, 0, &left) <= 0) return -1;
    return (long)left.tv_sec * 1000 + left.tv_usec / 1000;
}

int cossl_dtls_retransmit(cossl_session *session) {
    p_ERR_clear_error();
    return p_SSL_ctrl((SSL *)session, DTLS_CTRL_HANDLE_TIMEOUT, 0, NULL) < 0 ? COSSL_FAILED : COSSL_DONE;
}

int cossl_is_datagram(cossl_session *session) { return p_SSL_is_dtls((SSL *)session); }

cossl_session *cossl_session_new(cossl_context *context, int fd, const char *sni, const char *verify_name,
                                 cossl_alerts *alerts, char *error, size_t size) {
    SSL_CTX *ctx = (SSL_CTX *)context;
    p_ERR_clear_error();
    SSL *ssl = p_SSL_new(ctx);
    int ready = ssl != NULL && (p_SSL_is_dtls(ssl) ? use_datagrams(ssl, fd) == 0
                                                   : p_SSL_set_fd(ssl, fd) == 1 && buffer_writes(ssl) == 0);
    if (!ready) {
        set_error(error, size, "cannot make a TLS session");
        if (ssl != NULL) p_SSL_free(ssl);
        return NULL;
    }
    if (alerts != NULL) {
        alerts->sent_level = alerts->sent_description = -1;
        alerts->received_level = alerts->received_description = -1;
        alerts->first_bytes_length = 0;
        alerts->certificate_requested = alerts->certificate_sent = 0;
        p_SSL_set_msg_callback(ssl, watch_alerts);
        p_SSL_ctrl(ssl, SSL_CTRL_SET_MSG_CALLBACK_ARG, 0, alerts);
    }
    if (p_SSL_is_server(ssl)) {
        p_SSL_set_accept_state(ssl);
        return (cossl_session *)ssl;
    }
    p_SSL_set_connect_state(ssl);
    if (sni != NULL && p_SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, (void *)sni) != 1) {
        set_error(error, size, "cannot set the server name (SNI)");
        p_SSL_free(ssl);
        return NULL;
    }
    if (verify_name != NULL) {
        int ok = is_address(verify_name) ? p_X509_VERIFY_PARAM_set1_ip_asc(p_SSL_get0_param(ssl), verify_name)
                                         : p_SSL_set1_host(ssl, verify_name);
        if (ok != 1) {
            set_error(error, size, "cannot set the name to verify");
            p_SSL_free(ssl);
            return NULL;
        }
    }
    return (cossl_session *)ssl;
}

void cossl_session_free(cossl_session *session) {
    if (session != NULL) p_SSL_free((SSL *)session);
}

/// What an SSL call's result means (SSL_get_error), as one of the COSSL_ results.
static int classify(SSL *ssl, int result, int *system_errno) {
    int saved = errno;
    switch (p_SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ: return COSSL_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return COSSL_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return COSSL_CLOSED;
    case SSL_ERROR_SYSCALL:
        if (p_ERR_peek_error() == 0) {
            *system_errno = saved != 0 ? saved : EPIPE;
            return COSSL_SYSTEM;
        }
        return COSSL_FAILED;
    case SSL_ERROR_SSL:
        if (ERR_GET_REASON(p_ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            p_ERR_clear_error();
            // Bytes of a record still in the read buffer: the stream was cut inside it.
            return p_SSL_has_pending(ssl) ? COSSL_CUT_MID_RECORD : COSSL_UNEXPECTED_EOF;
        }
        return COSSL_FAILED;
    default: return COSSL_FAILED;
    }
}

int cossl_handshake(cossl_session *session, int *system_errno) {
    SSL *ssl = (SSL *)session;
    p_ERR_clear_error();
    errno = 0;
    int result = p_SSL_do_handshake(ssl);
    if (result == 1) return COSSL_DONE;
    int outcome = classify(ssl, result, system_errno);
    return outcome == COSSL_CLOSED ? COSSL_FAILED : outcome;
}

int cossl_read(cossl_session *session, void *buffer, int size, int *system_errno) {
    SSL *ssl = (SSL *)session;
    p_ERR_clear_error();
    errno = 0;
    int result = p_SSL_read(ssl, buffer, size);
    return result > 0 ? result : classify(ssl, result, system_errno);
}

/// Sends what the write buffer holds: COSSL_DONE when it is empty, COSSL_WANT_WRITE
/// when the socket is full, COSSL_SYSTEM when send() failed.
static int flush_buffered(SSL *ssl, int *system_errno) {
    BIO *buffer = p_SSL_get_wbio(ssl);
    if (buffer == NULL || p_BIO_ctrl(buffer, BIO_CTRL_WPENDING, 0, NULL) == 0) return COSSL_DONE;
    errno = 0;
    if (p_BIO_ctrl(buffer, BIO_CTRL_FLUSH, 0, NULL) > 0) return COSSL_DONE;
    if (p_BIO_test_flags(buffer, BIO_FLAGS_SHOULD_RETRY)) return COSSL_WANT_WRITE;
    *system_errno = errno != 0 ? errno : EPIPE;
    return COSSL_SYSTEM;
}

int cossl_pending_output(cossl_session *session) {
    BIO *buffer = p_SSL_get_wbio((SSL *)session);
    return buffer != NULL && p_BIO_ctrl(buffer, BIO_CTRL_WPENDING, 0, NULL) > 0;
}

int cossl_read_records(cossl_session *session, void *buffer, int capacity, int *lengths, int most, int *count,
                       int *system_errno) {
    SSL *ssl = (SSL *)session;
    // Once per call: a successful SSL_read leaves the error queue as it found it.
    p_ERR_clear_error();
    int used = 0;
    *count = 0;
    while (*count < most && capacity - used >= SSL3_RT_MAX_PLAIN_LENGTH) {
        errno = 0;
        int result = p_SSL_read(ssl, (char *)buffer + used, capacity - used);
        if (result <= 0) return classify(ssl, result, system_errno);
        lengths[(*count)++] = result;
        used += result;
    }
    return COSSL_DONE;
}

int cossl_has_pending(cossl_session *session) {
    return p_SSL_has_pending((SSL *)session) || split_pending((SSL *)session);
}

int cossl_flush(cossl_session *session, int *system_errno) { return flush_buffered((SSL *)session, system_errno); }

int cossl_write(cossl_session *session, const void *buffer, int size, int *system_errno) {
    SSL *ssl = (SSL *)session;
    p_ERR_clear_error();
    int flushed = flush_buffered(ssl, system_errno);
    if (flushed != COSSL_DONE) return flushed;
    int taken = 0;
    while (taken < size) {
        errno = 0;
        int result = p_SSL_write(ssl, (const char *)buffer + taken, size - taken);
        if (result > 0) {
            taken += result;
            continue;
        }
        if (taken > 0) break;  // what was taken goes out below; the rest is retried
        int outcome = classify(ssl, result, system_errno);
        return outcome == COSSL_CLOSED ? COSSL_FAILED : outcome;
    }
    flushed = flush_buffered(ssl, system_errno);
    // A full socket keeps the rest in the buffer (cossl_pending_output); a failed one fails.
    return flushed == COSSL_SYSTEM ? COSSL_SYSTEM : taken;
}

int cossl_shutdown(cossl_session *session, int *system_errno) {
    SSL *ssl = (SSL *)session;
    p_ERR_clear_error();
    errno = 0;
    // Records still buffered go first; close_notify once (a second SSL_shutdown would
    // wait for the peer's); then it too must have left before the caller sends FIN.
    int flushed = flush_buffered(ssl, system_errno);
    if (flushed != COSSL_DONE) return flushed;
    if (!(p_SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN)) {
        int result = p_SSL_shutdown(ssl);
        if (result < 0) {
            int outcome = classify(ssl, result, system_errno);
            if (outcome != COSSL_CLOSED) return outcome;
        }
    }
    return flush_buffered(ssl, system_errno);
}

// MARK: facts

const char *cossl_version(cossl_session *session) { return p_SSL_get_version((SSL *)session); }

const char *cossl_cipher(cossl_session *session) {
    const SSL_CIPHER *cipher = p_SSL_get_current_cipher((SSL *)session);
    return cipher == NULL ? NULL : p_SSL_CIPHER_get_name(cipher);
}

const char *cossl_group(cossl_session *session) {
    SSL *ssl = (SSL *)session;
    // Before a hello has been exchanged (a client that left at once) there is no group
    // to ask for, and OpenSSL 3.0 would read a session that does not exist.
    if (p_SSL_get_current_cipher(ssl) == NULL) return NULL;
    long group = p_SSL_ctrl(ssl, SSL_CTRL_GET_NEGOTIATED_GROUP, 0, NULL);
    return group <= 0 ? NULL : p_SSL_group_to_name(ssl, (int)group);
}

int cossl_alpn(cossl_session *session, char *buffer, size_t size) {
    const unsigned char *data = NULL;
    unsigned int length = 0;
    p_SSL_get0_alpn_selected((SSL *)session, &data, &length);
    if (data == NULL || length == 0 || size == 0) return 0;
    if (length >= size) length = (unsigned int)size - 1;
    memcpy(buffer, data, length);
    buffer[length] = 0;
    return 1;
}

int cossl_resumed(cossl_session *session) { return p_SSL_session_reused((SSL *)session); }

const char *cossl_server_name(cossl_session *session) {
    return p_SSL_get_servername((SSL *)session, TLSEXT_NAMETYPE_host_name);
}

long cossl_verify_result(cossl_session *session) { return p_SSL_get_verify_result((SSL *)session); }

const char *cossl_verify_text(long code) { return loaded ? p_X509_verify_cert_error_string(code) : ""; }

/// The peer's certificates, leaf first. A client's chain (SSL_get_peer_cert_chain)
/// holds the leaf; a server's does not, so the leaf comes from SSL_get0_peer_certificate.
static X509 *peer_certificate(SSL *ssl, int index) {
    STACK_OF(X509) *chain = p_SSL_get_peer_cert_chain(ssl);
    int count = chain == NULL ? 0 : p_OPENSSL_sk_num((const OPENSSL_STACK *)chain);
    if (p_SSL_is_server(ssl)) {
        if (index == 0) return p_SSL_get0_peer_certificate(ssl);
        index -= 1;
    }
    return index < count ? p_OPENSSL_sk_value((const OPENSSL_STACK *)chain, index) : NULL;
}

int cossl_peer_chain_length(cossl_session *session) {
    SSL *ssl = (SSL *)session;
    int count = 0;
    while (count < 64 && peer_certificate(ssl, count) != NULL) count++;
    return count;
}

/// Prints a name as RFC 2253 does ("CN=host,O=org") into `out`, with its length: control
/// characters are left as they are (not OpenSSL's \\1B) for the caller's one escaping rule,
/// and a NUL inside does not cut the name short.
static int print_name(const X509_NAME *name, char *out, size_t size) {
    BIO *bio = p_BIO_new(p_BIO_s_mem());
    if (bio == NULL) return 0;
    p_X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB & ~ASN1_STRFLGS_ESC_CTRL);
    char *data = NULL;
    long length = p_BIO_ctrl(bio, BIO_CTRL_INFO, 0, (char *)&data);
    if (data == NULL || length < 0) length = 0;
    if ((size_t)length > size) length = (long)size;
    if (length > 0) memcpy(out, data, (size_t)length);
    p_BIO_free(bio);
    return (int)length;
}

/// Appends `length` bytes to `out` (the entries so far), if they fit: false when not.
static int append_name(cossl_certificate *out, const char *prefix, const unsigned char *bytes, int length) {
    size_t used = 0;
    for (int i = 0; i < out->alt_name_count; i++) used += out->alt_name_lengths[i];
    size_t prefix_length = strlen(prefix);
    if (length < 0 || out->alt_name_count >= 64 || used + prefix_length + (size_t)length > sizeof out->alt_names) return 0;
    memcpy(out->alt_names + used, prefix, prefix_length);
    memcpy(out->alt_names + used + prefix_length, bytes, (size_t)length);
    out->alt_name_lengths[out->alt_name_count++] = (unsigned short)(prefix_length + (size_t)length);
    return 1;
}

/// The subjectAltName entries, each whole ("DNS:host", "IP Address:127.0.0.1"): names
/// (DNS, email, URI) as their raw bytes with their length, so a NUL or a newline inside
/// one is kept for the caller to show escaped, never cut or passed on raw.
static void collect_alt_names(X509 *certificate, cossl_certificate *out) {
    out->alt_name_count = 0;
    GENERAL_NAMES *names = p_X509_get_ext_d2i(certificate, NID_subject_alt_name, NULL, NULL);
    if (names == NULL) return;
    BIO *bio = p_BIO_new(p_BIO_s_mem());
    int count = p_OPENSSL_sk_num((const OPENSSL_STACK *)names);
    for (int i = 0; bio != NULL && i < count; i++) {
        GENERAL_NAME *name = p_OPENSSL_sk_value((const OPENSSL_STACK *)names, i);
        const char *prefix = name->type == GEN_DNS ? "DNS:" : name->type == GEN_EMAIL ? "email:" : name->type == GEN_URI ? "URI:" : NULL;
        if (prefix != NULL) {
            const ASN1_STRING *text = name->d.ia5;
            if (!append_name(out, prefix, p_ASN1_STRING_get0_data(text), p_ASN1_STRING_length(text))) break;
            continue;
        }
        p_GENERAL_NAME_print(bio, name);
        char *data = NULL;
        long length = p_BIO_ctrl(bio, BIO_CTRL_INFO, 0, (char *)&data);
        if (data != NULL && length > 0 && !append_name(out, "", (const unsigned char *)data, (int)length)) break;
        p_BIO_ctrl(bio, BIO_CTRL_RESET, 0, NULL);
    }
    if (bio != NULL) p_BIO_free(bio);
    p_GENERAL_NAMES_free(names);
}

/// The subject's common name as its raw bytes (the last CN, as verification reads it).
static void collect_common_name(const X509_NAME *subject, cossl_certificate *out) {
    out->common_name_length = 0;
    int index = -1, found = -1;
    while ((index = p_X509_NAME_get_index_by_NID((X509_NAME *)subject, NID_commonName, index)) >= 0) found = index;
    if (found < 0) return;
    const ASN1_STRING *data = p_X509_NAME_ENTRY_get_data(p_X509_NAME_get_entry(subject, found));
    int length = data != NULL ? p_ASN1_STRING_length(data) : 0;
    if (length <= 0) return;
    if ((size_t)length > sizeof out->common_name) length = (int)sizeof out->common_name;
    memcpy(out->common_name, p_ASN1_STRING_get0_data(data), (size_t)length);
    out->common_name_length = length;
}

static int64_t seconds(const ASN1_TIME *time) {
    struct tm parts;
    memset(&parts, 0, sizeof parts);
    if (time == NULL || p_ASN1_TIME_to_tm(time, &parts) != 1) return 0;
    return (int64_t)timegm(&parts);
}

/// Each entry of a name, in the certificate's order, as "longName=value" (the value's
/// raw bytes; an OID in dotted form when OpenSSL has no name for it).
static void collect_entries(const X509_NAME *name, char *out, size_t size, unsigned short *lengths, int *count) {
    size_t used = 0;
    *count = 0;
    int entries = p_X509_NAME_entry_count(name);
    for (int i = 0; i < entries && *count < 32; i++) {
        X509_NAME_ENTRY *entry = p_X509_NAME_get_entry(name, i);
        ASN1_OBJECT *object = p_X509_NAME_ENTRY_get_object(entry);
        const ASN1_STRING *data = p_X509_NAME_ENTRY_get_data(entry);
        char key[80];
        int nid = p_OBJ_obj2nid(object);
        const char *long_name = nid != NID_undef ? p_OBJ_nid2ln(nid) : NULL;
        if (long_name != NULL) {
            snprintf(key, sizeof key, "%s", long_name);
        } else if (p_OBJ_obj2txt(key, sizeof key, object, 1) <= 0) {
            snprintf(key, sizeof key, "unknown");
        }
        int length = data != NULL ? p_ASN1_STRING_length(data) : 0;
        size_t key_length = strlen(key);
        if (length < 0 || used + key_length + 1 + (size_t)length > size) break;
        memcpy(out + used, key, key_length);
        out[used + key_length] = '=';
        if (length > 0) memcpy(out + used + key_length + 1, p_ASN1_STRING_get0_data(data), (size_t)length);
        lengths[(*count)++] = (unsigned short)(key_length + 1 + (size_t)length);
        used += key_length + 1 + (size_t)length;
    }
}

int cossl_peer_certificate_details(cossl_session *session, int index, cossl_certificate_details *out) {
    memset(out, 0, sizeof *out);
    X509 *certificate = peer_certificate((SSL *)session, index);
    if (certificate == NULL) return -1;
    collect_entries(p_X509_get_subject_name(certificate), out->subject, sizeof out->subject, out->subject_lengths, &out->subject_count);
    collect_entries(p_X509_get_issuer_name(certificate), out->issuer, sizeof out->issuer, out->issuer_lengths, &out->issuer_count);
    unsigned int length = 16;
    p_X509_digest(certificate, p_EVP_md5(), out->md5, &length);
    length = 20;
    p_X509_digest(certificate, p_EVP_sha1(), out->sha1, &length);
    return 0;
}

int cossl_peer_certificate_der(cossl_session *session, int index, unsigned char *buffer, int size) {
    X509 *certificate = peer_certificate((SSL *)session, index);
    if (certificate == NULL) return -1;
    int needed = p_i2d_X509(certificate, NULL);
    if (needed <= 0 || needed > size) return needed;
    unsigned char *cursor = buffer;
    return p_i2d_X509(certificate, &cursor);
}

int cossl_peer_certificate(cossl_session *session, int index, cossl_certificate *out) {
    memset(out, 0, sizeof *out);
    X509 *certificate = peer_certificate((SSL *)session, index);
    if (certificate == NULL) return -1;
    const X509_NAME *subject = p_X509_get_subject_name(certificate);
    const X509_NAME *issuer = p_X509_get_issuer_name(certificate);
    out->subject_length = print_name(subject, out->subject, sizeof out->subject);
    out->issuer_length = print_name(issuer, out->issuer, sizeof out->issuer);
    out->self_issued = p_X509_NAME_cmp(subject, issuer) == 0;
    collect_common_name(subject, out);
    collect_alt_names(certificate, out);
    out->not_before = seconds(p_X509_get0_notBefore(certificate));
    out->not_after = seconds(p_X509_get0_notAfter(certificate));
    EVP_PKEY *key = p_X509_get0_pubkey(certificate);
    if (key != NULL) {
        int type = p_EVP_PKEY_get_base_id(key);
        const char *name = type == EVP_PKEY_EC ? "EC" : p_OBJ_nid2sn(type);
        snprintf(out->key_type, sizeof out->key_type, "%s", name != NULL ? name : "unknown");
        out->key_bits = p_EVP_PKEY_get_bits(key);
        size_t length = 0;
        if (type == EVP_PKEY_EC) p_EVP_PKEY_get_group_name(key, out->key_group, sizeof out->key_group, &length);
    }
    const char *signature = p_OBJ_nid2ln(p_X509_get_signature_nid(certificate));
    snprintf(out->signature, sizeof out->signature, "%s", signature != NULL ? signature : "unknown");
    unsigned int length = 32;
    p_X509_digest(certificate, p_EVP_sha256(), out->sha256, &length);
    return 0;
}
