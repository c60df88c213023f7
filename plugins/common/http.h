/*
 * http.h - libcurl as the plugins that speak HTTP (crm_rest, clickhouse)
 * set it up.
 *
 * Compiled into each of those plugins (it is not a plugin of its own): the
 * process's libcurl state, and an easy handle with the settings every
 * request of theirs shares. Each plugin adds its own (timeouts of a
 * request, headers, the method, authentication).
 */
#ifndef PLUGIN_HTTP_H
#define PLUGIN_HTTP_H

#include <curl/curl.h>

/*
 * libcurl's global state, once per process: http_load() from the plugin's
 * load(), before any source is opened (and so before any thread reads
 * one), http_unload() from its unload(). A host older than ABI 1.2 calls
 * neither: http_handle() then sets libcurl up itself (that host reads
 * sources one at a time). http_load: 0, or -1 when libcurl fails.
 */
int http_load(void);
void http_unload(void);

/*
 * A new easy handle, or NULL when libcurl fails: user agent agent; no
 * signals, no progress meter; http and https only, no redirect followed by
 * libcurl; connect_timeout seconds to connect; the answer's bytes to
 * sink(..., data); TLS verified (ca_file: the CA bundle, NULL: the system's)
 * unless insecure.
 */
CURL *http_handle(const char *agent, long connect_timeout, const char *ca_file, int insecure,
                  curl_write_callback sink, void *data);

#endif
