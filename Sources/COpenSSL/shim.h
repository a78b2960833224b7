#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>

// Swift does not import OpenSSL's function-like macros; these wrappers stand in for them.

static inline int copenssl_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
  return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

static inline int copenssl_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *cert) {
  return (int)SSL_CTX_add1_chain_cert(ctx, cert);
}

static inline int copenssl_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
  return (int)SSL_set_tlsext_host_name(ssl, name);
}

static inline void copenssl_SSL_set_msg_callback_arg(SSL *ssl, void *arg) {
  SSL_set_msg_callback_arg(ssl, arg);
}

static inline void copenssl_SSL_CTX_refuse_renegotiation(SSL_CTX *ctx) {
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
}

static inline int copenssl_ERR_GET_LIB(unsigned long code) { return ERR_GET_LIB(code); }

static inline int copenssl_ERR_GET_REASON(unsigned long code) { return ERR_GET_REASON(code); }

#endif
