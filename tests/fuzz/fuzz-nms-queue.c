/*
 * NAME
 *	fuzz-nms-queue.c - libFuzzer target for the NMS 3.x and NMS 4.x queue readers
 * SUMMARY
 *	The first byte picks the format: even, the rest is one NMS 4.x message
 *	file ("<id>.msg" of an nms-4.1 deployment, core's nms4-queue codec);
 *	odd, the rest is one NMS 3.x control file ("qf<id>", with a fixed data
 *	file "df<id>", the nms3-queue codec of plugins/nms3x). The file is read
 *	through the codec exactly as a run reads it (every body streamed to its
 *	end); when it parses, the message is written back with the same codec
 *	into a second deployment and read again: the digests must agree. A
 *	crash, a sanitizer report, an error that is not per-entry, or a digest
 *	mismatch is a finding.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"
#include "engine.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const MsmCodec *nms3x_queue_codec(void);

static char *scratch;

/* The digest of the one message of root's queue, or NULL when it did not parse. */
static char *
read_digest(const MsmCodec *c, const char *root, const char *version)
{
    GError *err = NULL;
    char *digest = NULL;
    gpointer r = c->reader_open(NULL, root, version, &err);
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

static void
rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (scratch == NULL)
        scratch = g_dir_make_tmp("msmfuzz-XXXXXX", NULL);
    gboolean nms3 = data[0] & 1;
    const MsmCodec *c = nms3 ? nms3x_queue_codec() : msm_core_nms4_queue_codec();
    const char *version = nms3 ? "nms-3.x" : "nms-4.1";
    char *src = g_build_filename(scratch, "src", NULL);
    char *dst = g_build_filename(scratch, "dst", NULL);
    rm_rf(src);
    rm_rf(dst);
    char *chan = g_build_filename(src, "msg-default", "queue", "tcp_local", NULL);
    g_mkdir_with_parents(chan, 0700);
    char *file = g_build_filename(chan, nms3 ? "qfFuzz01" : "Fuzz01.msg", NULL);
    g_file_set_contents(file, (const char *)data + 1, (gssize)size - 1, NULL);
    if (nms3) {
        char *df = g_build_filename(chan, "dfFuzz01", NULL);
        g_file_set_contents(df, "Subject: fuzz\n\nbody\n", -1, NULL);
        g_free(df);
    }
    g_mkdir_with_parents(dst, 0700);
    char *d1 = read_digest(c, src, version);
    if (d1) {
        GError *err = NULL;
        gpointer r = c->reader_open(NULL, src, version, &err);
        gpointer w = c->writer_open(NULL, dst, version, &err);
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
            char *d2 = read_digest(c, dst, version);
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
    g_free(src);
    g_free(dst);
    return 0;
}
