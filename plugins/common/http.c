/* http.c - libcurl as the plugins that speak HTTP (crm_rest, clickhouse) set it up. */
#include "http.h"

static int ready; /* curl_global_init has succeeded */

int http_load(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    ready = 1;
    return 0;
}

void http_unload(void)
{
    if (ready)
        curl_global_cleanup();
    ready = 0;
}

CURL *http_handle(const char *agent, long connect_timeout, const char *ca_file, int insecure,
                  curl_write_callback sink, void *data)
{
    CURL *c;

    if (!ready && http_load())
        return NULL;
    if (!(c = curl_easy_init()))
        return NULL;
    curl_easy_setopt(c, CURLOPT_USERAGENT, agent);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, connect_timeout);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, data);
    if (ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, insecure ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, insecure ? 0L : 2L);
    return c;
}
