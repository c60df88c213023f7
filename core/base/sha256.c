/* sha256.c - SHA-256 through libcrypto's EVP interface (which uses the
 * CPU's SHA extensions where present: inputs of hundreds of MB hash in a
 * fraction of a second). */
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void to_hex(const unsigned char *md, unsigned n, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned i;
    for (i = 0; i < n && i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[2 * i] = '\0';
}

int sha256_file(const char *path, char out[65], struct stat *st)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    size_t cap = 1 << 20;
    unsigned char *buf;
    EVP_MD_CTX *c;
    ssize_t got = 0;
    struct stat sb;
    off_t left;
    int fd, rc = -1;

    out[0] = '\0';
    /* Only a regular file is hashed: a device (/dev/zero) never ends and a
     * FIFO would block, or split its stream with the source that reads it.
     * It is checked before opening (opening a FIFO or a device can have
     * effects of its own) and again on what was opened. */
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -1;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return -1;
    }
    if (st)
        *st = sb;
    buf = malloc(cap);
    c = EVP_MD_CTX_new();
    if (!buf || !c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL))
        goto out;
    /* The bytes it held when opened, and no more: what was appended since
     * is not what the status describes. */
    for (left = sb.st_size; left > 0; left -= got) {
        got = read(fd, buf, left < (off_t)cap ? (size_t)left : cap);
        if (got < 0 && errno == EINTR) {
            got = 0;
            continue;
        }
        if (got == 0) {
            rc = -2; /* cut short while it was read */
            goto out;
        }
        if (got < 0 || !EVP_DigestUpdate(c, buf, (size_t)got))
            goto out;
    }
    if (EVP_DigestFinal_ex(c, md, &len)) {
        to_hex(md, len, out);
        rc = 0;
    }
out:
    EVP_MD_CTX_free(c);
    free(buf);
    close(fd);
    return rc;
}

struct sha256_ctx {
    EVP_MD_CTX *md;
};

sha256_ctx *sha256_new(void)
{
    sha256_ctx *c = malloc(sizeof *c);

    if (!c || !(c->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(c->md, EVP_sha256(), NULL))
        abort();
    return c;
}

void sha256_add(sha256_ctx *c, const void *data, size_t n)
{
    if (n && !EVP_DigestUpdate(c->md, data, n))
        abort();
}

void sha256_end(sha256_ctx *c, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;

    out[0] = '\0';
    if (!c)
        return;
    if (EVP_DigestFinal_ex(c->md, md, &len))
        to_hex(md, len, out);
    EVP_MD_CTX_free(c->md);
    free(c);
}
