/* k8s_names.h - what Kubernetes accepts as names, label keys and values
 * (its apimachinery validation rules, checked here so a bad signers line or
 * flag fails at `check`/`render`, not at `kubectl apply`). */
#ifndef TZS_FORWARDER_K8S_NAMES_H
#define TZS_FORWARDER_K8S_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* A DNS label (RFC 1123): a-z, 0-9, '-', alphanumeric at both ends, 1..max. */
bool k8s_dns_label_ok(const char *p, size_t n, size_t max);
/* A label value / the name part of a key: [A-Za-z0-9._-], alphanumeric at
 * both ends, 1..63. */
bool k8s_label_value_ok(const char *p, size_t n);
/* A label or annotation key: [PREFIX/]NAME, PREFIX a DNS subdomain of at
 * most 253 characters. */
bool k8s_label_key_ok(const char *p, size_t n);

#endif
