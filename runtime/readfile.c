/* vm_read_file: see readfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "runtime/readfile.h"

static void rf_limit(char *err, size_t errlen, const char *what, size_t limit)
{
    if (limit >= ((size_t)1 << 20) && limit % ((size_t)1 << 20) == 0)
        snprintf(err, errlen, "the %s is larger than the limit of %zu MiB", what, limit >> 20);
    else
        snprintf(err, errlen, "the %s is larger than the limit of %zu bytes", what, limit);
}

char *vm_read_file(const char *path, const char *what, size_t limit, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the %s: %s", what, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot read the %s: %s", what, strerror(errno));
        close(fd);
        return NULL;
    }
    if (S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
        snprintf(err, errlen, "the %s is a %s, not a file", what, S_ISDIR(st.st_mode) ? "directory" : "block device");
        close(fd);
        return NULL;
    }
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > limit) {
        rf_limit(err, errlen, what, limit);
        close(fd);
        return NULL;
    }
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536, n = 0;
    if (cap < 4096)
        cap = 4096;
    char *s = malloc(cap);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    for (;;) {
        if (n + 1 == cap) {   /* full (n <= limit): grow to at most limit + 1 bytes and the NUL */
            size_t ncap = cap > (limit + 2) / 2 ? limit + 2 : cap * 2;
            char *t = realloc(s, ncap);
            if (!t) {
                snprintf(err, errlen, "out of memory");
                free(s);
                close(fd);
                return NULL;
            }
            s = t;
            cap = ncap;
        }
        ssize_t k = read(fd, s + n, cap - n - 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            snprintf(err, errlen, "cannot read the %s: %s", what, strerror(errno));
            free(s);
            close(fd);
            return NULL;
        }
        if (k == 0)
            break;
        n += (size_t)k;
        if (n > limit) {
            rf_limit(err, errlen, what, limit);
            free(s);
            close(fd);
            return NULL;
        }
    }
    close(fd);
    s[n] = 0;
    if (len)
        *len = n;
    return s;
}

/* vm_write_file: see readfile.h. */
int vm_write_file(const char *path, const char *text, size_t n, char *err, size_t errlen)
{
    struct stat st;
    int direct = stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
    char *tmp = NULL;
    int fd;
    if (direct)
        fd = open(path, O_WRONLY | O_CLOEXEC);
    else {
        const char *slash = strrchr(path, '/');
        size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
        if (asprintf(&tmp, "%.*s.%s.XXXXXX", (int)dir, path, path + dir) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd >= 0)
            fchmod(fd, 0644);
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    const char *p = text;
    size_t left = n;
    while (left > 0) {
        ssize_t k = write(fd, p, left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            close(fd);
            if (tmp)
                unlink(tmp);
            free(tmp);
            return -1;
        }
        p += k;
        left -= (size_t)k;
    }
    if (close(fd) != 0 || (tmp && rename(tmp, path) != 0)) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        if (tmp)
            unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}
