/*
 * NAME
 *	fuzz-pmdf-queue.c - libFuzzer target for the PMDF-lineage queue reader
 * SUMMARY
 *	Each input is written as one queue file of an ms-6.3 deployment laid out
 *	in a scratch directory, then read through the pmdf-queue codec exactly
 *	as a run reads it (every body streamed to its end). When the file
 *	parses, the message is written back with the codec's writer into a
 *	second deployment and read again: the two reads must have the same
 *	digest. A crash, a sanitizer report or a digest mismatch is a finding.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"
#include "engine.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *scratch;

/* Reads the one message of root's queue; its digest, or NULL when it did not parse. */
static char *
read_digest(const char *root)
{
    const MsmCodec *c = msm_core_pmdf_queue_codec();
    GError *err = NULL;
    char *digest = NULL;
    gpointer r = c->reader_open(NULL, root, "ms-6.3", &err);
    if (r == NULL) {
        g_clear_error(&err);
        return NULL;
    }
    for (;;) {
        MsmItem *it = NULL;
        if (!c->reader_next(r, &it, &err)) {
            if (!msm_reader_error_is_per_entry(err))
                abort(); /* only per-entry errors may come from a bad queue file */
            g_clear_error(&err);
            continue;
        }
        if (it == NULL)
            break;
        g_free(digest);
        digest = msm_item_digest(it, NULL, &err);
        g_clear_error(&err);
        msm_item_free(it);
    }
    c->reader_close(r);
    return digest;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* rm -rf path, without spawning a process per input. */
static void
rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (scratch == NULL)
        scratch = g_dir_make_tmp("msmfuzz-XXXXXX", NULL);
    char *src = g_build_filename(scratch, "src", NULL);
    char *dst = g_build_filename(scratch, "dst", NULL);
    rm_rf(src);
    rm_rf(dst);
    MsmLayout *l = msm_layout_resolve(src, "ms-6.3", NULL, NULL);
    char *chan = g_build_filename(msm_layout_queue_dir(l), "tcp_local", NULL);
    g_mkdir_with_parents(chan, 0700);
    char *file = g_build_filename(chan, "ZY0001abc.00", NULL);
    g_file_set_contents(file, (const char *)data, (gssize)size, NULL);
    g_mkdir_with_parents(dst, 0700);

    char *d1 = read_digest(src);
    if (d1) {
        /* round trip through the writer */
        const MsmCodec *c = msm_core_pmdf_queue_codec();
        GError *err = NULL;
        gpointer r = c->reader_open(NULL, src, "ms-6.3", &err);
        gpointer w = c->writer_open(NULL, dst, "ms-6.3", &err);
        MsmItem *it = NULL;
        gboolean wrote = FALSE;
        if (r && w && c->reader_next(r, &it, &err) && it) {
            wrote = c->writer_put(w, it, &err) && c->writer_commit(w, &err);
            msm_item_free(it);
        }
        g_clear_error(&err);
        if (w)
            c->writer_close(w);
        if (r)
            c->reader_close(r);
        if (wrote) {
            char *d2 = read_digest(dst);
            if (d2 == NULL || strcmp(d1, d2) != 0) {
                fprintf(stderr, "round trip changed the message: %s vs %s\n", d1,
                        d2 ? d2 : "(unreadable)");
                abort();
            }
            g_free(d2);
        }
    }
    g_free(d1);
    g_free(file);
    g_free(chan);
    msm_layout_free(l);
    g_free(src);
    g_free(dst);
    return 0;
}
