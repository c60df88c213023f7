/* dynlib.h - a shared library bound on first use instead of at start-up.
 *
 * Libraries that only some runs need (libcurl to deliver by email or
 * webhook, ICU for a report with a locale, libmicrohttpd to serve) are not
 * linked into the program: each costs every run its loading and relocation
 * (libcurl alone, with the TLS, Kerberos and LDAP libraries it pulls in,
 * about 12 ms of a 30 ms start). The module that uses one declares a table
 * of its functions and binds it when it first needs it:
 *
 *     #define CURL_API(X) X(curl_easy_init) X(curl_easy_cleanup)
 *     static struct { CURL_API(DYNLIB_FIELD) } cu;
 *
 *     void *h = dynlib_open(QUIRE_SONAME_CURL, why, nwhy);
 *     #define BIND(f) || dynlib_sym(h, DYNLIB_STR(f), (void **)&cu.f, why, nwhy)
 *     if (!h CURL_API(BIND)) ... why says what is missing ...
 *     cu.curl_easy_init();
 *
 * A field has the function's own name and type (a name the library's
 * header renames, as ICU's u_errorName to u_errorName_72, is renamed in
 * the field and in the symbol looked up alike: DYNLIB_STR expands its
 * argument before it quotes it). Binding once, under a lock or a
 * pthread_once, is the caller's part. The sonames come from the build
 * (QUIRE_SONAME_*, read from the development libraries by the Makefile).
 */
#ifndef QUIRE_DYNLIB_H
#define QUIRE_DYNLIB_H

#include <stddef.h>

#define DYNLIB_STR_(s) #s
#define DYNLIB_STR(s) DYNLIB_STR_(s)
#define DYNLIB_FIELD(f) __typeof__(f) *f;

/* dlopen() soname (RTLD_NOW | RTLD_LOCAL): the handle, or NULL with the
 * reason in why: "libcurl.so.4 cannot be loaded: ...". The library stays
 * loaded for the life of the process. */
void *dynlib_open(const char *soname, char *why, size_t nwhy);

/* The address of function name in library h into *slot: 0, or 1 (*slot
 * NULL, why says which function is missing). */
int dynlib_sym(void *h, const char *name, void **slot, char *why, size_t nwhy);

#endif
